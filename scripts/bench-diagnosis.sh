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
dir=$here/build/bench-$bytes-$codec
command -v hyperfine >/dev/null || { echo "bench: needs hyperfine (apt-get install hyperfine)" >&2; exit 1; }

if [ ! -d "$dir" ]; then
	echo "bench: generating $bytes ($codec) into $dir"
	"$GEN" bench "$dir" --bytes "$bytes" --codec "$codec"
fi
logs=$(find "$dir" -name '*.log' | sort | tr '\n' ' ')
total=$(du -cb $logs | tail -1 | cut -f1)
echo "bench: $(echo $logs | wc -w) segments, $total bytes of .log in $dir; $(nproc) CPUs"

q="--no-progress"
cat $logs >/dev/null # warm the page cache
hyperfine --warmup 1 --runs 5 -i --export-json "$here/build/bench-diagnosis.json" \
	-n "cat" "cat $logs > /dev/null" \
	-n "sizes" "$KSD sizes $dir > /dev/null" \
	-n "scan --quick" "$KSD scan $q --quick $dir > /dev/null" \
	-n "scan (crc)" "$KSD scan $q $dir > /dev/null" \
	-n "preflight --quick" "$KSD preflight $q --quick --target 4.0.0 $dir > /dev/null" \
	-n "recovery (crc)" "$KSD recovery $q $dir > /dev/null" \
	-n "compaction" "$KSD compaction $q --compacted-topic bench $dir > /dev/null"

/usr/bin/python3 - "$here/build/bench-diagnosis.json" "$total" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1])); total = int(sys.argv[2])
res = {r["command"]: r for r in d["results"]}
cat = res["cat"]["median"]
print("\n%-22s %9s %9s %8s" % ("command", "median s", "GB/s", "vs cat"))
for name, r in res.items():
    m = r["median"]
    print("%-22s %9.3f %9.2f %7.2fx" % (name, m, total / m / 1e9, m / cat))
PYEOF

echo "\npeak RSS (KiB):"
for c in "scan $q" "recovery $q" "preflight $q --target 4.0.0" "compaction $q --compacted-topic bench"; do
	rss=$(/usr/bin/time -f %M $KSD $c "$dir" 2>&1 >/dev/null | tail -1)
	echo "  $c: $rss"
done
