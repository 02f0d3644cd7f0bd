#!/usr/bin/python3
"""CLI tests for `ksegdoctor offsets`.

Each test writes __consumer_offsets-N partition dirs into a temporary log dir
with the small v2 batch encoder below (zig-zag varints, pure-Python CRC-32C,
gzip through Python's gzip module), runs the real binary and checks the exact
committed offsets, stats and exit status against what Kafka's group
coordinator (GroupMetadataManager.loadGroupsAndOffsets) would load:
last record per key wins, tombstones delete, transactional commits wait for
their producer's COMMIT marker and then only replace an older entry
(CommitRecordMetadataAndOffset.olderThan), ABORT drops them.

At the end, every real log dir under <repo>/../shared/realdata that has
__consumer_offsets partitions is cross-checked against an independent
computation with python3-kafka's MemoryRecords (skipped when absent).

Run with /usr/bin/python3.  KSD = the binary (default <repo>/build/ksegdoctor).
"""
import atexit
import gzip
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KSD = os.environ.get("KSD") or os.path.join(REPO, "build", "ksegdoctor")
REALDATA = os.path.join(os.path.dirname(REPO), "shared", "realdata")
NAME = "cli-offsets"
TMP = tempfile.mkdtemp(prefix="ksd-offsets-")
atexit.register(shutil.rmtree, TMP, True)
from clitest import results, test  # noqa: E402 - shared runner
from kbytes import ATTR_CONTROL, ATTR_GZIP, ATTR_TXN, crc32c, encode_record, uvarint  # noqa: E402 - shared fixture bytes

BASE_TS = 1700000000000


# --- Java String.hashCode -> coordinator partition (kafka-facts.md §6.2) ----

def java_hash(s):
    h = 0
    data = s.encode("utf-16-be")
    for i in range(0, len(data), 2):
        h = (31 * h + (data[i] << 8 | data[i + 1])) & 0xFFFFFFFF
    return h - (1 << 32) if h & 0x80000000 else h


def coord_partition(group, n=50):
    h = java_hash(group)
    a = 0 if h == -(1 << 31) else abs(h)  # Kafka Utils.abs
    return a % n


# --- pure-Python CRC-32C and v2 batch encoder (kafka-facts.md §1.4-1.7) ----


def encode_batch(base_offset, kvs, attributes=0, pid=-1, epoch=-1, base_seq=-1,
                 base_ts=BASE_TS, leader_epoch=0, deltas=None):
    """One v2 batch.  kvs = [(key, value)]; deltas = offset deltas (default
    0..n-1; gaps model a compacted batch)."""
    deltas = deltas or list(range(len(kvs)))
    recs = b"".join(encode_record(d, k, v, ts_delta=d) for d, (k, v) in zip(deltas, kvs))
    if attributes & 0x07 == 1:
        recs = gzip.compress(recs)
    last_delta = deltas[-1] if deltas else 0
    after_crc = struct.pack(">hiqqqhii", attributes, last_delta, base_ts, base_ts + last_delta,
                            pid, epoch, base_seq, len(kvs)) + recs
    length = 4 + 1 + 4 + len(after_crc)  # leader epoch, magic, crc, rest
    return (struct.pack(">qiibI", base_offset, length, leader_epoch, 2, crc32c(after_crc))
            + after_crc)


def _legacy_message(magic, offset, key, value, attributes=0, ts=BASE_TS):
    """One v0/v1 entry: offset, size, CRC-32 over magic..end (kafka-facts.md §1.2)."""
    body = struct.pack(">bb", magic, attributes)
    if magic == 1:
        body += struct.pack(">q", ts)
    for b in (key, value):
        body += struct.pack(">i", -1) if b is None else struct.pack(">i", len(b)) + b
    msg = struct.pack(">I", zlib.crc32(body)) + body
    return struct.pack(">qi", offset, len(msg)) + msg


def encode_legacy(magic, base_offset, kvs, gzip_wrapper=False):
    """Uncompressed: one entry per message.  gzip: one wrapper whose value is
    the gzipped inner message set (v0: absolute inner offsets, v1: relative;
    wrapper offset = absolute offset of the last inner message)."""
    if not gzip_wrapper:
        return b"".join(_legacy_message(magic, base_offset + i, k, v, ts=BASE_TS + i)
                        for i, (k, v) in enumerate(kvs))
    inner = b"".join(_legacy_message(magic, (base_offset if magic == 0 else 0) + i, k, v,
                                     ts=BASE_TS + i) for i, (k, v) in enumerate(kvs))
    return _legacy_message(magic, base_offset + len(kvs) - 1, None, gzip.compress(inner),
                           attributes=1, ts=BASE_TS + len(kvs) - 1)


# --- __consumer_offsets keys and values (kafka-facts.md §6.1) ----------------

def kstr(s):
    if s is None:
        return struct.pack(">h", -1)
    b = s.encode() if isinstance(s, str) else s
    return struct.pack(">h", len(b)) + b


def compact_str(s):
    if s is None:
        return uvarint(0)
    b = s.encode()
    return uvarint(len(b) + 1) + b


def okey(group, topic, partition, version=1):
    return struct.pack(">h", version) + kstr(group) + kstr(topic) + struct.pack(">i", partition)


def oval(offset, metadata="", ts=BASE_TS, version=3, leader_epoch=7, expire=None, tags=b"\x00"):
    v = struct.pack(">hq", version, offset)
    if version == 4:
        return (v + struct.pack(">i", leader_epoch) + compact_str(metadata)
                + struct.pack(">q", ts) + tags)
    if version >= 3:
        v += struct.pack(">i", leader_epoch)
    v += kstr(metadata) + struct.pack(">q", ts)
    if version == 1:
        v += struct.pack(">q", ts + 86400000 if expire is None else expire)
    return v


def gkey(group, version=2):
    return struct.pack(">h", version) + kstr(group)


def gval_v0(protocol_type="consumer", generation=3, protocol="range", leader="m-1"):
    return (struct.pack(">h", 0) + kstr(protocol_type) + struct.pack(">i", generation)
            + kstr(protocol) + kstr(leader) + struct.pack(">i", 0))


def marker(commit, coordinator_epoch=5):
    return (struct.pack(">hh", 0, 1 if commit else 0), struct.pack(">hi", 0, coordinator_epoch))


# --- log dirs ----------------------------------------------------------------

