#!/usr/bin/python3
"""CLI tests for `ksegdoctor scan` on trees written by `ksd-gen`.

Each test runs the real binary and checks the exact exit code and the exact
set of finding codes (with severities and key numbers) in --json output.
"""
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KSD = os.environ.get("KSD", os.path.join(ROOT, "build", "ksegdoctor"))
GEN = os.environ.get("KSD_GEN", os.path.join(ROOT, "build", "ksd-gen"))
TMP = tempfile.mkdtemp(prefix="ksd-cli-")
from clitest import results, test  # noqa: E402 - shared runner


def run(*args, check_json=True):
    p = subprocess.run([KSD, *args], capture_output=True, text=True, timeout=120)
    doc = None
    if check_json and "--json" in args:
        doc = json.loads(p.stdout)
    return p.returncode, doc, p.stdout, p.stderr


def scenario(name):
    path = os.path.join(TMP, name)
    if not os.path.exists(path):
        subprocess.run([GEN, "scenario", name, path], check=True, capture_output=True)
    return path


# Directory-level info findings (issue 4) that depend on how a fixture was
# written (clock, shutdown marker, index copies); test_diagnosis.py checks
# each of them exactly, so the pathology tests here leave them out.
DIAG_INFO = {"unclean-shutdown", "missing-index", "orphan-file", "legacy-format",
             "expired-timestamp", "producer-state-rebuild", "checkpoint-mismatch",
             "duplicate-partition"}


def codes(doc):
    return sorted((f["code"], f["severity"]) for f in doc["findings"]
                  if not (f["code"] in DIAG_INFO and f["severity"] == "info"))


def finding(doc, code):
    hits = [f for f in doc["findings"] if f["code"] == code]
    assert len(hits) == 1, "expected one %s, got %r" % (code, codes(doc))
    return hits[0]


def write_props(text):
    fd, path = tempfile.mkstemp(suffix=".properties", dir=TMP)
    os.write(fd, text.encode())
    os.close(fd)
    return path


# --- one pathology per scenario: must fire, and nothing else ---------------

@test
def healthy_is_clean_at_both_levels():
    for level in ("crc", "headers"):
        rc, doc, _, _ = run("scan", "--json", "--level", level, scenario("healthy"))
        assert rc == 0, rc
        assert codes(doc) == [], codes(doc)
        assert doc["summary"]["segments"] > 3
        magics = {m for ld in doc["log_dirs"] for p in ld["partitions"]
                  for s in p["segments"] for m in s["magics"]}
        assert magics == {0, 1, 2}, magics
        cds = {c for ld in doc["log_dirs"] for p in ld["partitions"]
               for s in p["segments"] for c in s["codecs"]}
        assert {"gzip", "snappy", "lz4", "zstd", "none"} <= cds, cds


@test
def healthy_is_clean_for_every_kafka_version():
    for v in ("0.9.0.1", "0.10.0.1", "2.8.0", "4.0.0"):
        rc, doc, _, _ = run("scan", "--json", "--kafka-version", v, scenario("healthy"))
        assert rc == 0 and codes(doc) == [], (v, rc, codes(doc))


@test
def headline_is_error_on_0_9_0_1():
    rc, doc, _, _ = run("scan", "--json", "--kafka-version", "0.9.0.1", scenario("headline"))
    assert rc == 4, rc
    assert codes(doc) == [("cleaner-map-overflow", "error")], codes(doc)
    f = finding(doc, "cleaner-map-overflow")
    assert f["estimate"] == 1232493227, f
    assert f["capacity"] == 5033164, f
    assert f["max_capacity"] == 80530636, f
    assert f["buffer_can_help"] is False
    assert f["next_segment_base_offset"] == 1232493227
    assert f["records"] > 0 and f["records"] < 1000000
    assert f["partition"] == "__consumer_offsets-17"
    assert "no buffer setting can help" in f["message"]


