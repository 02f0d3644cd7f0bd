#!/bin/sh
# Replays each fuzz target's saved corpus (testdata/fuzz/<target>/) through
# its plain replay driver, so past crash reproducers stay fixed.
set -u
fail=0
for bin in "$@"; do
	name=$(basename "$bin")
	dir="testdata/fuzz/$name"
	if [ -d "$dir" ]; then
		"$bin" "$dir" || { echo "FAILED: $name" >&2; fail=$((fail + 1)); }
	else
		"$bin" || { echo "FAILED: $name" >&2; fail=$((fail + 1)); }
	fi
done
echo "fuzz-replay: $(( $# - fail )) passed, $fail failed"
[ "$fail" -eq 0 ]