class Part:
    """One __consumer_offsets-N partition: batches in log order, offsets
    assigned the way the broker does, rolled into segments on demand."""

    def __init__(self, n):
        self.n = n
        self.segments = [(0, [])]
        self.next = 0

    def roll(self):
        self.segments.append((self.next, []))

    def at(self, offset):
        """Skip to an offset (offsets removed by compaction / retention)."""
        assert offset >= self.next
        self.next = offset
        if not self.segments[-1][1]:
            self.segments[-1] = (offset, [])
        return self

    def batch(self, kvs, attributes=0, pid=-1, epoch=-1, corrupt=False):
        base = self.next
        seq = -1 if pid < 0 or attributes & ATTR_CONTROL else 0
        raw = bytearray(encode_batch(base, kvs, attributes, pid, epoch, seq,
                                     base_ts=BASE_TS + base))
        if corrupt:
            raw[17] ^= 0xFF  # stored CRC-32C flipped
        self.segments[-1][1].append(bytes(raw))
        self.next = base + max(len(kvs), 1)
        return base

    def raw(self, data, count):
        """Appends pre-encoded entries (legacy messages) holding `count` offsets."""
        base = self.next
        self.segments[-1][1].append(data)
        self.next = base + count
        return base

    def commit(self, group, topic, partition, offset, **kw):
        return self.batch([(okey(group, topic, partition), oval(offset, **kw))])

    def txn_commit(self, pid, group, topic, partition, offset, **kw):
        return self.batch([(okey(group, topic, partition), oval(offset, **kw))],
                          attributes=ATTR_TXN, pid=pid, epoch=0)

    def end_txn(self, pid, commit):
        return self.batch([marker(commit)], attributes=ATTR_TXN | ATTR_CONTROL, pid=pid,
                          epoch=0)

    def write(self, logdir):
        d = os.path.join(logdir, "__consumer_offsets-%d" % self.n)
        os.makedirs(d)
        for base, batches in self.segments:
            with open(os.path.join(d, "%020d.log" % base), "wb") as f:
                f.write(b"".join(batches))
        return d


class LogDir:
    _count = 0

    def __init__(self, name):
        LogDir._count += 1
        self.path = os.path.join(TMP, "%02d-%s" % (LogDir._count, name))
        self.parts = {}

    def part(self, n):
        return self.parts.setdefault(n, Part(n))

    def for_group(self, group, n=50):
        return self.part(coord_partition(group, n))

    def write(self):
        os.makedirs(self.path)
        with open(os.path.join(self.path, "meta.properties"), "w") as f:
            f.write("version=0\nbroker.id=0\n")
        for p in self.parts.values():
            p.write(self.path)
        return self.path


def run(*args):
    p = subprocess.run([KSD, "offsets", *args], capture_output=True, text=True, timeout=60)
    doc = json.loads(p.stdout) if "--json" in args and p.stdout.strip() else None
    if p.returncode not in (0, 4, 8, 16) or "Sanitizer" in p.stderr \
            or "runtime error:" in p.stderr:
        raise AssertionError("crash or bad exit %d: %s" % (p.returncode, p.stderr[-500:]))
    return p.returncode, doc, p.stdout, p.stderr


def offs(doc):
    return sorted((o["group"], o["topic"], o["partition"], o["offset"]) for o in doc["offsets"])


def one(doc, group, topic, partition):
    hits = [o for o in doc["offsets"]
            if (o["group"], o["topic"], o["partition"]) == (group, topic, partition)]
    assert len(hits) == 1, (group, topic, partition, offs(doc))
    return hits[0]


def stats_nonzero(doc):
    return {k: v for k, v in doc["stats"].items() if v}


# --- hashing -----------------------------------------------------------------

VECTORS = {"test": 48, "my-group": 12, "polygenelubricants": 0, "grp-\u00e9": 47,
           "\U0001F600": 49}


@test
def python_hash_matches_the_fact_sheet_vectors():
    assert java_hash("test") == 3556498
    assert java_hash("my-group") == -1906497762
    assert java_hash("polygenelubricants") == -2147483648
    assert java_hash("grp-\u00e9") == 98628097
    assert java_hash("\U0001F600") == 1772899
    for g, p in VECTORS.items():
        assert coord_partition(g) == p, (g, coord_partition(g), p)


# --- 1. last commit wins, across segments -----------------------------------

@test
def last_commit_per_key_wins_across_two_segments():
    ld = LogDir("last-wins")
    p = ld.for_group("my-group")
    p.commit("my-group", "orders", 0, 10)
    p.commit("my-group", "orders", 1, 11)
    p.commit("my-group", "payments", 0, 5)
    p.commit("my-group", "orders", 0, 20)
    p.roll()
    p.commit("my-group", "orders", 0, 30)
    p.commit("my-group", "orders", 1, 31)
    p.commit("my-group", "orders", 0, 25)  # older offset, later record: still wins
    rc, doc, _, _ = run("--json", ld.write())
    assert rc == 0, rc
    assert offs(doc) == [("my-group", "orders", 0, 25), ("my-group", "orders", 1, 31),
                         ("my-group", "payments", 0, 5)], offs(doc)
    o = one(doc, "my-group", "orders", 0)
    assert o["record_offset"] == 6 and o["found_in"] == 12 and o["expected_partition"] == 12
    assert o["misplaced"] is False and o["transactional"] is False
    assert doc["stats"]["segments"] == 2 and doc["stats"]["batches"] == 7
    assert doc["stats"]["records"] == 7 and doc["stats"]["offset_commits"] == 7
    assert doc["offsets_partitions"] == 50


@test
def several_records_in_one_batch_apply_in_order():
    ld = LogDir("one-batch")
    p = ld.for_group("test")
    p.batch([(okey("test", "t", 0), oval(1)), (okey("test", "t", 1), oval(2)),
             (okey("test", "t", 0), oval(3))])
    rc, doc, _, _ = run("--json", ld.write())
    assert rc == 0 and offs(doc) == [("test", "t", 0, 3), ("test", "t", 1, 2)], (rc, offs(doc))


# --- 2. tombstones -------------------------------------------------------------

@test
def tombstone_deletes_and_later_commit_recreates():
    ld = LogDir("tombstone")
    p = ld.for_group("test")
    p.commit("test", "a", 0, 100)
    p.commit("test", "a", 1, 200)
    p.batch([(okey("test", "a", 0), None)])
    p.batch([(okey("test", "a", 1), None)])
    p.roll()
    p.commit("test", "a", 1, 250)
    p.batch([(okey("test", "zz", 9), None)])  # tombstone for a key never seen
    rc, doc, _, _ = run("--json", ld.write())
    assert rc == 0, rc
    assert offs(doc) == [("test", "a", 1, 250)], offs(doc)
    assert doc["stats"]["tombstones"] == 3 and doc["stats"]["offset_commits"] == 3
    assert one(doc, "test", "a", 1)["record_offset"] == 4


# --- 3. transactional commits ----------------------------------------------------

