#!/bin/sh
# Cross-checks ksegdoctor against python3-kafka on every non-empty .log file
# under the given tree: batch count, record count, first/last offset and CRC
# verdict must agree exactly.
set -u
KSD=${KSD:?set KSD}
root=${1:?usage: compare_realdata.sh DIR}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
find "$root" -name '*.log' -size +0 | sort >"$tmp/files"
[ -s "$tmp/files" ] || { echo "xcheck: no .log files under $root"; exit 1; }
# shellcheck disable=SC2046
/usr/bin/python3 "$here/segment_summary.py" $(cat "$tmp/files") >"$tmp/py.jsonl" || exit 1
fail=0
while IFS= read -r f; do
	"$KSD" scan --json --no-progress "$f" >>"$tmp/ksd.jsonl" 2>/dev/null
	echo >>"$tmp/ksd.jsonl"
done <"$tmp/files"
/usr/bin/python3 - "$tmp/py.jsonl" "$tmp/ksd.jsonl" <<'PYEOF' || fail=1
import json, sys
py = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
docs, buf = [], ""
for line in open(sys.argv[2]):
    buf += line
    if line.startswith("}"):
        docs.append(json.loads(buf)); buf = ""
assert len(py) == len(docs), (len(py), len(docs))
bad = 0
for p, d in zip(py, docs):
    segs = [s for ld in d["log_dirs"] for part in ld["partitions"] for s in part["segments"]]
    s = segs[0]
    crc_ok = not any(f["code"] == "crc-mismatch" for f in d["findings"])
    got = (s["batches"], s["records"], s["first_offset"], s["last_offset"], crc_ok)
    want = (p["batches"], p["records"], p["first_offset"], p["last_offset"], p["crc_ok"])
    if got != want:
        bad += 1
        print("xcheck MISMATCH %s: ksegdoctor %s python3-kafka %s" % (p["path"], got, want))
print("xcheck: %d segments compared with python3-kafka, %d mismatches" % (len(py), bad))
sys.exit(1 if bad else 0)
PYEOF
exit $fail
