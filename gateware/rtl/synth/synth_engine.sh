#!/bin/sh
# Synthesis check of hb_engine alone on the three families (yosys only, no place and route):
#   ice40  P=32,  unified memory in 4 x SB_SPRAM256KA (iCE40UP5K), 784-128-10 at L=256 fits
#   ecp5   P=256, generic inferred RAM (target: LFE5U-85F)
#   xilinx P=256, generic inferred RAM (target: XC7A35T)
# Usage: synth_engine.sh [ice40|ecp5|xilinx ...] [-o OUTDIR]; prints the resource use
# (yosys `stat`) of each run and keeps the full logs in OUTDIR (default ./synth-out).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
out=./synth-out
fams=""
while [ $# -gt 0 ]; do
    case "$1" in
        -o) out=$2; shift 2 ;;
        ice40|ecp5|xilinx) fams="$fams $1"; shift ;;
        *) echo "usage: $0 [ice40|ecp5|xilinx ...] [-o OUTDIR]" >&2; exit 2 ;;
    esac
done
[ -n "$fams" ] || fams="ice40 ecp5 xilinx"
mkdir -p "$out"
src="$here/hb_engine.v $here/hb_ram.v"
for f in $fams; do
    case $f in
        ice40)  par="-set LANES 32 -set FAMILY 1 -set WMEM_BYTES 105984 -set IMEM_BYTES 25088 -set HMEM_BITS 32768 -set MAX_L 512"
                syn="synth_ice40 -top hb_engine -dsp -abc9" ;;
        ecp5)   par="-set LANES 256 -set FAMILY 2 -set WMEM_BYTES 105984 -set IMEM_BYTES 25088 -set HMEM_BITS 65536 -set MAX_L 1024"
                syn="synth_ecp5 -top hb_engine" ;;
        xilinx) par="-set LANES 256 -set FAMILY 3 -set WMEM_BYTES 105984 -set IMEM_BYTES 25088 -set HMEM_BITS 65536 -set MAX_L 1024"
                syn="synth_xilinx -family xc7 -top hb_engine" ;;
    esac
    log="$out/engine-$f.log"
    echo "== hb_engine $f ($par)"
    yosys -q -l "$log" -p "read_verilog $src; chparam $par hb_engine; $syn; tee -o $out/engine-$f.stat stat" >/dev/null
    sed -n '/Number of cells/,$p' "$out/engine-$f.stat"
done