@test
def txn_commit_applied_by_commit_marker():
    ld = LogDir("txn-commit")
    p = ld.for_group("test")
    p.commit("test", "t", 0, 5)
    p.txn_commit(1000, "test", "t", 0, 50, metadata="txn")
    p.txn_commit(1000, "test", "t", 1, 60)
    p.end_txn(1000, commit=True)
    rc, doc, _, _ = run("--json", ld.write())
    assert rc == 0, rc
    assert offs(doc) == [("test", "t", 0, 50), ("test", "t", 1, 60)], offs(doc)
    o = one(doc, "test", "t", 0)
    assert o["transactional"] is True and o["metadata"] == "txn" and o["record_offset"] == 1
    s = doc["stats"]
    assert (s["txn_commits_applied"], s["txn_commits_aborted"], s["txn_commits_pending"],
            s["txn_commits_superseded"]) == (2, 0, 0, 0), s
    rc, _, out, _ = run(ld.path)
    assert rc == 0 and "transactional" in out, out


@test
def txn_commit_dropped_by_abort_marker():
    ld = LogDir("txn-abort")
    p = ld.for_group("test")
    p.commit("test", "t", 0, 5, metadata="plain")
    p.txn_commit(1000, "test", "t", 0, 50)
    p.txn_commit(1000, "test", "new", 0, 1)
    p.end_txn(1000, commit=False)
    rc, doc, _, _ = run("--json", ld.write())
    assert rc == 0, rc
    assert offs(doc) == [("test", "t", 0, 5)], offs(doc)
    o = one(doc, "test", "t", 0)
    assert o["transactional"] is False and o["metadata"] == "plain"
    s = doc["stats"]
    assert (s["txn_commits_applied"], s["txn_commits_aborted"], s["txn_commits_pending"]) == \
        (0, 2, 0), s


@test
def txn_commit_without_marker_is_pending():
    ld = LogDir("txn-pending")
    p = ld.for_group("test")
    p.commit("test", "t", 0, 5)
    p.txn_commit(1000, "test", "t", 0, 50)
    p.txn_commit(1000, "test", "t", 1, 51)
    p.txn_commit(1000, "test", "t", 1, 52)  # same key, same producer: one pending entry
    p.end_txn(2000, commit=True)             # another producer's marker changes nothing
    rc, doc, _, err = run("--json", ld.write())
    assert rc == 0, rc
    assert offs(doc) == [("test", "t", 0, 5)], offs(doc)
    s = doc["stats"]
    assert (s["txn_commits_applied"], s["txn_commits_aborted"], s["txn_commits_pending"]) == \
        (0, 0, 2), s
    rc, _, _, err = run(ld.path)
    assert "2 still pending" in err, err


@test
def markers_are_per_producer():
    ld = LogDir("txn-interleaved")
    p = ld.for_group("test")
    p.txn_commit(1, "test", "t", 0, 10)
    p.txn_commit(2, "test", "t", 1, 20)
    p.txn_commit(3, "test", "t", 2, 30)
    p.end_txn(2, commit=False)
    p.end_txn(1, commit=True)
    p.roll()
    p.txn_commit(1, "test", "t", 3, 40)  # a new transaction of producer 1, never ended
    p.end_txn(3, commit=True)
    rc, doc, _, _ = run("--json", ld.write())
    assert rc == 0, rc
    assert offs(doc) == [("test", "t", 0, 10), ("test", "t", 2, 30)], offs(doc)
    s = doc["stats"]
    assert (s["txn_commits_applied"], s["txn_commits_aborted"], s["txn_commits_pending"]) == \
        (2, 1, 1), s


@test
def pending_commits_do_not_cross_partitions():
    # A marker in __consumer_offsets-48 must not apply producer 7's commit
    # waiting in another partition: Kafka loads each partition on its own.
    ld = LogDir("txn-per-partition")
    ld.for_group("my-group").txn_commit(7, "my-group", "t", 0, 10)
    ld.for_group("test").txn_commit(7, "test", "t", 0, 1)
    ld.for_group("test").end_txn(7, commit=True)
    rc, doc, _, _ = run("--json", ld.write())
    assert rc == 0 and offs(doc) == [("test", "t", 0, 1)], (rc, offs(doc))
    assert doc["stats"]["txn_commits_pending"] == 1, doc["stats"]


# --- 4. olderThan ----------------------------------------------------------------

@test
def txn_commit_older_than_existing_is_superseded():
    ld = LogDir("older-than")
    p = ld.for_group("test")
    p.at(10).txn_commit(77, "test", "t", 0, 1010)
    p.at(20).commit("test", "t", 0, 1020)
    p.at(30).end_txn(77, commit=True)
    rc, doc, _, _ = run("--json", ld.write())
    assert rc == 0, rc
    assert offs(doc) == [("test", "t", 0, 1020)], offs(doc)
    o = one(doc, "test", "t", 0)
    assert o["transactional"] is False and o["record_offset"] == 20, o
    s = doc["stats"]
    assert s["txn_commits_superseded"] == 1 and s["txn_commits_applied"] == 0, s


@test
def txn_commit_newer_than_existing_wins():
    ld = LogDir("newer-than")
    p = ld.for_group("test")
    p.at(10).commit("test", "t", 0, 1010)
    p.at(20).txn_commit(77, "test", "t", 0, 1020)
    p.at(30).end_txn(77, commit=True)
    rc, doc, _, _ = run("--json", ld.write())
    assert rc == 0 and offs(doc) == [("test", "t", 0, 1020)], (rc, offs(doc))
    o = one(doc, "test", "t", 0)
    assert o["transactional"] is True and o["record_offset"] == 20, o
    s = doc["stats"]
    assert s["txn_commits_superseded"] == 0 and s["txn_commits_applied"] == 1, s


@test
def txn_commit_after_non_txn_tombstone_is_applied():
    # The key was deleted after the txn commit was written: nothing to be
    # older than, so the COMMIT marker brings the offset back (Kafka:
    # !loadedOffsets.contains(key)).
    ld = LogDir("older-than-tombstone")
    p = ld.for_group("test")
    p.at(10).txn_commit(77, "test", "t", 0, 1010)
    p.at(20).commit("test", "t", 0, 1020)
    p.at(25).batch([(okey("test", "t", 0), None)])
    p.at(30).end_txn(77, commit=True)
    rc, doc, _, _ = run("--json", ld.write())
    assert rc == 0 and offs(doc) == [("test", "t", 0, 1010)], (rc, offs(doc))
    assert one(doc, "test", "t", 0)["transactional"] is True


# --- 5. transactional tombstones ------------------------------------------------

