#!/bin/sh
# What each directory-level analysis costs, on a generated healthy log dir
# of 1.5 GB (8 partitions of topic "bench"), against `cat` of the same .log
# files.  Warm page cache, medians of 5 runs (hyperfine).  `compaction`
# treats the topic as compacted (--compacted-topic bench) so it decodes
# every record, the worst case.
#
#   scripts/bench-diagnosis.sh [BYTES] [CODEC]     default 1536M none
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
KSD=${KSD:-$here/build/ksegdoctor}
GEN=${KSD_GEN:-$here/build/ksd-gen}
bytes=${1:-1536M}
codec=${2:-none}
. "$here/scripts/bench-lib.sh"
bench_prepare "$bytes" "$codec"

q="--no-progress"
hyperfine --warmup 1 --runs 5 -i --export-json "$here/build/bench-diagnosis.json" \
	-n "cat" "cat $logs > /dev/null" \
	-n "sizes" "$KSD sizes $dir > /dev/null" \
	-n "scan --quick" "$KSD scan $q --quick $dir > /dev/null" \
	-n "scan (crc)" "$KSD scan $q $dir > /dev/null" \
	-n "preflight --quick" "$KSD preflight $q --quick --target 4.0.0 $dir > /dev/null" \
	-n "recovery (crc)" "$KSD recovery $q $dir > /dev/null" \
	-n "compaction" "$KSD compaction $q --compacted-topic bench $dir > /dev/null"

bench_table "$here/build/bench-diagnosis.json" "$total"

echo "\npeak RSS (KiB):"
for c in "scan $q" "recovery $q" "preflight $q --target 4.0.0" "compaction $q --compacted-topic bench"; do
	rss=$(/usr/bin/time -f %M $KSD $c "$dir" 2>&1 >/dev/null | tail -1)
	echo "  $c: $rss"
done
