#!/bin/sh
# Installs what ksegdoctor needs to build and test, on Debian or Ubuntu,
# only when something is missing.  Uses sudo when not root; says clearly
# what to install by hand when neither works.
set -eu

# Build: compiler, pkg-config, libcrypto (SHA-256 for quarantine manifests),
# the codec libraries (zlib and libdeflate
# for gzip), cmocka.
# Test-only: python3-kafka (+ codecs) for cross-checks against an
# independent decoder; strace for the crash suite's real syscall fault
# injection (tests/crash/run.py); clang for the libFuzzer targets (optional).
PKGS="gcc make pkg-config zlib1g-dev libdeflate-dev liblz4-dev libzstd-dev libsnappy-dev libssl-dev libcmocka-dev
python3 python3-kafka python3-snappy python3-lz4 python3-zstandard strace"

missing=""
if command -v dpkg-query >/dev/null 2>&1; then
	for p in $PKGS; do
		status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
		case "$status" in
		*"install ok installed"*) ;;
		*) missing="$missing $p" ;;
		esac
	done
else
	# Not Debian: check what the build needs and explain.
	if ! pkg-config --exists zlib libdeflate liblz4 libzstd snappy libcrypto cmocka 2>/dev/null; then
		echo "install-deps: not a Debian/Ubuntu system; install zlib, libdeflate, lz4, zstd, snappy, OpenSSL (libcrypto) and" >&2
		echo "cmocka development packages and pkg-config, then re-run make." >&2
		exit 1
	fi
	exit 0
fi

[ -z "$missing" ] && exit 0

echo "install-deps: installing:$missing"
if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
	SUDO="sudo -n"
elif command -v sudo >/dev/null 2>&1 && [ -t 0 ]; then
	SUDO="sudo"
else
	echo "install-deps: missing packages:$missing" >&2
	echo "install-deps: not root and sudo is unavailable; run as root:" >&2
	echo "    apt-get install -y$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || true
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