@test
def txn_tombstone_cancels_that_producers_pending_commit():
    ld = LogDir("txn-tombstone")
    p = ld.for_group("test")
    p.commit("test", "t", 0, 5)
    p.txn_commit(1, "test", "t", 0, 50)
    p.txn_commit(2, "test", "t", 1, 60)
    p.batch([(okey("test", "t", 0), None)], attributes=ATTR_TXN, pid=1, epoch=0)
    p.batch([(okey("test", "t", 1), None)], attributes=ATTR_TXN, pid=1, epoch=0)  # not pid 2's
    p.end_txn(1, commit=True)
    p.end_txn(2, commit=True)
    rc, doc, _, _ = run("--json", ld.write())
    assert rc == 0, rc
    assert offs(doc) == [("test", "t", 0, 5), ("test", "t", 1, 60)], offs(doc)
    s = doc["stats"]
    assert s["txn_commits_applied"] == 1 and s["txn_commits_pending"] == 0, s
    assert s["tombstones"] == 2, s


# --- 6. value versions -------------------------------------------------------------

@test
def value_versions_decode():
    ld = LogDir("value-versions")
    p = ld.for_group("test")
    p.batch([(okey("test", "v0", 0, version=0), oval(100, "m0", ts=BASE_TS + 1, version=0))])
    p.commit("test", "v1", 0, 101, metadata="m1", ts=BASE_TS + 2, version=1,
             expire=BASE_TS + 99)
    p.commit("test", "v2", 0, 102, metadata="", ts=BASE_TS + 3, version=2)
    p.commit("test", "v3", 0, 103, metadata="\u00e9\u00e8 \"q\"", ts=BASE_TS + 4, version=3,
             leader_epoch=42)
    p.commit("test", "v4", 0, 104, metadata="flex", ts=BASE_TS + 5, version=4, leader_epoch=9)
    p.commit("test", "v4", 1, 105, metadata="", ts=BASE_TS + 6, version=4, leader_epoch=-1,
             tags=uvarint(1) + uvarint(0) + uvarint(16) + bytes(range(16)))  # tag 0: a uuid
    rc, doc, _, _ = run("--json", ld.write())
    assert rc == 0, (rc, doc["stats"])
    got = {(o["topic"], o["partition"]): (o["offset"], o["leader_epoch"], o["metadata"],
                                          o["commit_timestamp"], o["expire_timestamp"],
                                          o["value_version"]) for o in doc["offsets"]}
    assert got == {
        ("v0", 0): (100, -1, "m0", BASE_TS + 1, -1, 0),
        ("v1", 0): (101, -1, "m1", BASE_TS + 2, BASE_TS + 99, 1),
        ("v2", 0): (102, -1, "", BASE_TS + 3, -1, 2),
        ("v3", 0): (103, 42, "\u00e9\u00e8 \"q\"", BASE_TS + 4, -1, 3),
        ("v4", 0): (104, 9, "flex", BASE_TS + 5, -1, 4),
        ("v4", 1): (105, -1, "", BASE_TS + 6, -1, 4),
    }, got
    assert doc["stats"]["decode_errors"] == 0


@test
def null_metadata_is_a_decode_error_like_kafka():
    # OffsetCommitValue.metadata is a non-nullable string: Kafka's reader
    # throws on length -1.  The record is skipped (the earlier commit stays),
    # counted, and the exit status says so.
    ld = LogDir("null-metadata")
    p = ld.for_group("test")
    p.commit("test", "t", 0, 5, metadata="keep")
    for version in (0, 1, 3):
        p.commit("test", "t", 0, 6 + version, metadata=None, version=version)
    rc, doc, _, _ = run("--json", ld.write())
    assert rc == 4, rc
    assert offs(doc) == [("test", "t", 0, 5)], offs(doc)
    assert one(doc, "test", "t", 0)["metadata"] == "keep"
    assert doc["stats"]["decode_errors"] == 3, doc["stats"]


@test
def broken_values_are_decode_errors_not_crashes():
    ld = LogDir("broken-values")
    p = ld.for_group("test")
    p.commit("test", "t", 0, 5)
    p.batch([(okey("test", "t", 0), struct.pack(">hq", 3, 9))])    # truncated v3
    p.batch([(okey("test", "t", 0), struct.pack(">h", 99) + b"\x00" * 30)])  # unknown version
    p.batch([(okey("test", "t", 0), b"\x00")])                      # 1 byte
    p.batch([(struct.pack(">h", 1) + kstr("test"), oval(1))])       # truncated key
    p.batch([(None, oval(1))])                                      # null key
    rc, doc, _, _ = run("--json", ld.write())
    assert rc == 4 and offs(doc) == [("test", "t", 0, 5)], (rc, offs(doc))
    assert doc["stats"]["decode_errors"] == 5, doc["stats"]


# --- 7. filters and output formats ----------------------------------------------

def filter_dir():
    ld = LogDir("filters")
    for g, base in (("test", 100), ("my-group", 200), ("a,b", 300)):
        p = ld.for_group(g)
        p.commit(g, "orders", 0, base)
        p.commit(g, "orders", 1, base + 1)
        p.commit(g, "audit", 0, base + 2)
    return ld.write()


FILTERS = None


@test
def group_and_topic_filters():
    global FILTERS
    FILTERS = filter_dir()
    rc, doc, _, _ = run("--json", FILTERS)
    assert rc == 0 and len(doc["offsets"]) == 9, (rc, offs(doc))
    rc, doc, _, _ = run("--json", "--group", "test", FILTERS)
    assert rc == 0 and offs(doc) == [("test", "audit", 0, 102), ("test", "orders", 0, 100),
                                     ("test", "orders", 1, 101)], offs(doc)
    rc, doc, _, _ = run("--json", "-g", "test", "--group", "my-group", "--topic", "orders",
                        FILTERS)
    assert offs(doc) == [("my-group", "orders", 0, 200), ("my-group", "orders", 1, 201),
                         ("test", "orders", 0, 100), ("test", "orders", 1, 101)], offs(doc)
    rc, doc, _, _ = run("--json", "--topic", "audit", "--topic", "nope", FILTERS)
    assert offs(doc) == [("a,b", "audit", 0, 302), ("my-group", "audit", 0, 202),
                         ("test", "audit", 0, 102)], offs(doc)
    rc, doc, _, _ = run("--json", "--group", "absent", FILTERS)
    assert rc == 0 and doc["offsets"] == [] and doc["groups"] == [], doc