@test
def headline_is_warning_when_version_unknown():
    rc, doc, _, _ = run("scan", "--json", scenario("headline"))
    assert rc == 0, rc
    assert codes(doc) == [("cleaner-map-overflow", "warning")], codes(doc)
    assert "version unknown" in doc["findings"][0]["message"]
    rc, _, _, _ = run("scan", "--json", "--fail-on", "warning", scenario("headline"))
    assert rc == 4, rc


@test
def headline_not_applicable_from_0_10_1():
    for v in ("0.10.1.0", "0.11.0.3", "3.7.0"):
        rc, doc, _, _ = run("scan", "--json", "--kafka-version", v, scenario("headline"))
        assert rc == 0 and codes(doc) == [], (v, codes(doc))


@test
def headline_on_0_9_0_0_uses_its_500mib_default():
    # 0.9.0.0 defaults: 500 MiB buffer and log.cleaner.enable=false (KAFKA-2988)
    rc, doc, _, _ = run("scan", "--json", "--kafka-version", "0.9.0.0", scenario("headline"))
    f = finding(doc, "cleaner-map-overflow")
    assert f["capacity"] == 19660799, f
    assert f["severity"] == "warning", f  # cleaner disabled by default
    rc, doc, _, _ = run("scan", "--json", "--kafka-version", "0.9.0.0",
                        "--broker-config", write_props("log.cleaner.enable=true\n"),
                        scenario("headline"))
    assert rc == 4 and finding(doc, "cleaner-map-overflow")["severity"] == "error"


