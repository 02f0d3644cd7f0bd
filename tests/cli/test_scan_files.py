#!/usr/bin/python3
"""CLI tests for the index and snapshot checks of `ksegdoctor scan`.

Each test writes a healthy tree with `ksd-gen scenario healthy`, damages one
file the way a crash, a disk or an operator would (an index cut to a
non-multiple of 8, two entries swapped, an entry pointing into a batch, a
snapshot CRC, an untrimmed preallocated index), and checks the exact exit
code and the exact set of finding codes with their severities.
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

KSD = os.environ["KSD"]
GEN = os.environ["KSD_GEN"]
TMP = tempfile.mkdtemp(prefix="ksd-cli-files-")
from clitest import results, test  # noqa: E402 - shared runner
INDEX_CODES = {"index-corrupt", "timeindex-corrupt", "txnindex-corrupt",
               "index-preallocated", "snapshot-corrupt"}
PREALLOC_INDEX = 10485760
PREALLOC_TIMEINDEX = 10485756


def run(*args):
    p = subprocess.run([KSD, *args], capture_output=True, text=True, timeout=120)
    doc = json.loads(p.stdout) if "--json" in args else None
    return p.returncode, doc, p.stdout, p.stderr


_n = [0]


def tree():
    """A fresh copy of the healthy scenario."""
    base = os.path.join(TMP, "healthy")
    if not os.path.exists(base):
        subprocess.run([GEN, "scenario", "healthy", base], check=True, capture_output=True)
    _n[0] += 1
    dst = os.path.join(TMP, "t%d" % _n[0])
    shutil.copytree(base, dst)
    return dst


def seg(root, part, base, suffix):
    return os.path.join(root, part, "%020d%s" % (base, suffix))


def segments(root, part):
    return sorted(int(f[:20]) for f in os.listdir(os.path.join(root, part)) if f.endswith(".log"))


# Directory-level info findings (issue 4) that depend on how a fixture was
# written (clock, shutdown marker, index copies); test_diagnosis.py checks
# each of them exactly, so the pathology tests here leave them out.
DIAG_INFO = {"unclean-shutdown", "missing-index", "orphan-file", "legacy-format",
             "expired-timestamp", "producer-state-rebuild"}


def codes(doc):
    return sorted((f["code"], f["severity"]) for f in doc["findings"]
                  if not (f["code"] in DIAG_INFO and f["severity"] == "info"))


def only(doc, code):
    hits = [f for f in doc["findings"] if f["code"] == code]
    assert len(hits) == 1, "expected one %s, got %r" % (code, codes(doc))
    return hits[0]


def read_entries(path, size, fmt):
    data = open(path, "rb").read()
    return [struct.unpack(fmt, data[i:i + size]) for i in range(0, len(data) - size + 1, size)]


def write_entries(path, entries, fmt):
    with open(path, "wb") as fh:
        for e in entries:
            fh.write(struct.pack(fmt, *e))


def batch_starts(path):
    data = open(path, "rb").read()
    pos, out = 0, []
    while pos + 12 <= len(data):
        off, size = struct.unpack(">qi", data[pos:pos + 12])
        out.append((pos, off))
        pos += 12 + size
    return out


# --- healthy trees: nothing fires ---------------------------------------------

@test
def healthy_indexes_and_snapshots_are_clean():
    root = tree()
    for args in ([], ["--quick"], ["--kafka-version", "0.11.0.3"], ["--kafka-version", "4.0.0"]):
        rc, doc, _, _ = run("scan", "--json", *args, root)
        assert rc == 0 and codes(doc) == [], (args, rc, codes(doc))


@test
def index_path_scans_its_segment_with_its_indexes():
    root = tree()
    first = segments(root, "events-0")[0]
    rc, doc, _, _ = run("scan", "--json", seg(root, "events-0", first, ".index"))
    assert rc == 0 and codes(doc) == [], (rc, codes(doc))


# --- offset index -----------------------------------------------------------------

@test
def index_cut_to_a_partial_entry():
    root = tree()
    first = segments(root, "events-0")[0]
    path = seg(root, "events-0", first, ".index")
    os.truncate(path, os.path.getsize(path) - 3)
    rc, doc, _, _ = run("scan", "--json", root)
    assert codes(doc) == [("index-corrupt", "warning")], codes(doc)
    f = only(doc, "index-corrupt")
    assert f["rule"] == "partial-entry" and f["value_a"] == 5, f
    assert "0.9-2.2 fail its sanity check" in f["message"] and "2.3+ load" in f["message"], f["message"]
    assert rc == 0, rc
    # Kafka 0.8.x refuses to start on it
    rc, doc, _, _ = run("scan", "--json", "--kafka-version", "0.8.2.2", root)
    assert codes(doc) == [("index-corrupt", "error")] and rc == 4, (rc, codes(doc))
    assert "aborts startup" in only(doc, "index-corrupt")["message"]


@test
def index_entries_swapped():
    root = tree()
    base = segments(root, "events-0")[1]
    path = seg(root, "events-0", base, ".index")
    e = read_entries(path, 8, ">ii")
    assert len(e) >= 3, e
    e[1], e[2] = e[2], e[1]
    write_entries(path, e, ">ii")
    rc, doc, _, _ = run("scan", "--json", "--kafka-version", "3.7.0", root)
    assert rc == 4, rc
    # Only index findings: the data-level info findings (legacy-format, expired-timestamp) carry a "rule" too.
    index = [f for f in doc["findings"] if f["code"] == "index-corrupt"]
    got = {(f["rule"], f["severity"]) for f in index}
    assert got == {("offset-order", "error"), ("position-order", "error")}, got
    assert all(f["slot"] == 2 for f in index) and codes(doc) == [("index-corrupt", "error")] * 2, codes(doc)


@test
def index_entry_inside_a_batch():
    root = tree()
    base = segments(root, "events-0")[0]
    path = seg(root, "events-0", base, ".index")
    e = read_entries(path, 8, ">ii")
    starts = {p for p, _ in batch_starts(seg(root, "events-0", base, ".log"))}
    rel, pos = e[1]
    e[1] = (rel, pos + 5)
    assert pos + 5 not in starts
    write_entries(path, e, ">ii")
    rc, doc, _, _ = run("scan", "--json", root)
    assert rc == 4 and codes(doc) == [("index-corrupt", "error")], (rc, codes(doc))
    f = only(doc, "index-corrupt")
    assert f["rule"] == "not-batch-start" and f["slot"] == 1 and f["value_b"] == pos + 5, f
    assert f["position"] == 8 and f["path"].endswith(".index"), f


@test
def index_entry_past_the_log():
    root = tree()
    base = segments(root, "events-0")[0]
    log = seg(root, "events-0", base, ".log")
    path = seg(root, "events-0", base, ".index")
    e = read_entries(path, 8, ">ii")
    # keep the first entry's batch and everything before the last entry
    os.truncate(log, e[-1][1])
    rc, doc, _, _ = run("scan", "--json", root)
    rules = {(f["code"], f.get("rule")) for f in doc["findings"]}
    assert ("index-corrupt", "past-end") in rules, rules


# --- time index ---------------------------------------------------------------------

@test
def timeindex_ahead_of_the_log():
    root = tree()
    base = segments(root, "events-0")[0]
    path = seg(root, "events-0", base, ".timeindex")
    e = read_entries(path, 12, ">qi")
    ts, rel = e[-1]
    e[-1] = (ts + 86400000, rel)
    write_entries(path, e, ">qi")
    rc, doc, _, _ = run("scan", "--json", root)
    assert rc == 0 and codes(doc) == [("timeindex-corrupt", "warning")], (rc, codes(doc))
    f = only(doc, "timeindex-corrupt")
    assert f["rule"] == "timestamp-ahead" and f["value_a"] == ts + 86400000, f


@test
def timeindex_going_backwards():
    root = tree()
    base = segments(root, "events-0")[1]
    path = seg(root, "events-0", base, ".timeindex")
    e = read_entries(path, 12, ">qi")
    assert len(e) >= 3
    e[1] = (e[0][0] - 1000, e[1][1])
    write_entries(path, e, ">qi")
    rc, doc, _, _ = run("scan", "--json", root)
    assert ("timeindex-corrupt", "warning") in codes(doc), codes(doc)
    assert only(doc, "timeindex-corrupt")["rule"] == "timestamp-order"


# --- preallocated (untrimmed) indexes ------------------------------------------------

@test
def preallocated_active_offset_index_is_info():
    root = tree()
    last = segments(root, "events-0")[-1]
    os.truncate(seg(root, "events-0", last, ".index"), PREALLOC_INDEX)
    rc, doc, _, _ = run("scan", "--json", "--fail-on", "warning", root)
    assert rc == 0 and codes(doc) == [("index-preallocated", "info")], (rc, codes(doc))
    f = only(doc, "index-preallocated")
    assert f["slots"] == PREALLOC_INDEX // 8 and f["active_segment"] is True, f
    assert f["entries"] > 0 and f["zero_slots"] == f["slots"] - f["entries"], f


@test
def all_zero_indexes_of_an_empty_active_segment_are_info():
    # What realdata's stopped brokers hold: a 0-byte active .log with 10 MiB
    # of zeros in .index and .timeindex.
    root = tree()
    part = os.path.join(root, "empty-0")
    os.mkdir(part)
    open(seg(root, "empty-0", 0, ".log"), "wb").close()
    for suffix, size in ((".index", PREALLOC_INDEX), (".timeindex", PREALLOC_TIMEINDEX)):
        with open(seg(root, "empty-0", 0, suffix), "wb") as fh:
            fh.truncate(size)
    for args in ([], ["--kafka-version", "3.7.0"], ["--kafka-version", "2.5.1"]):
        rc, doc, _, _ = run("scan", "--json", "--fail-on", "warning", *args, root)
        assert rc == 0, (args, rc, codes(doc))
        assert codes(doc) == [("index-preallocated", "info")] * 2, (args, codes(doc))


@test
def preallocated_time_index_after_clean_shutdown():
    root = tree()
    segs = segments(root, "events-0")
    # active segment, clean shutdown: the next roll overflows (KAFKA-19200)
    os.truncate(seg(root, "events-0", segs[-1], ".timeindex"), PREALLOC_TIMEINDEX)
    rc, doc, _, _ = run("scan", "--json", root)
    assert codes(doc) == [("index-preallocated", "warning")] and rc == 0, (rc, codes(doc))
    assert "KAFKA-19200" in only(doc, "index-preallocated")["message"]
    # 2.2 rebuilds it at startup (last timestamp 0 < first)
    rc, doc, _, _ = run("scan", "--json", "--kafka-version", "2.2.0", root)
    assert codes(doc) == [("index-preallocated", "info")], codes(doc)
    # without .kafka_cleanshutdown (a crash) the active segment is recovered
    # anyway: a preallocated index there is normal, not a finding
    os.unlink(os.path.join(root, ".kafka_cleanshutdown"))
    rc, doc, _, _ = run("scan", "--json", root)
    assert rc == 0 and codes(doc) == [], codes(doc)


@test
def preallocated_inactive_index_below_the_recovery_point_after_a_crash():
    root = tree()
    first = segments(root, "events-0")[0]
    os.truncate(seg(root, "events-0", first, ".timeindex"), PREALLOC_TIMEINDEX)
    os.unlink(os.path.join(root, ".kafka_cleanshutdown"))
    # the recovery point (log end) lies above segment 0: not recovered
    rc, doc, _, _ = run("scan", "--json", "--kafka-version", "3.7.0", root)
    assert rc == 4 and codes(doc) == [("index-preallocated", "error")], (rc, codes(doc))
    assert only(doc, "index-preallocated")["rebuilt_at_startup"] is False
    # with the recovery point at 0 it is recovered: info
    cp = os.path.join(root, "recovery-point-offset-checkpoint")
    lines = open(cp).read().splitlines()
    lines = [l if not l.startswith("events 0 ") else "events 0 0" for l in lines]
    open(cp, "w").write("\n".join(lines) + "\n")
    rc, doc, _, _ = run("scan", "--json", "--kafka-version", "3.7.0", root)
    assert rc == 0 and codes(doc) == [("index-preallocated", "info")], (rc, codes(doc))
    assert only(doc, "index-preallocated")["rebuilt_at_startup"] is True


@test
def preallocated_time_index_of_an_inactive_segment_is_an_error():
    root = tree()
    first = segments(root, "events-0")[0]
    os.truncate(seg(root, "events-0", first, ".timeindex"), PREALLOC_TIMEINDEX)
    rc, doc, _, _ = run("scan", "--json", "--kafka-version", "3.7.0", root)
    assert rc == 4 and codes(doc) == [("index-preallocated", "error")], (rc, codes(doc))
    f = only(doc, "index-preallocated")
    assert "KAFKA-10207" in f["message"] and f["active_segment"] is False, f


# --- transaction index ---------------------------------------------------------------

@test
def txnindex_with_an_unknown_version():
    root = tree()
    first = segments(root, "events-1")[0]
    entry = struct.pack(">hqqqq", 0x0100, 1000, 10, 20, 10)
    with open(seg(root, "events-1", first, ".txnindex"), "wb") as fh:
        fh.write(entry)
    rc, doc, _, _ = run("scan", "--json", root)
    assert rc == 4 and codes(doc) == [("txnindex-corrupt", "error")], (rc, codes(doc))
    f = only(doc, "txnindex-corrupt")
    assert f["rule"] == "version" and "broker shuts down" in f["message"], f


@test
def txnindex_valid_entry_is_clean():
    root = tree()
    first = segments(root, "events-1")[0]
    with open(seg(root, "events-1", first, ".txnindex"), "wb") as fh:
        fh.write(struct.pack(">hqqqq", 0, 1000, 10, 20, 10))
    rc, doc, _, _ = run("scan", "--json", root)
    assert rc == 0 and codes(doc) == [], codes(doc)


# --- producer snapshots ----------------------------------------------------------------

def snapshots(root, part):
    return sorted(int(f[:20]) for f in os.listdir(os.path.join(root, part))
                  if f.endswith(".snapshot"))


def flip(path, pos):
    data = bytearray(open(path, "rb").read())
    data[pos] ^= 0x01
    open(path, "wb").write(bytes(data))


@test
def newest_snapshot_with_a_bad_crc():
    root = tree()
    snaps = snapshots(root, "events-1")
    assert len(snaps) >= 2, snaps
    path = seg(root, "events-1", snaps[-1], ".snapshot")
    flip(path, 20)
    rc, doc, _, _ = run("scan", "--json", root)
    assert rc == 0 and codes(doc) == [("snapshot-corrupt", "warning")], (rc, codes(doc))
    f = only(doc, "snapshot-corrupt")
    assert f["stored_crc"] != f["computed_crc"] and f["newest"] is True, f
    assert f["position"] == 2 and f["snapshot_offset"] == snaps[-1], f
    assert "older of %d valid snapshots" % (len(snaps) - 1) in f["message"], f["message"]
    rc, _, _, _ = run("scan", "--json", "--fail-on", "warning", root)
    assert rc == 4, rc


@test
def older_snapshot_bad_version_is_info():
    root = tree()
    snaps = snapshots(root, "events-1")
    path = seg(root, "events-1", snaps[0], ".snapshot")
    data = bytearray(open(path, "rb").read())
    data[1] = 2
    open(path, "wb").write(bytes(data))
    rc, doc, _, _ = run("scan", "--json", root)
    assert rc == 0 and codes(doc) == [("snapshot-corrupt", "info")], (rc, codes(doc))
    assert only(doc, "snapshot-corrupt")["reason"] == "unknown version"


@test
def text_report_names_the_index():
    root = tree()
    first = segments(root, "events-0")[0]
    path = seg(root, "events-0", first, ".index")
    os.truncate(path, os.path.getsize(path) - 3)
    rc, _, out, _ = run("scan", root)
    assert "index-corrupt" in out and "%020d.index" % first in out, out
    rc, _, out, _ = run("explain", "index-preallocated")
    assert rc == 0 and "KAFKA-19200" in out, out


shutil.rmtree(TMP, ignore_errors=True)
print("cli-files: %d passed, %d failed" % (results["passed"], results["failed"]))
sys.exit(1 if results["failed"] else 0)
