#!/bin/sh
# Replays each fuzz target's saved corpus (testdata/fuzz/<target>/) through
# its plain replay driver, so past crash reproducers stay fixed.  When
# ../shared/realdata is beside the checkout, real broker files of the kind a
# target decodes are replayed too, by path (they are never copied into the
# repository).
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
real=${KSD_REALDATA:-$here/../shared/realdata}
fail=0
total=0

# Real files (under 1 MiB) each target should see, as find(1) name patterns.
real_patterns() {
	case "$1" in
	fuzz_segment | fuzz_records) echo "*.log" ;;
	fuzz_snapshot) echo "*.snapshot *.checkpoint" ;;
	fuzz_index) echo "*.index *.timeindex *.txnindex" ;;
	fuzz_textfiles) echo "meta.properties *-checkpoint partition.metadata quorum-state .kafka_cleanshutdown" ;;
	fuzz_properties) echo "meta.properties *-checkpoint" ;;
	*) echo "" ;;
	esac
}

for bin in "$@"; do
	total=$((total + 1))
	name=$(basename "$bin")
	corpus=""
	[ -d "testdata/fuzz/$name" ] && corpus="testdata/fuzz/$name"
	list=""
	if [ -d "$real" ]; then
		list=$(mktemp)
		for pat in $(real_patterns "$name"); do
			find "$real" -type f -name "$pat" -size -1024k >>"$list"
		done
	fi
	[ -n "$corpus" ] && echo "$corpus" >>"${list:=$(mktemp)}"
	if [ -n "$list" ] && [ -s "$list" ]; then
		tr '\n' '\0' <"$list" | xargs -0 "$bin" || { echo "FAILED: $name" >&2; fail=$((fail + 1)); }
	else
		"$bin" || { echo "FAILED: $name" >&2; fail=$((fail + 1)); }
	fi
	[ -n "$list" ] && rm -f "$list"
done
echo "fuzz-replay: $((total - fail)) passed, $fail failed"
[ "$fail" -eq 0 ]