@test
def settings_from_flags_and_broker_config():
    rc, doc, _, _ = run("scan", "--json", "--kafka-version", "0.9.0.1",
                        "--dedupe-buffer-size", "2G", "--cleaner-threads", "2",
                        "--cleaner-load-factor", "0.5", scenario("headline"))
    f = finding(doc, "cleaner-map-overflow")
    # floor(floor(min(2^31/2, 2^31-1)/24) * 0.5)
    assert f["capacity"] == (2**31 // 2 // 24) // 2, f
    props = write_props("log.cleaner.dedupe.buffer.size=1073741824\nlog.cleaner.threads = 1\n")
    rc, doc, _, _ = run("scan", "--json", "--kafka-version", "0.9.0.1",
                        "--broker-config", props, scenario("headline"))
    assert finding(doc, "cleaner-map-overflow")["capacity"] == int((2**30 // 24) * 0.9)
    # an explicit flag wins over the file
    rc, doc, _, _ = run("scan", "--json", "--kafka-version", "0.9.0.1", "--broker-config",
                        props, "--dedupe-buffer-size", "128M", scenario("headline"))
    assert finding(doc, "cleaner-map-overflow")["capacity"] == 5033164


@test
def zero_dot_10_0_counts_distinct_keys():
    rc, doc, _, _ = run("scan", "--json", "--kafka-version", "0.10.0.1", scenario("headline"))
    assert rc == 0 and codes(doc) == [], codes(doc)  # keys fit 128 MiB
    rc, doc, _, _ = run("scan", "--json", "--kafka-version", "0.10.0.1",
                        "--dedupe-buffer-size", "24K", scenario("headline"))
    assert rc == 4, rc
    f = finding(doc, "cleaner-map-overflow")
    assert f["capacity"] == 921 and f["buffer_can_help"] is True, f


@test
def compacted_topic_flag_extends_the_check():
    root = os.path.join(TMP, "custom-compacted")
    shutil.copytree(scenario("headline"), root)
    os.rename(os.path.join(root, "__consumer_offsets-17"), os.path.join(root, "user-state-3"))
    rc, doc, _, _ = run("scan", "--json", "--kafka-version", "0.9.0.1", root)
    assert rc == 0 and codes(doc) == [], codes(doc)  # not known to be compacted
    rc, doc, _, _ = run("scan", "--json", "--kafka-version", "0.9.0.1",
                        "--compacted-topic", "other", "--compacted-topic", "user-state", root)
    assert rc == 4 and codes(doc) == [("cleaner-map-overflow", "error")], codes(doc)
    rc, doc, _, _ = run("scan", "--json", "--kafka-version", "0.9.0.1",
                        scenario("cleaner-large-span-new"))
    assert codes(doc) == [("cleaner-map-overflow", "error")], codes(doc)


@test
def modern_sparse_compacted_segment_is_not_flagged():
    rc, doc, _, _ = run("scan", "--json", scenario("cleaner-large-span-new"))
    assert rc == 0 and codes(doc) == [], codes(doc)


def expect_single(name, code, severity, rc_want):
    rc, doc, _, _ = run("scan", "--json", scenario(name))
    assert codes(doc) == [(code, severity)], codes(doc)
    assert rc == rc_want, rc
    return finding(doc, code)


@test
def crc_mismatch_v2():
    f = expect_single("crc-mismatch", "crc-mismatch", "error", 4)
    assert f["stored_crc"] != f["computed_crc"]
    assert f["position"] is not None and f["magic"] == 2


@test
def crc_mismatch_v1():
    f = expect_single("crc-mismatch-v1", "crc-mismatch", "error", 4)
    assert f["magic"] == 1


@test
def quick_level_skips_crc():
    rc, doc, _, _ = run("scan", "--json", "--quick", scenario("crc-mismatch"))
    assert rc == 0 and codes(doc) == [], codes(doc)
    assert doc["level"] == "headers"


@test
def mmap_io_gives_the_same_answer():
    for name in ("crc-mismatch", "torn-tail", "corrupt-entry", "healthy"):
        a = run("scan", "--json", scenario(name))[1]
        b = run("scan", "--json", "--io", "mmap", scenario(name))[1]
        assert codes(a) == codes(b), (name, codes(a), codes(b))


@test
def torn_tail_in_active_segment_is_a_warning():
    f = expect_single("torn-tail", "torn-tail", "warning", 0)
    assert f["active_segment"] is True
    assert f["truncate_to"] == f["position"]
    assert f["torn_bytes"] > 0


@test
def zero_tail_is_preallocated_tail():
    f = expect_single("zero-tail", "preallocated-tail", "warning", 0)
    assert f["zero_bytes"] == 8192, f


@test
def corrupt_entry_resyncs_and_counts_what_lies_beyond():
    f = expect_single("corrupt-entry", "corrupt-entry", "error", 4)
    assert f["size_field"] == 5, f
    assert f["valid_batches_beyond"] >= 3, f
    assert f["valid_bytes_beyond"] > 0
    assert "would discard" in f["message"]


@test
def unknown_magic_is_corrupt_entry():
    f = expect_single("unknown-magic", "corrupt-entry", "error", 4)
    assert f["magic"] == 7 and f["valid_batches_beyond"] >= 3, f


@test
def offset_overflow():
    f = expect_single("offset-overflow", "offset-overflow", "error", 4)
    assert f["relative_offset"] == 2**31 + 10, f


@test
def segment_overlap():
    f = expect_single("segment-overlap", "segment-overlap", "error", 4)
    assert f["last_offset"] == 150 and f["next_segment_base_offset"] == 100, f


@test
def base_offset_mismatch():
    f = expect_single("base-offset-mismatch", "base-offset-mismatch", "error", 4)
    assert f["batch_offset"] == 50 and f["segment_base_offset"] == 100, f


@test
def foreign_directory_only_when_root_given():
    root = scenario("foreign-directory")
    f = expect_single("foreign-directory", "foreign-directory", "error", 4)
    assert f["path"].endswith("lost+found"), f
    parts = [os.path.join(root, d) for d in os.listdir(root)
             if os.path.isdir(os.path.join(root, d)) and d != "lost+found"]
    rc, doc, _, _ = run("scan", "--json", *parts)
    assert rc == 0 and codes(doc) == [], codes(doc)


@test
def leftover_files_are_reported_with_what_startup_does():
    root = os.path.join(TMP, "leftovers")
    shutil.copytree(scenario("healthy"), root)
    part = os.path.join(root, "events-0")
    shutil.copy(os.path.join(part, "00000000000000000000.log"),
                os.path.join(part, "00000000000000000000.log.deleted"))
    open(os.path.join(part, "00000000000000000433.log.swap"), "wb").close()
    open(os.path.join(part, "00000000000000000433.index.cleaned"), "wb").close()
    # interrupted checkpoint writes are routine, not leftovers
    open(os.path.join(root, "recovery-point-offset-checkpoint.tmp"), "w").write("0\n0\n")
    rc, doc, _, _ = run("scan", "--json", root)
    assert rc == 0, rc
    assert codes(doc) == [("leftover-file", "warning")] * 3, codes(doc)
    left = [f for f in doc["findings"] if f["code"] == "leftover-file"]
    states = sorted(f["state"] for f in left)
    assert states == ["cleaned", "deleted", "swap"], states
    assert all(f["partition"] == "events-0" for f in left)
    rc, _, _, _ = run("scan", "--json", "--fail-on", "warning", root)
    assert rc == 4


# --- inputs -------------------------------------------------------------------

@test
def partition_glob_groups_under_log_dir():
    root = scenario("healthy")
    parts = sorted(os.path.join(root, d) for d in os.listdir(root)
                   if os.path.isdir(os.path.join(root, d)))
    rc, doc, _, _ = run("scan", "--json", *parts)
    assert rc == 0, rc
    assert len(doc["log_dirs"]) == 1, [ld["path"] for ld in doc["log_dirs"]]
    assert len(doc["log_dirs"][0]["partitions"]) == len(parts)


@test
def single_segment_file():
    root = scenario("crc-mismatch")
    logs = [os.path.join(dp, f) for dp, _, fs in os.walk(root) for f in fs if f.endswith(".log")]
    bad = [l for l in logs if run("scan", "--json", l)[0] == 4]
    assert len(bad) == 1, bad
    rc, doc, _, _ = run("scan", "--json", bad[0])
    assert doc["summary"]["segments"] == 1
    idx = bad[0][:-4] + ".index"
    if os.path.exists(idx):
        rc, doc, _, _ = run("scan", "--json", idx)
        assert rc == 4, rc  # an index names its segment


@test
def jbod_two_log_dirs_in_one_call():
    d = os.path.join(TMP, "demo")
    subprocess.run([GEN, "demo", d], check=True, capture_output=True)
    rc, doc, _, _ = run("scan", "--json", "--kafka-version", "0.9.0.1",
                        os.path.join(d, "kafka-logs-1"), os.path.join(d, "kafka-logs-2"))
    assert rc == 4, rc
    assert len(doc["log_dirs"]) == 2
    got = {f["code"] for f in doc["findings"]}
    assert {"cleaner-map-overflow", "crc-mismatch", "torn-tail", "corrupt-entry",
            "foreign-directory"} <= got, got


@test
def delete_future_stray_dirs_are_partitions():
    root = os.path.join(TMP, "suffixes")
    shutil.copytree(scenario("healthy"), root)
    part = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))[0]
    for suffix in ("delete", "future", "stray"):
        dst = os.path.join(root, "%s.0123456789abcdef0123456789abcdef-%s" % (part, suffix))
        shutil.copytree(os.path.join(root, part), dst)
    rc, doc, _, _ = run("scan", "--json", root)
    assert rc == 0 and codes(doc) == [], codes(doc)
    states = {p["state"] for p in doc["log_dirs"][0]["partitions"]}
    assert states == {"live", "delete", "future", "stray"}, states


@test
def unknown_file_is_info_and_untouched():
    root = os.path.join(TMP, "unknown")
    shutil.copytree(scenario("healthy"), root)
    with open(os.path.join(root, "notes.txt"), "w") as fh:
        fh.write("hello")
    before = os.stat(os.path.join(root, "notes.txt"))
    rc, doc, _, _ = run("scan", "--json", root)
    assert rc == 0 and codes(doc) == [("unknown-file", "info")], codes(doc)
    assert os.stat(os.path.join(root, "notes.txt")).st_mtime_ns == before.st_mtime_ns
    rc, _, _, _ = run("scan", "--json", "--fail-on", "info", root)
    assert rc == 4


@test
def broker_running_is_detected_by_fcntl_lock():
    root = scenario("healthy")
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: hold the broker's POSIX lock like FileChannel.tryLock
        os.close(r)
        fd = os.open(os.path.join(root, ".lock"), os.O_RDWR | os.O_CREAT)
        fcntl.lockf(fd, fcntl.LOCK_EX)
        os.write(w, b"x")
        time.sleep(30)
        os._exit(0)
    os.close(w)
    os.read(r, 1)
    try:
        rc, doc, _, _ = run("scan", "--json", root)
        assert codes(doc) == [("broker-running", "warning")], codes(doc)
        assert doc["findings"][0]["pid"] == pid
        assert doc["log_dirs"][0]["broker_running"] is True
        assert rc == 0
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    rc, doc, _, _ = run("scan", "--json", root)
    assert codes(doc) == [] and doc["log_dirs"][0]["broker_running"] is False


@test
def scan_never_writes():
    root = scenario("corrupt-entry")
    def snapshot():
        out = {}
        for dp, _, fs in os.walk(root):
            for f in fs:
                p = os.path.join(dp, f)
                st = os.stat(p)
                out[p] = (st.st_size, st.st_mtime_ns, open(p, "rb").read())
        return out
    before = snapshot()
    run("scan", "--json", root)
    run("scan", root)
    assert snapshot() == before


# --- exit codes and usage -----------------------------------------------------

@test
def missing_path_is_operational_error():
    rc, doc, _, _ = run("scan", "--json", os.path.join(TMP, "nope"))
    assert rc == 8, rc
    assert doc["errors"] and doc["summary"]["operational_errors"] == 1
    rc, _, _, _ = run("scan", "--json", "--kafka-version", "0.9.0.1",
                      os.path.join(TMP, "nope"), scenario("headline"))
    assert rc == 12, rc  # OR-ed like fsck


@test
def not_a_log_dir_is_operational_error():
    d = os.path.join(TMP, "plain")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "x.txt"), "w") as fh:
        fh.write("x")
    rc, _, out, _ = run("scan", d, check_json=False)
    assert rc == 8, rc
    assert "not a Kafka log dir" in out


