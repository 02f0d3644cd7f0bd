#!/bin/sh
# Runs every cmocka test binary given; fails if any fails.
set -u
fail=0
total=0
for t in "$@"; do
	total=$((total + 1))
	if ! "$t"; then
		echo "FAILED: $t" >&2
		fail=$((fail + 1))
	fi
done
echo "unit: $((total - fail)) passed, $fail failed"
[ "$fail" -eq 0 ]
