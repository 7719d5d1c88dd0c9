#!/bin/sh
# Fuzz every parser of outside input with libFuzzer (ASan + UBSan), SECONDS each.
#   tests/fuzz/run-fuzz.sh                 # all targets, 60 s each
#   tests/fuzz/run-fuzz.sh 20              # CI (.ci/run): all targets, 20 s each
#   tests/fuzz/run-fuzz.sh 3600 net board  # a long run of two targets (docs/security.md)
# Targets: link_decoder net digits board telnet vb_ctl ina219.
# Configures a separate clang build in build-fuzz/ (the main build uses gcc). New
# interesting inputs go to build-fuzz/corpus-<target>/ (the checked-in seed corpus
# tests/fuzz/corpus/<target>/ is only read); crashes, leaks, timeouts and out-of-memory
# inputs to build-fuzz/artifacts/<target>/. Exit status 1 when any target found something.
set -eu
secs=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-link_decoder net digits board telnet vb_ctl ina219}
root=$(cd "$(dirname "$0")/../.." && pwd)
bdir="$root/build-fuzz"
CC=${CC_FUZZ:-clang} CXX=${CXX_FUZZ:-clang++} cmake -S "$root" -B "$bdir" \
	-DHB_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
exes=""
for t in $targets; do exes="$exes fuzz_$t"; done
# shellcheck disable=SC2086 # one argument per target
cmake --build "$bdir" --target $exes -j"${HB_JOBS:-2}" >/dev/null

failed=""
for t in $targets; do
	seeds="$root/tests/fuzz/corpus/$t"
	[ "$t" = link_decoder ] && seeds="$root/tests/fuzz/corpus/link"
	case "$t" in
	net | digits | vb_ctl | link_decoder) maxlen=8192 ;;
	board) maxlen=4096 ;;
	*) maxlen=2048 ;;
	esac
	mkdir -p "$bdir/corpus-$t" "$bdir/artifacts/$t"
	echo "fuzz: $t for $secs s (seeds $seeds)"
	# -timeout: one input running > 5 s is a hang; -rss_limit_mb/-malloc_limit_mb: growth.
	if ! "$bdir/tests/fuzz/fuzz_$t" -max_total_time="$secs" -max_len="$maxlen" -timeout=5 \
		-rss_limit_mb=2048 -malloc_limit_mb=512 -print_final_stats=1 \
		-artifact_prefix="$bdir/artifacts/$t/" "$bdir/corpus-$t" "$seeds" \
		>"$bdir/fuzz-$t.log" 2>&1; then
		failed="$failed $t"
		tail -n 60 "$bdir/fuzz-$t.log"
	fi
	grep -E '^stat::number_of_executed_units|^#[0-9]+.*DONE' "$bdir/fuzz-$t.log" | tail -n 2 | sed "s/^/  $t: /"
done
if [ -n "$failed" ]; then
	echo "fuzz: FOUND something in:$failed (inputs in $bdir/artifacts/; add each, once fixed, to tests/fuzz/corpus/<target>/)"
	exit 1
fi
echo "fuzz: no findings ($targets)"
