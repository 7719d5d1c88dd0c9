#!/bin/sh
# hilbench setup: install what is missing, build, then run the main job or the tests.
#
#   sudo bench/setup.sh run    Release build in build/, then the main job
#   sudo bench/setup.sh test   sanitizer build (ASan+UBSan) in build-asan/, then every test
#
# Debian 12 (bookworm). Works as root without sudo installed; as a normal user it needs sudo
# only when a package is missing. When started through sudo, the build itself runs as the
# user who called sudo, so build/ is not owned by root. HB_JOBS sets make's parallelism
# (default 2).
set -eu

# Every Debian package hilbench needs, in ONE place. Append here (one per line is fine).
# fpga-icestorm-chipdb is only a Recommends of fpga-icestorm, so it is listed on its own.
PACKAGES="
build-essential cmake pkg-config git
libftdi1-dev libusb-1.0-0-dev libserialport-dev
libcriterion-dev libsqlite3-dev libcjson-dev libinih-dev libgsl-dev zlib1g-dev nettle-dev
verilator yosys nextpnr-ice40 fpga-icestorm fpga-icestorm-chipdb iverilog openfpgaloader
ser2net gnuplot-nox
clang libclang-rt-14-dev
"

JOBS="${HB_JOBS:-2}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

usage() {
	cat <<USAGE
Usage: sudo bench/setup.sh run|test

  run    install missing Debian packages, build Release into build/, run the main job
  test   install missing Debian packages, build with -DHB_SANITIZE=ON into build-asan/,
         run ctest --output-on-failure (hardware tests skip unless HB_HW=1; the
         iCEBreaker FPGA flow runs as a test)
USAGE
}

# Run a command as root: directly when we are root, else through sudo.
as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		die "need root to run: $* (run this script as root, or install sudo)"
	fi
}

# Run a build step as the user who invoked sudo (so the build tree is theirs), else as is.
as_user() {
	if [ "$(id -u)" -eq 0 ] && [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ] &&
	   command -v sudo >/dev/null 2>&1; then
		sudo -u "$SUDO_USER" -- "$@"
	else
		"$@"
	fi
}

missing_packages() {
	for p in $PACKAGES; do
		if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
			printf '%s ' "$p"
		fi
	done
}

install_packages() {
	command -v dpkg-query >/dev/null 2>&1 || die "not a Debian system (no dpkg-query); install by hand: $PACKAGES"
	missing="$(missing_packages)"
	if [ -z "$missing" ]; then
		say "all $(echo "$PACKAGES" | wc -w) Debian packages are installed"
		return
	fi
	say "installing missing Debian packages: $missing"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
	# shellcheck disable=SC2086 # word splitting is wanted: one argument per package
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
	still="$(missing_packages)"
	[ -z "$still" ] || die "still missing after apt-get install: $still"
}

# build DIR [cmake options...]
build() {
	dir="$1"
	shift
	say "configuring $dir ($*)"
	as_user cmake -S "$ROOT" -B "$ROOT/$dir" "$@"
	say "building $dir with -j$JOBS"
	# Verilator's CMake support reads the list of generated C++ files at configure time; after
	# an RTL change that list can be stale for one build, which then fails to link. CMake
	# re-reads it on the next build, so one retry is enough; a real error fails twice.
	if ! as_user cmake --build "$ROOT/$dir" -j "$JOBS"; then
		say "build failed; building $dir once more (a Verilated model's file list may have been stale)"
		as_user cmake --build "$ROOT/$dir" -j "$JOBS"
	fi
}

cmd="${1:-}"
case "$cmd" in
run)
	install_packages
	build build -DCMAKE_BUILD_TYPE=Release
	# The main job: measure the digits network on the virtual board, beside the model.
	say "running: build/bench/hilbench run   (the virtual board; 'hilbench run --help' for more)"
	as_user "$ROOT/build/bench/hilbench" run
	;;
test)
	install_packages
	# Optimised + sanitizers: the virtual board must keep pace with its clock under test.
	# HB_GATEWARE_FLOWS: `hilbench build --board icebreaker` (yosys -> nextpnr -> icepack ->
	# icetime, a few minutes; cached by build hash in build-asan/bitstreams/)
	# is a test too, so every run shows the bitstream still fits and meets 24 MHz.
	build build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHB_SANITIZE=ON -DHB_GATEWARE_FLOWS=ON
	say "running every test (labels unit, gateware, sim, hw; hw skips unless HB_HW=1)"
	as_user ctest --test-dir "$ROOT/build-asan" --output-on-failure
	;;
-h | --help | help)
	usage
	;;
*)
	usage >&2
	exit 2
	;;
esac
