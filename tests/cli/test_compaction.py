#!/usr/bin/python3
"""CLI tests for `ksegdoctor compaction`.

Compacted partitions are written here batch by batch with python3-kafka's
DefaultRecordBatchBuilder (uncompressed, gzip, snappy, lz4, zstd; keys,
tombstones, keyless records, transactional batches and markers), in several
segments with a cleaner-offset-checkpoint, and the exact numbers the command
reports are checked against a last-record-per-key model computed here:
records, distinct/live keys, tombstones, superseded records, clean/dirty
bytes from the file sizes and the dirty ratio (LogCleanerManager rules,
kafka-facts.md §4.6-4.7).  The headline scenario must show
cleaner-map-overflow as a blocker on 0.9.0.1 and not on 2.8.0.  Real
__consumer_offsets/__transaction_state partitions under ../shared/realdata are
cross-checked against an independent count with kafka.record.MemoryRecords
(skipped when absent).

Run with /usr/bin/python3.  KSD / KSD_GEN = the binaries.
"""
import atexit
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KSD = os.environ.get("KSD") or os.path.join(REPO, "build", "ksegdoctor")
KSD_GEN = os.environ.get("KSD_GEN") or os.path.join(REPO, "build", "ksd-gen")
REALDATA = os.path.join(os.path.dirname(REPO), "shared", "realdata")
NAME = "cli-compaction"
TMP = tempfile.mkdtemp(prefix="ksd-compaction-")
atexit.register(shutil.rmtree, TMP, True)
from clitest import results, test  # noqa: E402 - shared runner
TS = 1700000000000

from kafka.record.default_records import DefaultRecordBatchBuilder  # noqa: E402

