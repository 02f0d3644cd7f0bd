#!/bin/sh
# Cross-checks against independent implementations (python3-kafka) and the
# real data in ../shared/realdata: every tests/xcheck/test_*.py.  Each
# prints "<name>: N passed, M failed" and skips what needs data it lacks.
set -u
here=$(dirname "$0")
if ! /usr/bin/python3 -c 'import kafka' 2>/dev/null; then
	echo "xcheck: SKIPPED: python3-kafka is not installed (make deps installs it)"
	exit 0
fi
fail=0
for t in "$here"/test_*.py; do
	[ -e "$t" ] || continue
	/usr/bin/python3 "$t" || fail=1
done
exit $fail
