#!/bin/sh
# How close ksd_decode and deep record iteration come to the codec libraries
# themselves (issue 3), one core, on generated and real batches.
#
#   scripts/bench-codecs.sh [BYTES] [ROUNDS]      default 256M 11
#
# Generates one healthy log dir per codec with `ksd-gen bench` (16 KiB
# batches; cached in build/bench-codecs/<codec>-<BYTES>), adds the real
# compressed log dirs of ../shared/realdata when present, runs
# build/codec_bench on each (interleaved rounds, medians; see
# tests/bench/codec_bench.c) and prints one table.  MB/s are of compressed
# payload bytes; % is the median over rounds of the mode's speed relative
# to the library call in the same round.  Run by `make bench-codecs`.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
BENCH=${CODEC_BENCH:-$here/build/codec_bench}
GEN=${KSD_GEN:-$here/build/ksd-gen}
bytes=${1:-256M}
rounds=${2:-11}
cache=$here/build/bench-codecs
real=${KSD_REALDATA:-$here/../shared/realdata}
out=$cache/results-$bytes.txt
mkdir -p "$cache"

for codec in gzip snappy lz4 zstd; do
	dir=$cache/$codec-$bytes
	if [ ! -d "$dir" ]; then
		echo "bench-codecs: generating $bytes of $codec batches into $dir" >&2
		"$GEN" bench "$dir.tmp" --bytes "$bytes" --codec "$codec" >&2
		mv "$dir.tmp" "$dir"
	fi
done

echo "bench-codecs: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $rounds rounds per codec" >&2
: > "$out"
run() { # label codec path...
	label=$1 codec=$2
	shift 2
	echo "bench-codecs: $label $codec" >&2
	"$BENCH" --rounds "$rounds" --codec "$codec" "$@" 2>/dev/null |
		sed -n "s/^\(meta\|row\) /\1 $label /p" >> "$out"
}
for codec in gzip snappy lz4 zstd; do
	run generated "$codec" "$cache/$codec-$bytes"
done
# CRC-32 (v0/v1 messages): zlib vs libdeflate over the generated gzip batches.
echo "bench-codecs: CRC-32" >&2
"$BENCH" --rounds "$rounds" --codec none --crc "$cache/gzip-$bytes" 2>/dev/null |
	sed -n 's/^row crc /crc generated /p' >> "$out"
if [ -d "$real" ]; then
	# The only real compressed v2 batches (../shared/realdata/MANIFEST.md).
	run real lz4 "$real/mscaldas2012__kafka-connect-spooldir"
	run real gzip "$real/berkayakcay__toy-node-log-collector@3c85883"
	"$BENCH" --rounds "$rounds" --codec none --crc "$real" 2>/dev/null |
		sed -n 's/^row crc /crc real /p' >> "$out"
else
	echo "bench-codecs: no $real, real batches skipped" >&2
fi

# One line per (data, codec, library): the library call, ksd_decode and deep
# iteration, each in MB/s of compressed payload, the last two also as % of
# that library in the same rounds.  gzip has two libraries: ksd_decode uses
# libdeflate (zlib only for members libdeflate refuses).
awk '
$1 == "meta" { batches[$2" "$3] = $4; inb[$2" "$3] = $5; outb[$2" "$3] = $6 }
$1 == "row" {
	k = $2" "$3; mode = $4; mbs[k" "mode] = $5
	for (i = 7; i <= NF; i++) {
		split($i, kv, "="); pct[k" "mode" "kv[1]] = kv[2]
		if (!((k" "kv[1]) in haslib)) { haslib[k" "kv[1]] = 1; lib[k, ++nlib[k]] = kv[1] }
	}
	if (!(k in seen)) { seen[k] = 1; order[++n] = k }
}
$1 == "crc" { crc[++nc] = $0 }
END {
	printf "%-9s %-6s %7s %7s %-10s %9s %18s %18s\n", "data", "codec", "batches", "B/batch", "library", "lib MB/s", "ksd_decode MB/s", "deep MB/s"
	for (i = 1; i <= n; i++) {
		k = order[i]; split(k, dk, " ")
		for (j = nlib[k]; j >= 1; j--) { # gzip: libdeflate, then zlib
			l = lib[k, j]
			printf "%-9s %-6s %7d %7.0f %-10s %9.1f %9.1f (%5.1f%%) %9.1f (%5.1f%%)\n", dk[1], dk[2], batches[k], inb[k] / batches[k], l, mbs[k" "l], mbs[k" ksd_decode"], pct[k" ksd_decode "l], mbs[k" deep"], pct[k" deep "l]
		}
	}
	if (nc) print "\nCRC-32 (zlib crc32 vs libdeflate_crc32, GB/s of entry bytes):"
	for (i = 1; i <= nc; i++) {
		split(crc[i], c, " "); split(c[5], kv, "="); split(c[6], sz, "=")
		printf "  %-9s %-18s %6.2f GB/s (%6.1f%% of zlib), entries of %.0f B on average\n", c[2], c[3], c[4], kv[2], sz[2]
	}
}' "$out"