@test
def usage_errors_exit_16():
    for args in (["scan"], ["scan", "--bogus", "x"], ["scan", "--fail-on", "fatal", "x"],
                 ["scan", "--kafka-version", "banana", "x"], ["frobnicate"], []):
        rc, _, _, _ = run(*args, check_json=False)
        assert rc == 16, (args, rc)


@test
def broker_config_log_dirs_are_the_default_paths():
    props = write_props("# broker\nlog.dirs=%s,%s\nlog.cleaner.threads=1\n" % (
        scenario("healthy"), scenario("headline")))
    rc, doc, _, _ = run("scan", "--json", "--kafka-version", "0.9.0.1", "--broker-config", props)
    assert rc == 4 and len(doc["log_dirs"]) == 2, rc
    assert codes(doc) == [("cleaner-map-overflow", "error")], codes(doc)
    rc, _, _, err = run("scan", "--broker-config", write_props("log.cleaner.threads=many\n"),
                        scenario("healthy"), check_json=False)
    assert rc == 16 and "invalid value" in err, (rc, err)


@test
def progress_goes_to_stderr_only():
    rc, doc, out, err = run("scan", "--json", "--progress", scenario("healthy"))
    assert rc == 0 and doc["summary"]["segments"] > 0
    rc, _, out2, err2 = run("scan", "--json", scenario("healthy"))
    assert "scanning" not in err2  # not a terminal: no progress unless asked
    assert json.loads(out) is not None