@test
def csv_formats():
    # kafka-consumer-groups (ConsumerGroupCommand.parseResetPlan / --export)
    # uses topic,partition,offset exactly when one --group is given
    # (isSingleGroupQuery) and group,topic,partition,offset otherwise.
    rc, _, out, _ = run("--csv", "--group", "test", FILTERS)
    assert rc == 0 and out == "audit,0,102\norders,0,100\norders,1,101\n", repr(out)
    rc, _, out, _ = run("--csv", "--group", "test", "--group", "my-group", "--topic", "orders",
                        FILTERS)
    assert out == ("my-group,orders,0,200\nmy-group,orders,1,201\n"
                   "test,orders,0,100\ntest,orders,1,101\n"), repr(out)
    rc, _, out, _ = run("--csv", "--topic", "audit", FILTERS)
    assert out == '"a,b",audit,0,302\nmy-group,audit,0,202\ntest,audit,0,102\n', repr(out)
    rc, _, out, _ = run("--csv", "--group", "a,b", "--topic", "orders", FILTERS)
    assert out == "orders,0,300\norders,1,301\n", repr(out)
    # two --group options, only one with offsets: still the group form, as
    # `kafka-consumer-groups --group a,b --group absent --from-file` expects
    rc, _, out, _ = run("--csv", "--group", "a,b", "--group", "absent", "--topic", "orders",
                        FILTERS)
    assert out == '"a,b",orders,0,300\n"a,b",orders,1,301\n', repr(out)
    # no --group (an --all-groups reset) and one group in the data: group form
    ld = LogDir("csv-one-group")
    ld.for_group("test").commit("test", "t", 0, 1)
    rc, _, out, _ = run("--csv", ld.write())
    assert rc == 0 and out == "test,t,0,1\n", repr(out)
    rc, _, out, _ = run("--csv", "--group", "nothing-here", ld.path)
    assert rc == 0 and out == "", repr(out)


@test
def csv_quotes_quotes_and_newlines():
    ld = LogDir("csv-quoting")
    groups = ['say "hi"', "two\nlines", "plain"]
    for g in groups:
        ld.for_group(g).commit(g, "t,opic", 0, 1)
    rc, _, out, _ = run("--csv", ld.write())
    assert rc == 0, rc
    assert out == ('plain,"t,opic",0,1\n"say ""hi""","t,opic",0,1\n'
                   '"two\nlines","t,opic",0,1\n'), repr(out)


@test
def json_fields_and_stats_object():
    rc, doc, _, _ = run("--json", "--group", "a,b", FILTERS)
    assert rc == 0
    assert set(doc) >= {"offsets_partitions", "offsets", "groups", "stats"}, set(doc)
    for o in doc["offsets"]:
        for k in ("group", "topic", "partition", "offset", "leader_epoch", "metadata",
                  "commit_timestamp", "transactional", "found_in", "expected_partition",
                  "misplaced"):
            assert k in o, (k, o)
    o = one(doc, "a,b", "orders", 1)
    assert o == dict(o, group="a,b", topic="orders", partition=1, offset=301, leader_epoch=7,
                     metadata="", commit_timestamp=BASE_TS, transactional=False,
                     found_in=coord_partition("a,b"), expected_partition=coord_partition("a,b"),
                     misplaced=False), o
    assert set(doc["stats"]) == {
        "segments", "batches", "records", "offset_commits", "tombstones", "group_records",
        "other_records", "txn_commits_applied", "txn_commits_aborted", "txn_commits_pending",
        "txn_commits_superseded", "decode_errors", "corrupt_batches"}, doc["stats"]
    # stats are for everything read, not for the filtered view
    assert stats_nonzero(doc) == {"segments": 3, "batches": 9, "records": 9,
                                  "offset_commits": 9}, doc["stats"]


@test
def table_output():
    rc, _, out, err = run("--group", "my-group", FILTERS)
    assert rc == 0, rc
    lines = out.splitlines()
    assert lines[0].split() == ["GROUP", "TOPIC", "PARTITION", "OFFSET", "EPOCH", "COMMITTED",
                                "(UTC)", "NOTE"], lines[0]
    rows = [ln.split() for ln in lines[1:]]
    assert [r[:5] for r in rows] == [["my-group", "audit", "0", "202", "7"],
                                     ["my-group", "orders", "0", "200", "7"],
                                     ["my-group", "orders", "1", "201", "7"]], rows
    assert rows[0][5] == "2023-11-14T22:13:20Z", rows[0]
    assert "9 records in 3 segments: 9 committed offsets" in err, err


# --- 8. misplaced groups ---------------------------------------------------------

@test
def misplaced_group_flagged_exit_4():
    ld = LogDir("misplaced")
    ld.part(3).commit("test", "t", 0, 1)
    ld.part(48).commit("my-group", "t", 0, 2)
    rc, doc, _, _ = run("--json", ld.write())
    assert rc == 4, rc
    o = one(doc, "test", "t", 0)
    assert (o["found_in"], o["expected_partition"], o["misplaced"]) == (3, 48, True), o
    o = one(doc, "my-group", "t", 0)
    assert (o["found_in"], o["expected_partition"], o["misplaced"]) == (48, 12, True), o
    rc, _, out, err = run(ld.path)
    assert rc == 4 and "in __consumer_offsets-3, expected -48" in out, out
    assert "misplaced" in err, err
    # filtered to a correctly placed group only: nothing misplaced in view
    ld2 = LogDir("placed")
    ld2.part(48).commit("test", "t", 0, 1)
    ld2.part(12).commit("my-group", "t", 0, 2)
    rc, doc, _, _ = run("--json", ld2.write())
    assert rc == 0 and not any(o["misplaced"] for o in doc["offsets"]), (rc, doc)


@test
def offsets_partitions_changes_expected_partition():
    names = list(VECTORS) + ["console-consumer-12345", "spark-kafka-source-7f", "g"]
    for n in (50, 10, 7, 1, 200):
        ld = LogDir("partitions-%d" % n)
        for g in names:
            ld.part(coord_partition(g, n)).commit(g, "t", 0, 1)
        path = ld.write()
        rc, doc, _, _ = run("--json", "--offsets-partitions", str(n), path)
        assert rc == 0, (n, rc)
        assert doc["offsets_partitions"] == n
        got = {o["group"]: o["expected_partition"] for o in doc["offsets"]}
        assert got == {g: coord_partition(g, n) for g in names}, (n, got)
        if n == 50:
            assert {g: got[g] for g in VECTORS} == VECTORS, got
            rc, doc, _, _ = run("--json", "--offsets-partitions", "10", path)
            assert rc == 4 and {o["group"]: o["expected_partition"] for o in doc["offsets"]} \
                == {g: coord_partition(g, 10) for g in names}, doc
            assert any(o["misplaced"] for o in doc["offsets"])


# --- 9. group records ------------------------------------------------------------

