#!/bin/sh
# Place-and-route measurement of the link side alone on the iCEBreaker (UP5K): the board top
# and hb_top with hb_engine replaced by synth/hb_engine_standin.v; yosys synth_ice40 -dsp
# -abc9, nextpnr-ice40 --up5k --package sg48 --freq 24. Usage: pnr_link.sh [OUTDIR]; prints
# the cell counts and the logic cells used (the stand-in's few tens included).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
brd=$here/../boards
out=${1:-./pnr-link}
mkdir -p "$out"
yosys -q -l "$out/yosys.log" -p "read_verilog -DSYNTHESIS $here/hb_top.v $here/hb_cmd.v $here/hb_frame_rx.v $here/hb_frame_tx.v $here/hb_uart_rx.v $here/hb_uart_tx.v $here/hb_crc8.v $here/hb_crc16.v $here/synth/hb_engine_standin.v $brd/hb_board_icebreaker.v; synth_ice40 -top hb_board_icebreaker -dsp -abc9 -json $out/link.json; tee -o $out/stat.txt stat" >/dev/null
sed -n '/Number of cells/,$p' "$out/stat.txt"
nextpnr-ice40 --up5k --package sg48 --pcf "$brd/icebreaker.pcf" --json "$out/link.json" --freq 24 \
    --timing-allow-fail -l "$out/nextpnr.log" -q --seed 1 >/dev/null 2>&1 || true
grep -E "ICESTORM_LC:|ICESTORM_RAM:|Max frequency" "$out/nextpnr.log" | tail -4
