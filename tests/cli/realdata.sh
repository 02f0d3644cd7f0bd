#!/bin/sh
# Scans every real broker-written log dir in ../shared/realdata.
# These are healthy dirs: any warning or error finding is a false alarm and
# fails the test.  Skips (with a message) when ../shared is absent, as on a
# user's fresh clone.
set -u
KSD=${KSD:?set KSD to the ksegdoctor binary}
here=$(cd "$(dirname "$0")/../.." && pwd)
real=${KSD_REALDATA:-$here/../shared/realdata}
if [ ! -d "$real" ]; then
	echo "realdata: SKIPPED: $real not found (it ships beside the project checkout, not in it)"
	exit 0
fi
PY=/usr/bin/python3
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for dir in "$real"/*/; do
	name=$(basename "$dir")
	out="$tmp/$name.json"
	for level in crc headers; do
		"$KSD" scan --json --level "$level" --no-progress "$dir" >"$out" 2>"$tmp/err"
		rc=$?
		if [ "$name" = "kafka-rust__kafka-rust" ]; then
			# FetchResponse captures, not a log dir (MANIFEST.md): must be
			# refused cleanly as an operational error, never crash.
			if [ "$rc" -eq 8 ]; then pass=$((pass + 1)); else
				echo "FAIL $name ($level): exit $rc, expected 8"; fail=$((fail + 1)); fi
			continue
		fi
		bad=$("$PY" - "$out" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
bad = [f for f in d["findings"] if f["severity"] in ("warning", "error")]
for f in bad:
    print("  %s %s %s" % (f["severity"], f["code"], f["message"]))
if d["summary"]["segments"] == 0 and d["summary"]["partitions"] == 0:
    print("  nothing scanned")
PYEOF
)
		if [ "$rc" -eq 0 ] && [ -z "$bad" ]; then
			pass=$((pass + 1))
		else
			echo "FAIL $name ($level): exit $rc"
			[ -n "$bad" ] && echo "$bad"
			cat "$tmp/err"
			fail=$((fail + 1))
		fi
	done
done

# Every real segment decodes to the same batches as python3-kafka reads.
if [ -x "$here/tests/xcheck/compare_realdata.sh" ] && "$PY" -c 'import kafka' 2>/dev/null; then
	if "$here/tests/xcheck/compare_realdata.sh" "$real"; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
fi

echo "realdata: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