@test
def group_metadata_records_and_tombstones():
    ld = LogDir("groups")
    p = ld.for_group("test")
    p.batch([(gkey("test"), gval_v0())])
    p.commit("test", "t", 0, 1)
    q = ld.for_group("my-group")
    q.batch([(gkey("my-group"), gval_v0(protocol_type="connect", protocol=None, leader=None))])
    q.batch([(gkey("my-group"), None)])
    r = ld.for_group("grp-\u00e9")
    r.batch([(gkey("grp-\u00e9", version=3), struct.pack(">hi", 0, 5) + b"\x00")])
    rc, doc, _, _ = run("--json", ld.write())
    assert rc == 0, (rc, doc["stats"])
    got = {g["group"]: (g["found_in"], g["expected_partition"], g["deleted"],
                        g["consumer_protocol"]) for g in doc["groups"]}
    assert got == {"test": (48, 48, False, True), "my-group": (12, 12, True, False),
                   "grp-\u00e9": (47, 47, False, True)}, got
    assert [g["group"] for g in doc["groups"]] == sorted(got, key=lambda s: s.encode())
    s = doc["stats"]
    assert s["group_records"] == 4 and s["decode_errors"] == 0, s
    assert offs(doc) == [("test", "t", 0, 1)]
    # a group tombstone does not delete offsets (Kafka keeps them for
    # "simple" consumers); a later group record revives the group
    q.batch([(gkey("my-group"), gval_v0())])
    q.commit("my-group", "x", 0, 9)
    shutil.rmtree(ld.path)
    rc, doc, _, _ = run("--json", ld.write())
    got = {g["group"]: g["deleted"] for g in doc["groups"]}
    assert got["my-group"] is False and ("my-group", "x", 0, 9) in offs(doc), (got, offs(doc))


@test
def misplaced_group_record_only_is_flagged():
    ld = LogDir("group-misplaced")
    ld.part(0).batch([(gkey("test"), gval_v0())])
    rc, doc, _, _ = run("--json", ld.write())
    assert rc == 4 and doc["offsets"] == [], (rc, doc)
    assert [(g["group"], g["found_in"], g["expected_partition"]) for g in doc["groups"]] == \
        [("test", 0, 48)], doc["groups"]


@test
def undecodable_group_value_counted():
    ld = LogDir("group-broken")
    p = ld.for_group("test")
    p.batch([(gkey("test"), struct.pack(">h", 0) + kstr("consumer") + b"\x00")])
    p.commit("test", "t", 0, 3)
    rc, doc, _, _ = run("--json", ld.write())
    assert rc == 4 and doc["stats"]["decode_errors"] == 1, (rc, doc["stats"])
    assert offs(doc) == [("test", "t", 0, 3)]


# --- 10. other KIP-848 / unknown record types ----------------------------------

@test
def other_record_types_are_skipped():
    ld = LogDir("kip848")
    p = ld.for_group("test")
    p.commit("test", "t", 0, 1)
    # ConsumerGroupMemberMetadata (key 5: group_id, member_id), valid key
    p.batch([(struct.pack(">h", 5) + kstr("test") + kstr("member-1"), b"\x00\x00junk")])
    # its tombstone, and ConsumerGroupPartitionMetadata (key 4)
    p.batch([(struct.pack(">h", 5) + kstr("test") + kstr("member-1"), None),
             (struct.pack(">h", 4) + kstr("test"), b"\x00\x00\x01\x00")])
    # a record type from the future
    p.batch([(struct.pack(">h", 99) + b"whatever", b"\x00\x01")])
    p.commit("test", "t", 0, 2)
    rc, doc, _, _ = run("--json", ld.write())
    assert rc == 0, (rc, doc["stats"])
    assert offs(doc) == [("test", "t", 0, 2)], offs(doc)
    s = doc["stats"]
    assert s["other_records"] == 4 and s["decode_errors"] == 0 and s["records"] == 6, s
    assert [g["group"] for g in doc["groups"]] == [], doc["groups"]


@test
def garbage_kip848_key_is_a_decode_error():
    ld = LogDir("kip848-garbage")
    p = ld.for_group("test")
    p.commit("test", "t", 0, 1)
    p.batch([(struct.pack(">h", 5) + b"\x7f", b"\x00\x00")])  # member key cut short
    p.commit("test", "t", 1, 2)
    rc, doc, _, _ = run("--json", ld.write())
    assert rc == 4, rc
    assert offs(doc) == [("test", "t", 0, 1), ("test", "t", 1, 2)], offs(doc)
    assert doc["stats"]["decode_errors"] == 1 and doc["stats"]["other_records"] == 0


# --- 11. compression -----------------------------------------------------------------

@test
def gzip_batches_decode_the_same():
    def build(name, attrs):
        ld = LogDir(name)
        p = ld.for_group("test")
        p.batch([(okey("test", "t", i), oval(100 + i)) for i in range(5)] +
                [(okey("test", "t", 0), oval(7, metadata="again"))], attributes=attrs)
        p.batch([(okey("test", "t", 1), None)], attributes=attrs)
        p.batch([(okey("test", "u", 0), oval(1, version=1))], attributes=attrs | ATTR_TXN,
                pid=4, epoch=0)
        p.end_txn(4, commit=True)
        rc, doc, _, _ = run("--json", ld.write())
        assert rc == 0, (name, rc, doc["stats"])
        return doc, ld.path
    (plain, _), (gz, path) = build("plain", 0), build("gzip", ATTR_GZIP)
    with open(os.path.join(path, "__consumer_offsets-48", "%020d.log" % 0), "rb") as f:
        raw = f.read()
    assert raw[21 + 1] & 0x07 == 1 and raw[61:63] == b"\x1f\x8b", raw[:70]
    assert offs(gz) == offs(plain) == [("test", "t", 0, 7), ("test", "t", 2, 102),
                                       ("test", "t", 3, 103), ("test", "t", 4, 104),
                                       ("test", "u", 0, 1)], offs(gz)
    assert gz["offsets"] == plain["offsets"] and gz["stats"] == plain["stats"]


# --- 12. corruption ---------------------------------------------------------------

@test
def corrupt_batch_skipped_and_counted():
    ld = LogDir("corrupt")
    p = ld.for_group("test")
    p.commit("test", "t", 0, 1)
    p.batch([(okey("test", "t", 0), oval(2))], corrupt=True)
    p.batch([(okey("test", "t", 1), oval(3))])
    p.roll()
    p.batch([(okey("test", "t", 2), oval(4))])
    rc, doc, _, err = run("--json", ld.write())
    assert rc == 4, rc
    assert offs(doc) == [("test", "t", 0, 1), ("test", "t", 1, 3), ("test", "t", 2, 4)], \
        offs(doc)
    assert doc["stats"]["corrupt_batches"] == 1, doc["stats"]
    assert doc["stats"]["decode_errors"] == 0, doc["stats"]
    rc, _, _, err = run(ld.path)
    assert rc == 4 and "could not be decoded" in err, err


