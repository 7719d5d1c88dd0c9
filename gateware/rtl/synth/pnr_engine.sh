#!/bin/sh
# Place-and-route measurement of hb_engine alone on the iCE40UP5K (P=32, SPRAM), in the pin
# wrapper hb_engine_pins.v: yosys synth_ice40 -dsp -abc9, nextpnr-ice40 --up5k --package sg48
# --freq 24. Usage: pnr_engine.sh [OUTDIR] [extra synth_ice40 options]; prints the cell
# counts and the achieved Fmax.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-./pnr-out}; shift || true
mkdir -p "$out"
yosys -q -l "$out/yosys.log" -p "read_verilog $here/hb_engine.v $here/hb_ram.v $here/synth/hb_engine_pins.v; synth_ice40 -top hb_engine_pins -dsp -abc9 $* -json $out/eng.json; tee -o $out/stat.txt stat" >/dev/null
sed -n '/Number of cells/,$p' "$out/stat.txt"
nextpnr-ice40 --up5k --package sg48 --json "$out/eng.json" --freq 24 --timing-allow-fail \
    -l "$out/nextpnr.log" -q --seed 1 >/dev/null 2>&1 || true
grep -E "ICESTORM_LC:|ICESTORM_RAM:|ICESTORM_DSP:|ICESTORM_SPRAM:|Max frequency" "$out/nextpnr.log" | tail -6
