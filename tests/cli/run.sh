#!/bin/sh
# CLI tests: run the real binary on generated trees; exact exit codes and
# finding codes.  Needs KSD and KSD_GEN (set by `make test-cli`).
set -eu
exec /usr/bin/python3 "$(dirname "$0")/test_scan.py"