@test
def torn_and_garbage_tails_do_not_crash():
    ld = LogDir("torn")
    p = ld.for_group("test")
    p.commit("test", "t", 0, 1)
    p.commit("test", "t", 0, 2)
    d = ld.write()
    log = os.path.join(d, "__consumer_offsets-48", "%020d.log" % 0)
    with open(log, "rb") as f:
        raw = f.read()
    with open(log, "wb") as f:
        f.write(raw[:-5])  # second batch cut short
    rc, doc, _, _ = run("--json", d)
    assert rc in (0, 4) and offs(doc) == [("test", "t", 0, 1)], (rc, offs(doc))
    with open(log, "wb") as f:
        f.write(raw + b"\x00" * 64)  # preallocated zero tail
    rc, doc, _, _ = run("--json", d)
    assert offs(doc) == [("test", "t", 0, 2)], (rc, offs(doc))


# --- legacy message formats (0.8.2-0.10 brokers) -----------------------------------

@test
def legacy_v0_and_v1_messages_and_gzip_wrappers():
    ld = LogDir("legacy")
    p = ld.for_group("test")
    # 0.8.2: key v0 + value v0, magic 0
    p.raw(encode_legacy(0, 0, [(okey("test", "t", 0, version=0), oval(10, "m", version=0)),
                               (okey("test", "t", 1, version=0), oval(11, version=0))]), 2)
    # 0.9: magic 0, gzip wrapper, value v1
    p.raw(encode_legacy(0, 2, [(okey("test", "t", 0), oval(20, version=1)),
                               (okey("test", "t", 2), oval(22, version=1)),
                               (okey("test", "t", 1), None)], gzip_wrapper=True), 3)
    p.roll()
    # 0.10: magic 1, plain and gzip wrapper; group metadata in between
    p.raw(encode_legacy(1, 5, [(gkey("test"), gval_v0()),
                               (okey("test", "t", 3), oval(33, version=1))]), 2)
    p.raw(encode_legacy(1, 7, [(okey("test", "t", 0), oval(30, version=1)),
                               (okey("test", "t", 4), oval(44, version=1))],
                        gzip_wrapper=True), 2)
    # then a v2 batch after the message format upgrade, same segment
    p.commit("test", "t", 4, 45)
    rc, doc, _, _ = run("--json", ld.write())
    assert rc == 0, (rc, doc["stats"])
    assert offs(doc) == [("test", "t", 0, 30), ("test", "t", 2, 22), ("test", "t", 3, 33),
                         ("test", "t", 4, 45)], offs(doc)
    s = doc["stats"]
    assert (s["records"], s["offset_commits"], s["tombstones"], s["group_records"]) == \
        (10, 8, 1, 1), s
    assert [(g["group"], g["deleted"]) for g in doc["groups"]] == [("test", False)]


# --- scale and ordering -----------------------------------------------------------------

@test
def many_keys_many_segments():
    # 12 segments (directory order is not log order) and ~6000 keys in
    # three partitions: every key's last value must win.
    ld = LogDir("many")
    want = {}
    groups = ["test", "my-group", "polygenelubricants"]
    for rnd in range(12):
        for g in groups:
            p = ld.for_group(g)
            if rnd:
                p.roll()
            kvs = []
            for t in range(4):
                for part in range(500):
                    if (part + rnd) % 3 == 0 or rnd == 0:
                        off = rnd * 100000 + t * 1000 + part
                        kvs.append((okey(g, "topic-%d" % t, part), oval(off)))
                        want[(g, "topic-%d" % t, part)] = off
            p.batch(kvs)
    # delete a few keys in the last segment
    for g in groups:
        ld.for_group(g).batch([(okey(g, "topic-0", i), None) for i in range(0, 500, 7)])
        for i in range(0, 500, 7):
            del want[(g, "topic-0", i)]
    rc, doc, _, _ = run("--json", ld.write())
    assert rc == 0, rc
    got = {(o["group"], o["topic"], o["partition"]): o["offset"] for o in doc["offsets"]}
    assert got == want, sorted(set(got.items()) ^ set(want.items()))[:5]
    assert doc["stats"]["segments"] == 36
    keys = [(o["group"].encode(), o["topic"].encode(), o["partition"]) for o in doc["offsets"]]
    assert keys == sorted(keys), "not sorted by group, topic, partition"


@test
def deleted_and_future_partition_dirs_are_not_read():
    ld = LogDir("stray-dirs")
    ld.for_group("test").commit("test", "t", 0, 1)
    path = ld.write()
    for suffix in ("delete", "future"):
        p = Part(48)
        p.commit("test", "t", 0, 999)
        p.commit("test", "other", 0, 999)
        staging = tempfile.mkdtemp(dir=TMP)
        d = p.write(staging)
        os.rename(d, os.path.join(path, os.path.basename(d) + ".0123456789abcdef0123456789abcdef-"
                                  + suffix))
    rc, doc, _, _ = run("--json", path)
    assert rc == 0 and offs(doc) == [("test", "t", 0, 1)], (rc, offs(doc))


@test
def two_log_dirs_in_one_call():
    a, b = LogDir("jbod-a"), LogDir("jbod-b")
    a.for_group("test").commit("test", "t", 0, 1)
    b.for_group("my-group").commit("my-group", "t", 0, 2)
    b.for_group("my-group").end_txn(5, commit=True)  # marker with nothing pending
    rc, doc, _, _ = run("--json", a.write(), b.write())
    assert rc == 0, rc
    assert offs(doc) == [("my-group", "t", 0, 2), ("test", "t", 0, 1)], offs(doc)
    assert {o["group"]: o["found_in"] for o in doc["offsets"]} == {"test": 48, "my-group": 12}


@test
def json_escapes_round_trip():
    ld = LogDir("escapes")
    names = ['q"uote\\back', "ctl\x01\x1f\t", "line\u2028sep", "emoji \U0001F600 \u00e9"]
    for g in names:
        ld.for_group(g).commit(g, g + "/t", 0, 1, metadata=g)
    rc, doc, _, _ = run("--json", ld.write())
    assert rc == 0, rc
    got = sorted((o["group"], o["topic"], o["metadata"], o["expected_partition"])
                 for o in doc["offsets"])
    assert got == sorted((g, g + "/t", g, coord_partition(g)) for g in names), got


@test
def group_filter_limits_the_misplaced_verdict():
    ld = LogDir("misplaced-filter")
    ld.part(3).commit("test", "t", 0, 1)
    ld.for_group("my-group").commit("my-group", "t", 0, 2)
    path = ld.write()
    rc, doc, _, _ = run("--json", "--group", "my-group", path)
    assert rc == 0 and offs(doc) == [("my-group", "t", 0, 2)], (rc, offs(doc))
    rc, _, out, _ = run("--csv", "--group", "test", path)
    assert rc == 4 and out == "t,0,1\n", (rc, out)


