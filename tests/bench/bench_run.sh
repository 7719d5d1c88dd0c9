#!/bin/bash
# bench_run: how long `hilbench run` takes on the virtual board, in wall and CPU seconds, and
# how many simulated cycles it evaluated per CPU-second, against the bare Verilated hb_top
# measured in the same run (bench_vboard). Goals (issue: virtual time): the default sim run
# <= 45 s wall, a digits run on a 24 MHz board (the iCEBreaker twin) <= 120 s wall, on this
# 2-core machine.
#
#   tests/bench/bench_run.sh [BUILD_DIR]      (default: build)
set -euo pipefail
B="${1:-build}"
H="$B/bench/hilbench"
[ -x "$H" ] || { echo "bench_run: no $H (build first)"; exit 2; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# one NAME ARGS...: run hilbench run ARGS, print wall, CPU, cycles
one() {
	local name="$1"
	shift
	local t0 t1 c0 c1
	t0=$(date +%s.%N)
	c0=$(awk '{print $14+$15+$16+$17}' /proc/$$/stat)
	"$H" run --no-db -q "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" || {
		echo "bench_run: $name failed:"; cat "$tmp/$name.out" "$tmp/$name.err"; exit 1; }
	t1=$(date +%s.%N)
	c1=$(awk '{print $14+$15+$16+$17}' /proc/$$/stat)
	local hz
	hz=$(getconf CLK_TCK)
	# "vboard: stopped at cycle N (... s simulated, K idle cycles skipped), ..."
	local line cyc skip
	line=$(grep 'vboard: stopped at cycle' "$tmp/$name.err" | tail -1)
	cyc=$(sed -E 's/.*at cycle ([0-9]+).*/\1/' <<<"$line")
	skip=$(sed -E 's/.*, ([0-9]+) idle cycles skipped.*/\1/' <<<"$line")
	local wall
	wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
	awk -v n="$name" -v w="$wall" -v c="$(( (c1 - c0) ))" -v hz="$hz" \
	    -v cyc="$cyc" -v sk="$skip" 'BEGIN {
		cpu = c / hz; ev = cyc - sk;
		printf "%-34s %7.1f s wall %7.1f s CPU %8.1f M cycles (%6.1f M evaluated) %5.2f M eval/CPU-s\n",
		       n, w, cpu, cyc / 1e6, ev / 1e6, ev / 1e6 / (cpu > 0 ? cpu : 1) }'
	echo "$name $wall" >>"$tmp/walls"
}

echo "bench_run: hilbench run on the virtual board ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
one "sim (default: digits, 1 MHz)"
one "icebreaker twin (digits, 24 MHz)" --board icebreaker --virtual
if [ -x "$B/tests/bench/bench_vboard" ]; then
	echo "baseline, same run: the bare Verilated hb_top (bench_vboard):"
	"$B/tests/bench/bench_vboard" | tail -3
fi
awk '
	/^sim/ { s = $NF } /^icebreaker/ { i = $NF }
	END {
		printf "goal: default sim run <= 45 s wall: %.1f s, %s\n", s, s <= 45 ? "met" : "NOT met";
		printf "goal: 24 MHz digits run <= 120 s wall: %.1f s, %s\n", i, i <= 120 ? "met" : "NOT met";
	}' "$tmp/walls"