@test
def short_options_work():
    rc, doc, _, _ = run("scan", "--json", "-j1", scenario("crc-mismatch"))
    assert rc == 4 and codes(doc) == [("crc-mismatch", "error")], (rc, codes(doc))
    rc, doc, _, _ = run("scan", "--json", "-j", "2", scenario("healthy"))
    assert rc == 0, rc
    rc, _, out, _ = run("scan", "-v", scenario("healthy"), check_json=False)
    assert rc == 0 and ".log" in out


@test
def help_for_every_subcommand():
    rc, _, out, _ = run("scan", "--help", check_json=False)
    assert rc == 0 and "--kafka-version" in out and "Exit status" in out
    rc, _, out, _ = run("--help", check_json=False)
    assert rc == 0 and "scan" in out
    rc, _, out, _ = run("explain", "--help", check_json=False)
    assert rc == 0 and "--markdown" in out
    rc, _, out, _ = run("explain", "crc-mismatch", check_json=False)
    assert rc == 0 and "CRC-32C" in out
    rc, _, _, _ = run("explain", "no-such-code", check_json=False)
    assert rc == 16


@test
def text_report_groups_and_summarizes():
    rc, _, out, _ = run("scan", "--kafka-version", "0.9.0.1", scenario("headline"),
                        check_json=False)
    assert rc == 4
    assert "__consumer_offsets-17" in out and "cleaner-map-overflow" in out
    assert "Summary: 1 error" in out and "Exit status 4" in out


