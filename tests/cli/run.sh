#!/bin/sh
# CLI tests: every tests/cli/test_*.py runs the real binary on generated
# trees and checks exact exit codes and output.  Needs KSD and KSD_GEN
# (set by `make test-cli`).  Each file prints "cli: N passed, M failed".
set -u
here=$(dirname "$0")
fail=0
for t in "$here"/test_*.py; do
	/usr/bin/python3 "$t" || fail=1
done
exit $fail
