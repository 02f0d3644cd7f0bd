#!/bin/sh
# Benchmarks `ksegdoctor scan` on a generated healthy log dir against `cat`
# of the same .log files, at both levels and both I/O modes, and reports
# peak RSS.  Page cache is warm for every command (each is run once before
# timing): the comparison is CPU and memory-path cost, not disk speed.
#
#   scripts/bench.sh [BYTES] [CODEC]     default 1536M none
#
# Needs hyperfine (Debian package hyperfine).  The log dir is kept in
# build/bench-<bytes>-<codec> and reused by later runs.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
KSD=${KSD:-$here/build/ksegdoctor}
GEN=${KSD_GEN:-$here/build/ksd-gen}
bytes=${1:-1536M}
codec=${2:-none}
. "$here/scripts/bench-lib.sh"
bench_prepare "$bytes" "$codec"

hyperfine --warmup 1 --runs 5 --export-json "$here/build/bench.json" \
	-n "cat" "cat $logs > /dev/null" \
	-n "scan crc pread -j$(nproc)" "$KSD scan --no-progress $dir > /dev/null" \
	-n "scan crc pread -j1" "$KSD scan --no-progress -j1 $dir > /dev/null" \
	-n "scan crc mmap -j$(nproc)" "$KSD scan --no-progress --io mmap $dir > /dev/null" \
	-n "scan headers -j$(nproc)" "$KSD scan --no-progress --quick $dir > /dev/null" \
	-n "scan headers -j1" "$KSD scan --no-progress --quick -j1 $dir > /dev/null"

bench_table "$here/build/bench.json" "$total"

echo "\npeak RSS (KiB):"
for mode in "" "--quick" "--io mmap"; do
	rss=$(/usr/bin/time -f %M "$KSD" scan --no-progress $mode "$dir" 2>&1 >/dev/null | tail -1)
	echo "  scan $mode: $rss"
done
rss=$(/usr/bin/time -f %M cat $logs 2>&1 >/dev/null | tail -1)
echo "  cat: $rss"