@test
def empty_control_batch_and_empty_partition():
    # KAFKA-7467: cleaners <= 2.0.0 could leave an empty control batch; the
    # coordinator skips it (its producer's pending commits stay pending).
    ld = LogDir("empty-control")
    p = ld.for_group("test")
    p.txn_commit(9, "test", "t", 0, 1)
    p.batch([], attributes=ATTR_TXN | ATTR_CONTROL, pid=9, epoch=0)
    ld.part(0)  # a partition dir with an empty segment
    rc, doc, _, _ = run("--json", ld.write())
    assert rc == 0 and doc["offsets"] == [], (rc, doc)
    assert doc["stats"]["txn_commits_pending"] == 1, doc["stats"]
    p.end_txn(9, commit=True)
    shutil.rmtree(ld.path)
    rc, doc, _, _ = run("--json", ld.write())
    assert rc == 0 and offs(doc) == [("test", "t", 0, 1)], (rc, doc)


# --- 13. exit codes ------------------------------------------------------------------

@test
def exit_codes():
    rc, _, _, err = run(os.path.join(TMP, "does-not-exist"))
    assert rc == 8, (rc, err)
    empty = os.path.join(TMP, "no-offsets")
    os.makedirs(os.path.join(empty, "orders-0"))
    with open(os.path.join(empty, "orders-0", "%020d.log" % 0), "wb") as f:
        f.write(encode_batch(0, [(b"k", b"v")]))
    rc, _, _, err = run(empty)
    assert rc == 8 and "no __consumer_offsets partition" in err, (rc, err)
    for args in (["--json", "--csv", FILTERS], ["--offsets-partitions", "0", FILTERS],
                 ["--offsets-partitions", "-3", FILTERS], ["--offsets-partitions", "x", FILTERS],
                 [], ["--json"], ["--no-such-option", FILTERS]):
        rc, _, out, err = run(*args)
        assert rc == 16, (args, rc, err)
        assert out == "", (args, out)
    rc, _, out, _ = run("--help")
    assert rc == 0 and "--offsets-partitions" in out


@test
def partition_dir_given_directly():
    ld = LogDir("direct")
    ld.for_group("test").commit("test", "t", 0, 1)
    ld.part(3).commit("test", "t", 1, 2)
    ld.write()
    d = os.path.join(ld.path, "__consumer_offsets-48")
    rc, doc, _, _ = run("--json", d)
    assert rc == 0 and offs(doc) == [("test", "t", 0, 1)], (rc, offs(doc))


# --- 14. real broker data ---------------------------------------------------------

def py_offsets(logdir):
    """Independent committed-offsets computation with python3-kafka."""
    from kafka.record.default_records import DefaultRecordBatch
    from kafka.record.memory_records import MemoryRecords
    committed, groups, n_records, errors = {}, {}, 0, []
    parts = sorted(e for e in os.listdir(logdir) if e.startswith("__consumer_offsets-")
                   and e[len("__consumer_offsets-"):].isdigit())
    for part in parts:
        d = os.path.join(logdir, part)
        loaded, pending = {}, {}
        for seg in sorted(f for f in os.listdir(d) if f.endswith(".log")):
            with open(os.path.join(d, seg), "rb") as f:
                mr = MemoryRecords(f.read())
            while mr.has_next():
                b = mr.next_batch()
                if b is None:
                    break
                v2 = isinstance(b, DefaultRecordBatch)
                txn = v2 and b.is_transactional
                pid = b._header_data[9] if v2 else -1
                if v2 and b.is_control_batch:
                    recs = list(b)
                    if recs:
                        ctype = struct.unpack(">h", recs[0].key[2:4])[0]
                        if ctype == 1:
                            for k, (bo, val) in pending.get(pid, {}).items():
                                if k not in loaded or loaded[k][0] < bo:
                                    loaded[k] = (bo, val)
                        pending.pop(pid, None)
                    continue
                first = None
                for r in b:
                    n_records += 1
                    first = r.offset if first is None else first
                    key = r.key
                    ver = struct.unpack_from(">h", key)[0]
                    if ver == 2:
                        gl = struct.unpack_from(">h", key, 2)[0]
                        groups[(bytes(key[4:4 + gl]).decode(), int(part.rsplit("-", 1)[1]))] = \
                            r.value is None
                        continue
                    if ver not in (0, 1):
                        continue
                    pos = 2
                    gl = struct.unpack_from(">h", key, pos)[0]
                    g = bytes(key[pos + 2:pos + 2 + gl]).decode()
                    pos += 2 + gl
                    tl = struct.unpack_from(">h", key, pos)[0]
                    t = bytes(key[pos + 2:pos + 2 + tl]).decode()
                    pos += 2 + tl
                    (pn,) = struct.unpack_from(">i", key, pos)
                    k = (g, t, pn)
                    target = pending.setdefault(pid, {}) if txn else loaded
                    if r.value is None:
                        target.pop(k, None)
                        continue
                    val = r.value
                    vv, off = struct.unpack_from(">hq", val)
                    if vv > 4:
                        errors.append((part, seg, r.offset, "value version %d" % vv))
                        continue
                    target[k] = (first, off)
        for k, (_, off) in loaded.items():
            committed[k] = off
    return committed, groups, n_records, errors


@test
def realdata_matches_python_kafka():
    if not os.path.isdir(REALDATA):
        print("     (skipped: %s absent)" % REALDATA)
        return
    try:
        import kafka.record.memory_records  # noqa: F401
    except ImportError as e:
        print("     (skipped: python3-kafka not importable: %s)" % e)
        return
    checked = 0
    for name in sorted(os.listdir(REALDATA)):
        ld = os.path.join(REALDATA, name)
        if not os.path.isdir(ld) or not any(e.startswith("__consumer_offsets-")
                                            for e in os.listdir(ld)):
            continue
        want, want_groups, n_records, errors = py_offsets(ld)
        assert not errors, (name, errors[:3])
        rc, doc, _, err = run("--json", ld)
        assert rc == 0, (name, rc, err)
        got = {(o["group"], o["topic"], o["partition"]): o["offset"] for o in doc["offsets"]}
        assert got == want, (name, sorted(set(got.items()) ^ set(want.items()))[:5])
        got_groups = {(g["group"], g["found_in"]): g["deleted"] for g in doc["groups"]}
        assert got_groups == want_groups, (name, got_groups, want_groups)
        s = doc["stats"]
        assert s["decode_errors"] == 0 and s["corrupt_batches"] == 0, (name, s)
        assert s["records"] == n_records, (name, s["records"], n_records)
        assert not any(o["misplaced"] for o in doc["offsets"]), name
        assert not any(g["found_in"] != g["expected_partition"] for g in doc["groups"]), name
        checked += 1
    assert checked >= 10, checked
    print("     (%d real log dirs cross-checked)" % checked)


print("%s: %d passed, %d failed" % (NAME, results["passed"], results["failed"]))
sys.exit(1 if results["failed"] else 0)
