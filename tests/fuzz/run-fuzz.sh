#!/bin/sh
# Fuzz the link decoder and payload codecs with libFuzzer for N seconds (default 60).
#   tests/fuzz/run-fuzz.sh          # 60 s
#   tests/fuzz/run-fuzz.sh 30       # CI
#   tests/fuzz/run-fuzz.sh 3600     # a long run (docs/protocol.md §9)
# Configures a separate clang build in build-fuzz/ (the main build uses gcc).
# New interesting inputs go to build-fuzz/corpus-link/ (the checked-in seed
# corpus tests/fuzz/corpus/link/ is only read); crashes to build-fuzz/artifacts/.
set -eu
secs=${1:-60}
root=$(cd "$(dirname "$0")/../.." && pwd)
bdir="$root/build-fuzz"
CC=${CC_FUZZ:-clang} CXX=${CXX_FUZZ:-clang++} cmake -S "$root" -B "$bdir" \
	-DHB_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$bdir" --target fuzz_link_decoder -j2 >/dev/null
mkdir -p "$bdir/corpus-link" "$bdir/artifacts"
exec "$bdir/tests/fuzz/fuzz_link_decoder" -max_total_time="$secs" -max_len=8192 \
	-artifact_prefix="$bdir/artifacts/" -print_final_stats=1 \
	"$bdir/corpus-link" "$root/tests/fuzz/corpus/link"
