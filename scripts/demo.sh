#!/bin/sh
# scripts/demo.sh BIN GEN OUTDIR - the `make demo` walkthrough.
#
# Regenerates OUTDIR with a sample broker (two JBOD log dirs written by
# GEN = ksd-gen) and scans it with BIN = ksegdoctor as a 0.9.0.1 broker
# would see it.  The scan finds problems on purpose, so its exit status 4
# ("findings") counts as success here; 0 does too, anything else fails.
set -eu

if [ "$#" -ne 3 ]; then
	echo "usage: $0 BIN GEN OUTDIR" >&2
	exit 2
fi
bin=$1
gen=$2
out=$3

# rm -rf only what we were told to regenerate, and never something vague.
case "$out" in
"" | "/" | "." | "..")
	echo "demo.sh: refusing to regenerate '$out'" >&2
	exit 2
	;;
esac
rm -rf -- "$out"
mkdir -p -- "$out"
"$gen" demo "$out"

dirs="$out/kafka-logs-1 $out/kafka-logs-2"
cat <<EOF

==========================================================================
 ksegdoctor demo: one broker (broker.id=1), two log dirs (JBOD) under
   $out
 Planted on purpose:
   kafka-logs-1  __consumer_offsets-17: sparse compacted segment whose
                 offsets span 0..1232493226 (the 0.9 cleaner's dead end),
                 and a stray notes.txt in the root
   kafka-logs-2  orders-0 CRC-damaged batch, orders-1 torn tail,
                 orders-2 size-5 entry before valid batches, lost+found/
==========================================================================

\$ $(basename "$bin") scan --kafka-version 0.9.0.1 $dirs
EOF

status=0
# Options go before the paths: works for any getopt-style parser.
"$bin" scan --kafka-version 0.9.0.1 "$out/kafka-logs-1" "$out/kafka-logs-2" ||
	status=$?
case "$status" in
0 | 4) ;;
*)
	echo "demo.sh: scan failed with exit status $status" >&2
	exit "$status"
	;;
esac

# The same tree through the directory-level views: what the next start
# does, whether the data is ready for a 4.0 upgrade, and the plan (only the
# plan: no --apply) that would quarantine the headline segment.
for view in "recovery --kafka-version 0.9.0.1" "preflight --kafka-version 0.9.0.1 --target 4.0.0" \
	"quarantine --kafka-version 0.9.0.1 --finding cleaner-map-overflow"; do
	echo
	echo "\$ $(basename "$bin") $view $dirs"
	vstatus=0
	# shellcheck disable=SC2086 # $view is a list of words on purpose
	"$bin" $view "$out/kafka-logs-1" "$out/kafka-logs-2" || vstatus=$?
	case "$vstatus" in
	0 | 4) ;;
	*)
		echo "demo.sh: $view failed with exit status $vstatus" >&2
		exit "$vstatus"
		;;
	esac
done

cat <<EOF

(scan exit status $status: 0 = clean, 4 = findings, as planted)
Machine-readable report:
  $bin scan --json --kafka-version 0.9.0.1 $dirs
EOF
