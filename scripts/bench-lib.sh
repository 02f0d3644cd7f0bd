# Shared by scripts/bench.sh and scripts/bench-diagnosis.sh (sourced, not
# run): the generated log dir, the list of its .log files, and the table of
# hyperfine medians against `cat`.
#
# bench_prepare BYTES CODEC: sets dir, logs (space-separated .log paths)
# and total (their bytes), generating the dir on first use, and warms the
# page cache.  Needs here, GEN.
bench_prepare() {
	command -v hyperfine >/dev/null || { echo "bench: needs hyperfine (apt-get install hyperfine)" >&2; exit 1; }
	dir=$here/build/bench-$1-$2
	if [ ! -d "$dir" ]; then
		echo "bench: generating $1 ($2) into $dir"
		"$GEN" bench "$dir" --bytes "$1" --codec "$2"
	fi
	logs=$(find "$dir" -name '*.log' | sort | tr '\n' ' ')
	# shellcheck disable=SC2086 # $logs is a list of paths on purpose
	total=$(du -cb $logs | tail -1 | cut -f1)
	echo "bench: $(echo $logs | wc -w) segments, $total bytes of .log in $dir; $(nproc) CPUs"
	# shellcheck disable=SC2086
	cat $logs >/dev/null
}

# bench_table JSON TOTAL: median, GB/s and ratio to the "cat" run.
bench_table() {
	/usr/bin/python3 - "$1" "$2" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1])); total = int(sys.argv[2])
res = {r["command"]: r for r in d["results"]}
cat = res["cat"]["median"]
print("\n%-26s %9s %9s %8s" % ("command", "median s", "GB/s", "vs cat"))
for name, r in res.items():
    m = r["median"]
    print("%-26s %9.3f %9.2f %7.2fx" % (name, m, total / m / 1e9, m / cat))
PYEOF
}