@test
def json_findings_have_the_contract_fields():
    rc, doc, _, _ = run("scan", "--json", "--kafka-version", "0.9.0.1",
                        os.path.join(TMP, "demo", "kafka-logs-1"),
                        os.path.join(TMP, "demo", "kafka-logs-2"))
    assert doc["findings"]
    for f in doc["findings"]:
        for k in ("code", "severity", "scope", "path", "partition", "log_dir", "position",
                  "message", "rule"):
            assert k in f, (k, f)
        assert f["severity"] in ("info", "warning", "error")


@test
def every_finding_names_the_rule_that_produced_it():
    names = ["healthy", "headline", "crc-mismatch", "crc-mismatch-v1", "torn-tail",
             "corrupt-entry", "unknown-magic", "offset-overflow", "segment-overlap",
             "base-offset-mismatch", "foreign-directory", "zero-tail"]
    seen = set()
    for name in names:
        # A copy without the shutdown marker: the unclean-shutdown family fires too.
        root = os.path.join(TMP, "rules-" + name)
        shutil.copytree(scenario(name), root)
        marker = os.path.join(root, ".kafka_cleanshutdown")
        if os.path.exists(marker):
            os.unlink(marker)
        rc, doc, _, _ = run("scan", "--json", "--kafka-version", "0.9.0.1", root)
        for f in doc["findings"]:
            seen.add(f["code"])
            assert isinstance(f.get("rule"), str) and f["rule"], (name, f["code"], f)
    assert len(seen) >= 12, sorted(seen)
    rc, _, out, _ = run("scan", "-v", "--kafka-version", "0.9.0.1", scenario("headline"),
                        check_json=False)
    assert "rule: 0.9.0.0-0.9.0.1 LogCleaner.buildOffsetMap" in out, out
    rc, _, out, _ = run("scan", "--kafka-version", "0.9.0.1", scenario("headline"),
                        check_json=False)
    assert "rule:" not in out


shutil.rmtree(TMP, ignore_errors=True)
print("cli: %d passed, %d failed" % (results["passed"], results["failed"]))
sys.exit(1 if results["failed"] else 0)