CODECS = {"none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}


def run(*args):
    p = subprocess.run([KSD, "compaction", "--no-progress"] + list(args),
                       capture_output=True, text=True)
    doc = None
    if "--json" in args and p.stdout.strip():
        doc = json.loads(p.stdout)
    return p.returncode, doc, p.stdout, p.stderr


def batch(base, records, codec="none", txn_pid=-1):
    """records: [(key bytes|None, value bytes|None)] at offsets base.. ."""
    b = DefaultRecordBatchBuilder(2, CODECS[codec], txn_pid >= 0, txn_pid,
                                  0 if txn_pid >= 0 else -1, 0 if txn_pid >= 0 else -1,
                                  1 << 20)
    for i, (k, v) in enumerate(records):
        b.append(i, TS + base + i, k, v, [])
    out = bytearray(b.build())
    struct.pack_into(">q", out, 0, base)  # baseOffset is outside the CRC
    return bytes(out)


def control_batch(base, pid, commit=True):
    """A COMMIT/ABORT marker batch (kafka-facts.md §1.7), hand-packed."""
    from kafka.record.util import calc_crc32c, encode_varint
    key = struct.pack(">hh", 0, 1 if commit else 0)
    value = struct.pack(">hi", 0, 0)
    body = bytearray()
    body += b"\x00"  # attributes
    encode_varint(0, body.append)  # timestamp delta
    encode_varint(0, body.append)  # offset delta
    encode_varint(len(key), body.append)
    body += key
    encode_varint(len(value), body.append)
    body += value
    encode_varint(0, body.append)  # headers
    rec = bytearray()
    encode_varint(len(body), rec.append)
    rec += body
    attrs = 0x10 | 0x20
    after_crc = struct.pack(">hiqqqhii", attrs, 0, TS, TS, pid, 0, -1, 1) + bytes(rec)
    crc = calc_crc32c(after_crc)
    head = struct.pack(">qiibI", base, 4 + 1 + 4 + len(after_crc), 0, 2, crc)
    return head + after_crc


# --- independent count with python3-kafka --------------------------------------

def py_count(pdir):
    from kafka.record.default_records import DefaultRecordBatch
    from kafka.record.memory_records import MemoryRecords
    latest, c = {}, {"records": 0, "tombstones": 0, "null": 0, "control": 0}
    for seg in sorted(f for f in os.listdir(pdir) if f.endswith(".log")):
        with open(os.path.join(pdir, seg), "rb") as f:
            mr = MemoryRecords(f.read())
        while mr.has_next():
            b = mr.next_batch()
            if b is None:
                break
            if isinstance(b, DefaultRecordBatch) and b.is_control_batch:
                c["control"] += len(list(b))
                continue
            for r in b:
                c["records"] += 1
                if r.key is None:
                    c["null"] += 1
                    continue
                c["tombstones"] += r.value is None
                latest[bytes(r.key)] = r.value is None
    c["keys"] = len(latest)
    c["live_tombstones"] = sum(latest.values())
    vers = [struct.unpack(">h", k[:2])[0] if len(k) >= 2 else -1 for k in latest]
    c["commit"] = sum(v in (0, 1) for v in vers)
    c["group"] = sum(v == 2 for v in vers)
    c["other"] = len(vers) - c["commit"] - c["group"]
    return c


class Part:
    """A partition dir written segment by segment, with the model alongside."""

    def __init__(self, root, topic, n=0):
        self.dir = os.path.join(root, "%s-%d" % (topic, n))
        self.topic, self.n = topic, n
        os.makedirs(self.dir)
        self.segments = []  # [base, bytes]
        self.next = 0
        self.latest = {}    # key -> is tombstone
        self.records = self.tombstones = self.null_keys = self.superseded = 0

    def segment(self):
        self.segments.append([self.next, bytearray()])

    def add(self, records, codec="none", txn_pid=-1):
        self.segments[-1][1] += batch(self.next, records, codec, txn_pid)
        for k, v in records:
            self.records += 1
            if k is None:
                self.null_keys += 1
                continue
            self.tombstones += v is None
            self.superseded += k in self.latest
            self.latest[k] = v is None
        self.next += len(records)

    def marker(self, pid, commit=True):
        self.segments[-1][1] += control_batch(self.next, pid, commit)
        self.next += 1

    def write(self):
        for base, data in self.segments:
            with open(os.path.join(self.dir, "%020d.log" % base), "wb") as f:
                f.write(data)
        return self

    def size(self, i):
        return len(self.segments[i][1])


def checkpoint(root, entries):
    with open(os.path.join(root, "cleaner-offset-checkpoint"), "w") as f:
        f.write("0\n%d\n" % len(entries))
        for topic, n, off in entries:
            f.write("%s %d %d\n" % (topic, n, off))


def keyed(prefix, lo, hi, value=b"v"):
    return [(b"%s%d" % (prefix, i), value) for i in range(lo, hi)]


def known_partition(name):
    """Three segments: 0..39 | 40..84 | active 85.. with every codec."""
    root = os.path.join(TMP, name)
    os.makedirs(root)
    p = Part(root, "ct")
    p.segment()
    p.add(keyed(b"k", 0, 20))                               # 20 new keys
    p.add(keyed(b"k", 0, 10, b"w" * 50), "gzip")            # 10 superseded
    p.add([(b"k%d" % i, None) for i in range(10, 15)] + keyed(b"k", 20, 25), "snappy")
    p.segment()
    p.add(keyed(b"k", 25, 40), "lz4")
    p.add([(None, b"keyless"), (None, b"again")] + keyed(b"k", 0, 5), "zstd")
    p.add([(b"k12", b"back")] + [(b"k%d" % i, None) for i in range(30, 35)])
    p.add(keyed(b"k", 40, 62, b"x" * 200))
    p.segment()
    p.add(keyed(b"k", 35, 45, b"new"))
    p.write()
    return root, p


def only(doc):
    assert len(doc["partitions"]) == 1, [q["name"] for q in doc["partitions"]]
    return doc["partitions"][0]


def kinds(part):
    return [b["kind"] for b in part["blockers"]]


@test
def known_keys_with_checkpoint():
    root, p = known_partition("known")
    checkpoint(root, [("ct", 0, p.segments[1][0])])
    rc, doc, _, err = run("--json", "--compacted-topic", "ct", root)
    assert rc == 0, (rc, err)
    q = only(doc)
    live_t = sum(1 for t in p.latest.values() if t)
    assert q["records"] == p.records, (q["records"], p.records)
    assert q["distinct_keys"] == len(p.latest), (q["distinct_keys"], len(p.latest))
    assert q["live_tombstones"] == live_t and live_t == 9, (q["live_tombstones"], live_t)
    assert q["live_keys"] == len(p.latest) - live_t
    assert q["tombstones"] == p.tombstones == 10, (q["tombstones"], p.tombstones)
    assert q["null_key_records"] == p.null_keys == 2
    assert q["superseded_records"] == p.superseded, (q["superseded_records"], p.superseded)
    assert q["reclaimable_records"] == p.superseded + p.null_keys
    assert q["segments"] == 3 and q["keys_lower_bound"] is False and q["complete"] is True
    clean, dirty = p.size(0), p.size(1)
    assert q["bytes"] == clean + dirty + p.size(2)
    assert q["cleaner_checkpoint"] == 40 and q["first_dirty_offset"] == 40
    assert q["first_uncleanable_offset"] == p.segments[2][0]
    assert (q["clean_bytes"], q["dirty_bytes"], q["active_segment_bytes"]) == \
        (clean, dirty, p.size(2)), q
    assert abs(q["dirty_ratio"] - dirty / (clean + dirty)) < 1e-6, q["dirty_ratio"]
    assert q["above_min_cleanable_ratio"] is True and q["would_clean"] is True, q
    assert "live_tombstones" in kinds(q) and "no_checkpoint" not in kinds(q), kinds(q)
    assert 0 < q["reclaimable_bytes_estimate"] < q["bytes"]
    assert "keys_by_type" not in q


@test
def ratio_below_minimum_is_a_blocker():
    root, p = known_partition("ratio")
    checkpoint(root, [("ct", 0, p.segments[1][0])])
    rc, doc, _, _ = run("--json", "--compacted-topic", "ct", "--min-cleanable-ratio", "0.9", root)
    q = only(doc)
    assert rc == 0 and q["would_clean"] is False, q
    b = [b for b in q["blockers"] if b["kind"] == "below_min_dirty_ratio"]
    assert b and b[0]["stops_cleaning"] is True, q["blockers"]


@test
def no_checkpoint_means_whole_log_dirty():
    root, p = known_partition("nocp")
    rc, doc, out, _ = run("--json", "--compacted-topic", "ct", root)
    q = only(doc)
    assert q["cleaner_checkpoint"] is None and q["first_dirty_offset"] == 0
    assert q["clean_bytes"] == 0 and q["dirty_bytes"] == p.size(0) + p.size(1), q
    assert q["dirty_ratio"] == 1, q["dirty_ratio"]
    assert "no_checkpoint" in kinds(q) and "checkpoint_reset" not in kinds(q)


@test
def checkpoint_past_log_end_resets():
    root, p = known_partition("reset")
    checkpoint(root, [("ct", 0, 10 ** 9)])
    rc, doc, _, _ = run("--json", "--compacted-topic", "ct", root)
    q = only(doc)
    assert q["checkpoint_reset"] is True and q["first_dirty_offset"] == 0, q
    assert q["dirty_ratio"] == 1 and "checkpoint_reset" in kinds(q), kinds(q)
    b = [b for b in q["blockers"] if b["kind"] == "checkpoint_reset"][0]
    assert b["offset"] == 10 ** 9 and b["stops_cleaning"] is False


@test
def non_compacted_topic_not_listed():
    root, p = known_partition("plain")
    rc, doc, out, _ = run("--json", root)
    assert rc == 0 and doc["partitions"] == [], doc["partitions"]
    rc, _, out, _ = run(root)
    assert rc == 0 and "No compacted partitions" in out, out


@test
def max_keys_makes_lower_bounds():
    root, p = known_partition("capped")
    rc, doc, out, _ = run("--json", "--compacted-topic", "ct", "--max-keys", "7", root)
    q = only(doc)
    assert q["keys_lower_bound"] is True and q["complete"] is False, q
    assert q["distinct_keys"] == 7 and q["records"] == p.records, q
    rc, _, out, _ = run("--compacted-topic", "ct", "--max-keys", "7", root)
    assert "at least 7 distinct" in out and "lower bounds" in out, out


@test
def open_transaction_pins_first_uncleanable():
    root = os.path.join(TMP, "txn")
    os.makedirs(root)
    p = Part(root, "ct")
    p.segment()
    p.add(keyed(b"a", 0, 10))
    p.add(keyed(b"t", 0, 5), txn_pid=7)     # offsets 10..14, committed below
    p.marker(7)                              # offset 15
    p.segment()
    p.add(keyed(b"a", 0, 10))               # 16..25
    p.add(keyed(b"u", 0, 5), txn_pid=8)     # 26..30, never completed
    p.add(keyed(b"a", 10, 20))
    p.segment()
    p.add(keyed(b"a", 0, 3))
    p.write()
    rc, doc, _, _ = run("--json", "--compacted-topic", "ct", root)
    q = only(doc)
    assert q["control_records"] == 1 and q["records"] == p.records, q
    assert q["open_transaction_offset"] == 26, q["open_transaction_offset"]
    assert q["first_uncleanable_offset"] == 26, q
    # the scan's own hanging-transaction finding (old timestamps) or our open one
    k = [b for b in q["blockers"] if b["kind"] in ("hanging_transaction", "open_transaction")]
    assert k and k[0]["offset"] == 26, q["blockers"]
    assert q["dirty_bytes"] == p.size(0) + p.size(1), q  # segment holding 26 counts


@test
def committed_transaction_is_not_a_blocker():
    root = os.path.join(TMP, "txnok")
    os.makedirs(root)
    p = Part(root, "ct")
    p.segment()
    p.add(keyed(b"t", 0, 5), txn_pid=7)
    p.marker(7, commit=False)
    p.segment()
    p.add(keyed(b"a", 0, 3))
    p.write()
    rc, doc, _, _ = run("--json", "--compacted-topic", "ct", root)
    q = only(doc)
    assert q["open_transaction_offset"] is None, q
    assert not {"hanging_transaction", "open_transaction"} & set(kinds(q)), kinds(q)


def scenario(name):
    d = os.path.join(TMP, "scn-" + name)
    if not os.path.isdir(d):
        subprocess.run([KSD_GEN, "scenario", name, d], check=True, capture_output=True)
    return d


@test
def headline_shows_map_overflow_on_0_9_0_1():
    rc, doc, out, _ = run("--json", "--kafka-version", "0.9.0.1", scenario("headline"))
    assert rc == 4, rc
    q = only(doc)
    assert q["name"] == "__consumer_offsets-17"
    b = [b for b in q["blockers"] if b["kind"] == "cleaner_map_overflow"]
    assert b and b[0]["finding_code"] == "cleaner-map-overflow" and b[0]["stops_cleaning"], b
    assert b[0]["offset"] == 0 and b[0]["count"] == 1, b
    assert q["would_clean"] is False
    assert [f["code"] for f in doc["findings"] if f["severity"] != "info"] == \
        ["cleaner-map-overflow"], doc["findings"]
    assert doc["summary"]["exit_code"] == 4
    rc, _, out, _ = run("--kafka-version", "0.9.0.1", scenario("headline"))
    assert rc == 4 and "finding cleaner-map-overflow" in out and "Scan findings" in out, out


@test
def headline_no_overflow_blocker_on_2_8_0():
    rc, doc, _, _ = run("--json", "--kafka-version", "2.8.0", scenario("headline"))
    q = only(doc)
    assert rc == 0 and "cleaner_map_overflow" not in kinds(q), kinds(q)
    assert q["would_clean"] is True, q["blockers"]


@test
def cleaner_disabled_on_0_9_0_0_defaults():
    rc, doc, _, _ = run("--json", "--kafka-version", "0.9.0.0", scenario("headline"))
    q = only(doc)
    assert "cleaner_disabled" in kinds(q) and doc["cleaner"]["enabled"] is False, kinds(q)
    rc, doc, _, _ = run("--json", "--kafka-version", "3.7.0", scenario("healthy"))
    assert all("cleaner_disabled" not in kinds(q) for q in doc["partitions"])


@test
def healthy_offsets_keys_by_type():
    rc, doc, _, _ = run("--json", scenario("healthy"))
    assert rc == 0 and doc["findings"] == [] or all(
        f["severity"] == "info" for f in doc["findings"]), doc["findings"]
    q = only(doc)
    want = py_count(q["path"])
    assert (q["records"], q["distinct_keys"], q["tombstones"], q["live_tombstones"]) == \
        (want["records"], want["keys"], want["tombstones"], want["live_tombstones"]), (q, want)
    t = q["keys_by_type"]
    assert (t["offset_commit"], t["group_metadata"], t["other"]) == \
        (want["commit"], want["group"], want["other"]), (t, want)
    assert q["control_records"] == want["control"], (q, want)


@test
def json_shape():
    root, p = known_partition("shape")
    rc, doc, _, _ = run("--json", "--compacted-topic", "ct", root)
    assert set(doc) == {"tool", "version", "command", "kafka_version", "level", "cleaner",
                        "max_keys", "partitions", "findings", "errors", "summary"}, set(doc)
    assert doc["command"] == "compaction" and doc["level"] == "headers"
    q = only(doc)
    for k in ("name", "topic", "partition", "path", "log_dir", "bytes", "segments", "batches",
              "records", "control_records", "distinct_keys", "live_keys", "live_tombstones",
              "tombstones", "null_key_records", "keys_lower_bound", "superseded_records",
              "superseded_bytes", "superseded_percent", "reclaimable_records",
              "reclaimable_bytes_estimate", "log_start_offset", "log_end_offset",
              "cleaner_checkpoint", "checkpoint_reset", "first_dirty_offset",
              "first_uncleanable_offset", "open_transaction_offset", "clean_bytes",
              "dirty_bytes", "active_segment_bytes", "dirty_ratio", "above_min_cleanable_ratio",
              "would_clean", "damaged_batches", "complete", "metadata_log", "blockers"):
        assert k in q, k
    for b in q["blockers"]:
        assert set(b) == {"kind", "finding_code", "offset", "count", "stops_cleaning",
                          "message"}, b
    s = doc["summary"]
    assert s["compacted_partitions"] == 1 and s["records"] == p.records and s["exit_code"] == 0
    rc, doc, _, _ = run("--json", "--level", "crc", "--compacted-topic", "ct", root)
    assert doc["level"] == "crc"


@test
def top_lists_largest_first():
    root = os.path.join(TMP, "top")
    os.makedirs(root)
    for n, count in ((0, 5), (1, 50), (2, 20)):
        p = Part(root, "ct", n)
        p.segment()
        p.add(keyed(b"k", 0, count))
        p.write()
    os.makedirs(os.path.join(root, "ct-3"))
    open(os.path.join(root, "ct-3", "%020d.log" % 0), "wb").close()
    rc, doc, _, _ = run("--json", "--compacted-topic", "ct", "--top", "2", root)
    assert [q["name"] for q in doc["partitions"]] == ["ct-1", "ct-2"], doc["partitions"]
    assert doc["summary"]["compacted_partitions"] == 4
    rc, doc, _, _ = run("--json", "--compacted-topic", "ct", "--top", "0", root)
    empty = doc["partitions"][-1]
    assert empty["name"] == "ct-3" and empty["bytes"] == 0, empty
    assert empty["blockers"] == [] and empty["would_clean"] is False, empty
    # the others hold only an active segment: nothing dirty, not picked; the empty one is not counted
    assert doc["summary"]["not_cleaned_now"] == 3, doc["summary"]


@test
def damaged_batch_is_left_out_and_named():
    root, p = known_partition("damaged")
    path = os.path.join(p.dir, "%020d.log" % 40)
    with open(path, "r+b") as f:
        f.seek(70)
        b = f.read(1)
        f.seek(70)
        f.write(bytes([b[0] ^ 0xFF]))
    rc, doc, _, _ = run("--json", "--compacted-topic", "ct", "--level", "crc", root)
    q = only(doc)
    assert rc == 4, rc  # crc-mismatch is an error finding
    assert q["damaged_batches"] == 1 and q["complete"] is False, q
    b = [b for b in q["blockers"] if b["kind"] == "damaged_batches"][0]
    assert b["finding_code"] == "crc-mismatch", b
    assert q["records"] < p.records


@test
def exit_codes():
    root, _ = known_partition("exits")
    assert run("--top", "x", root)[0] == 16
    assert run("--max-keys", "0", root)[0] == 16
    assert run("--min-cleanable-ratio", "2", root)[0] == 16
    assert run("--fail-on", "bogus", root)[0] == 16
    assert run("--help")[0] == 0
    assert run(os.path.join(TMP, "does-not-exist"))[0] & 8
    rc, doc, _, _ = run("--json", "--fail-on", "warning", scenario("headline"))
    assert rc == 4, rc  # unknown version: cleaner-map-overflow as a warning
    rc, doc, _, _ = run("--json", scenario("headline"))
    assert rc == 0, rc


@test
def realdata_internal_topics_match_python_kafka():
    if not os.path.isdir(REALDATA):
        print("     (skipped: %s absent)" % REALDATA)
        return
    checked = 0
    for name in sorted(os.listdir(REALDATA)):
        ld = os.path.join(REALDATA, name)
        if not os.path.isdir(ld) or not any(e.startswith(("__consumer_offsets-",
                                                          "__transaction_state-"))
                                            for e in os.listdir(ld)):
            continue
        rc, doc, _, err = run("--json", "--top", "0", ld)
        assert rc in (0, 4), (name, rc, err)
        assert not any(f["severity"] != "info" for f in doc["findings"]), (name, doc["findings"])
        for q in doc["partitions"]:
            want = py_count(q["path"])
            got = (q["records"], q["distinct_keys"], q["tombstones"], q["live_tombstones"],
                   q["null_key_records"], q["control_records"], q["damaged_batches"])
            exp = (want["records"], want["keys"], want["tombstones"], want["live_tombstones"],
                   want["null"], want["control"], 0)
            assert got == exp, (name, q["name"], got, exp)
            if q["topic"] == "__consumer_offsets":
                t = q["keys_by_type"]
                assert (t["offset_commit"], t["group_metadata"], t["other"]) == \
                    (want["commit"], want["group"], want["other"]), (name, q["name"], t)
            checked += 1
    assert checked >= 20, checked
    print("     (%d real compacted partitions cross-checked)" % checked)


print("%s: %d passed, %d failed" % (NAME, results["passed"], results["failed"]))
sys.exit(1 if results["failed"] else 0)
