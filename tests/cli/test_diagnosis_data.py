#!/usr/bin/python3
"""CLI tests for the data-level partition findings of `ksegdoctor scan`:
legacy-format, future-timestamp, expired-timestamp, hanging-transaction and
producer-state-rebuild.  Each fires with exact numbers on a log dir written
here batch by batch, and stays silent where Kafka would do nothing.  Times
are judged with --now and --retention so the results do not depend on the
clock.
"""
import atexit
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
GEN = os.environ.get("KSD_GEN") or os.path.join(REPO, "build", "ksd-gen")
NAME = "cli-diagnosis-data"
TMP = tempfile.mkdtemp(prefix="ksd-diagdata-")
atexit.register(shutil.rmtree, TMP, True)
from clitest import results, test  # noqa: E402 - shared runner
from kbytes import ATTR_CONTROL, ATTR_TXN, crc32c, encode_record  # noqa: E402 - shared fixture bytes

NOW = 1700000000000          # --now (2023-11-14T22:13:20Z)
HOUR = 3600 * 1000
DAY = 24 * HOUR
MINE = {"legacy-format", "future-timestamp", "expired-timestamp", "hanging-transaction",
        "producer-state-rebuild"}


# --- v2 batches and legacy messages (kafka-facts.md §1.2-1.7) ----------------


def v2_batch(base_offset, n, ts, attributes=0, pid=-1, epoch=-1, records=None):
    recs = records or [(b"k%d" % i, b"v" * 20) for i in range(n)]
    body = b"".join(encode_record(i, k, v) for i, (k, v) in enumerate(recs))
    seq = 0 if pid >= 0 and not attributes & ATTR_CONTROL else -1
    after_crc = struct.pack(">hiqqqhii", attributes, len(recs) - 1, ts, ts, pid, epoch, seq,
                            len(recs)) + body
    return (struct.pack(">qiibI", base_offset, 4 + 1 + 4 + len(after_crc), 0, 2,
                        crc32c(after_crc)) + after_crc)


def marker(base_offset, pid, epoch, ts, commit=True):
    key = struct.pack(">hh", 0, 1 if commit else 0)
    value = struct.pack(">hi", 0, 5)
    return v2_batch(base_offset, 1, ts, ATTR_TXN | ATTR_CONTROL, pid, epoch, [(key, value)])


def legacy(magic, offset, ts):
    body = struct.pack(">bb", magic, 0)
    if magic == 1:
        body += struct.pack(">q", ts)
    body += struct.pack(">i", 2) + b"k1" + struct.pack(">i", 10) + b"v" * 10
    msg = struct.pack(">I", zlib.crc32(body)) + body
    return struct.pack(">qi", offset, len(msg)) + msg


# --- log dirs ------------------------------------------------------------------

_count = [0]


def logdir(name, clean=True):
    _count[0] += 1
    path = os.path.join(TMP, "%02d-%s" % (_count[0], name))
    os.makedirs(path)
    with open(os.path.join(path, "meta.properties"), "w") as f:
        f.write("version=0\nbroker.id=0\n")
    if clean:
        open(os.path.join(path, ".kafka_cleanshutdown"), "w").close()
    return path


def partition(root, name, segments):
    """segments = {base_offset: bytes}; returns {base: size}."""
    d = os.path.join(root, name)
    os.makedirs(d)
    for base, data in segments.items():
        with open(os.path.join(d, "%020d.log" % base), "wb") as f:
            f.write(data)
    return d


def scan(root, *args):
    p = subprocess.run([KSD, "scan", "--json", "--now", str(NOW), *args, root],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode in (0, 4, 8, 12, 16), (p.returncode, p.stderr)
    return p.returncode, json.loads(p.stdout)


def mine(doc, code=None):
    return [f for f in doc["findings"]
            if f["code"] in MINE and (code is None or f["code"] == code)]


def one(doc, code):
    hits = mine(doc, code)
    assert len(hits) == 1, "expected one %s, got %r" % (code, [
        (f["code"], f["severity"]) for f in mine(doc)])
    return hits[0]


def none_of(doc, code):
    hits = mine(doc, code)
    assert not hits, "unexpected %s: %s" % (code, hits[0]["message"])


def worst(doc):
    sev = [f["severity"] for f in doc["findings"]]
    return "error" if "error" in sev else "warning" if "warning" in sev else "info"


# --- legacy-format ---------------------------------------------------------------

def legacy_dir(name):
    root = logdir(name)
    v0 = b"".join(legacy(0, o, -1) for o in range(3))
    v1 = b"".join(legacy(1, o, NOW - 30 * DAY + o) for o in range(3, 5))
    v2 = v2_batch(5, 2, NOW - DAY)
    partition(root, "old-0", {0: v0 + v1, 5: v2})
    partition(root, "fresh-0", {0: v2_batch(0, 3, NOW - DAY)})
    return root, len(v0), len(v1)


@test
def legacy_format_reports_v0_and_v1_bytes_of_a_delete_policy_topic():
    root, v0, v1 = legacy_dir("legacy")
    _, doc = scan(root, "--retention", "-1")
    f = one(doc, "legacy-format")
    assert f["severity"] == "info" and f["partition"] == "old-0", f
    assert (f["v0_bytes"], f["v1_bytes"], f["legacy_bytes"]) == (v0, v1, v0 + v1), f
    assert (f["legacy_segments"], f["v0_segments"], f["v1_segments"]) == (1, 1, 1), f
    assert f["compacted"] is False and f["oldest_segment_base_offset"] == 0, f
    assert "retention deletes it" in f["message"] and "%d bytes of message format v0" % v0 in f["message"], f
    assert "KIP-724" in f["rule"], f


@test
def legacy_format_on_a_compacted_topic_says_the_cleaner_rewrites_it():
    root, v0, v1 = legacy_dir("legacy-compacted")
    _, doc = scan(root, "--retention", "-1", "--compacted-topic", "old")
    f = one(doc, "legacy-format")
    assert f["compacted"] is True and "KAFKA-13093" in f["message"], f


@test
def legacy_format_silent_on_v2_only_and_on_the_healthy_scenario():
    root = logdir("v2-only")
    partition(root, "fresh-0", {0: v2_batch(0, 3, NOW - DAY)})
    _, doc = scan(root)
    none_of(doc, "legacy-format")
    healthy = os.path.join(TMP, "healthy")
    subprocess.run([GEN, "scenario", "healthy", healthy], check=True, capture_output=True)
    _, doc = scan(healthy)
    # healthy's legacy-0 is v0/v1 on purpose; its v2 partitions must be silent.
    assert [f["partition"] for f in mine(doc, "legacy-format")] == ["legacy-0"]


# --- future-timestamp ---------------------------------------------------------------

def three_segments(root, name, ts):
    segs = {0: v2_batch(0, 2, ts[0]), 2: v2_batch(2, 3, ts[1]), 5: v2_batch(5, 1, ts[2])}
    partition(root, name, segs)
    return {b: len(d) for b, d in segs.items()}


@test
def future_timestamp_holds_back_later_segments():
    root = logdir("future")
    future = NOW + 2 * DAY
    sizes = three_segments(root, "clicks-0", [NOW - 2 * DAY, future, NOW - HOUR])
    rc, doc = scan(root, "--retention", "7d", "--fail-on", "warning")
    f = one(doc, "future-timestamp")
    assert rc == 4 and f["severity"] == "warning", (rc, f)
    assert f["segment_base_offset"] == 2 and f["max_timestamp"] == future, f
    assert (f["first_offset"], f["last_offset"]) == (2, 4), f
    assert f["held_back_segments"] == 1 and f["held_back_bytes"] == sizes[5], f
    assert f["ahead_ms"] == 2 * DAY and f["retained_until_ms"] == future + 7 * DAY, f
    assert f["tolerance_ms"] == HOUR and "KIP-1030" in f["rule"], f
    assert "2023-11-16T22:13:20.000Z" in f["message"], f["message"]


@test
def future_timestamp_silent_within_tolerance_compacted_or_unlimited():
    root = logdir("future-no")
    three_segments(root, "near-0", [NOW - DAY, NOW + 30 * 60 * 1000, NOW])
    three_segments(root, "table-0", [NOW - DAY, NOW + 5 * DAY, NOW])
    _, doc = scan(root, "--retention", "7d", "--compacted-topic", "table")
    none_of(doc, "future-timestamp")
    root = logdir("future-unlimited")
    three_segments(root, "clicks-0", [NOW - DAY, NOW + 5 * DAY, NOW])
    _, doc = scan(root, "--retention", "-1")
    none_of(doc, "future-timestamp")


# --- expired-timestamp -----------------------------------------------------------------

@test
def expired_timestamp_lists_the_prefix_retention_deletes():
    root = logdir("expired")
    sizes = three_segments(root, "clicks-0", [NOW - 10 * DAY, NOW - 9 * DAY, NOW - DAY])
    rc, doc = scan(root, "--retention", "7d")
    f = one(doc, "expired-timestamp")
    assert f["severity"] == "info" and worst(doc) == "info", f
    assert (f["segments"], f["bytes"]) == (2, sizes[0] + sizes[2]), f
    assert (f["first_offset"], f["last_offset"]) == (0, 4), f
    assert f["newest_timestamp"] == NOW - 9 * DAY and f["includes_active"] is False, f
    assert "offsets 0..4" in f["message"] and "5 min" in f["message"], f["message"]


@test
def expired_timestamp_stops_at_the_first_kept_segment():
    # Kafka deletes a prefix only: a young segment in the middle keeps the
    # old one after it.
    root = logdir("expired-prefix")
    sizes = three_segments(root, "clicks-0", [NOW - 10 * DAY, NOW - DAY, NOW - 9 * DAY])
    _, doc = scan(root, "--retention", "7d")
    f = one(doc, "expired-timestamp")
    assert (f["segments"], f["bytes"], f["last_offset"]) == (1, sizes[0], 1), f


@test
def expired_timestamp_includes_an_expired_active_segment():
    root = logdir("expired-all")
    sizes = three_segments(root, "clicks-0", [NOW - 10 * DAY, NOW - 9 * DAY, NOW - 8 * DAY])
    _, doc = scan(root, "--retention", "7d")
    f = one(doc, "expired-timestamp")
    assert f["segments"] == 3 and f["bytes"] == sum(sizes.values()), f
    assert f["includes_active"] is True and "rolled" in f["message"], f


@test
def expired_timestamp_uses_mtime_for_v0_data():
    root = logdir("expired-v0")
    d = partition(root, "old-0", {0: b"".join(legacy(0, o, -1) for o in range(3)),
                                  3: v2_batch(3, 1, NOW)})
    first = os.path.join(d, "%020d.log" % 0)
    os.utime(first, (NOW / 1000 - 30 * 86400, NOW / 1000 - 30 * 86400))
    _, doc = scan(root, "--retention", "7d")
    f = one(doc, "expired-timestamp")
    assert f["segments"] == 1 and f["uses_mtime"] is True, f


@test
def expired_timestamp_silent_with_longer_retention_compaction_or_unlimited():
    root = logdir("expired-no")
    three_segments(root, "clicks-0", [NOW - 10 * DAY, NOW - 9 * DAY, NOW - DAY])
    three_segments(root, "table-0", [NOW - 10 * DAY, NOW - 9 * DAY, NOW - 8 * DAY])
    _, doc = scan(root, "--retention", "30d", "--compacted-topic", "table")
    none_of(doc, "expired-timestamp")
    _, doc = scan(root, "--retention", "-1")
    none_of(doc, "expired-timestamp")


# --- hanging-transaction ---------------------------------------------------------------

def txn_partition(root, name, open_ts, newest_ts, corrupt=False):
    """pid 7: committed transaction, then an open one from offset 4; pid 8:
    an aborted transaction; a plain batch at newest_ts ends the log."""
    log = b"".join([
        v2_batch(0, 2, open_ts - HOUR, ATTR_TXN, 7, 3),
        marker(2, 7, 3, open_ts - HOUR),
        v2_batch(3, 1, open_ts - HOUR, ATTR_TXN, 8, 0),
        v2_batch(4, 2, open_ts - 1000, ATTR_TXN, 7, 4),
        marker(6, 8, 0, open_ts - 1000, commit=False),
        v2_batch(7, 3, open_ts, ATTR_TXN, 7, 4),
        v2_batch(10, 2, newest_ts),
    ])
    if corrupt:
        # Garbage over the aborted producer's marker area and a torn tail.
        data = bytearray(log)
        data[300:340] = b"\xff" * 40
        log = bytes(data) + v2_batch(12, 1, newest_ts)[:30]
    partition(root, name, {0: log})


def abort_command(topic, start):
    return ("kafka-transactions.sh --bootstrap-server HOST:9092 abort --topic %s --partition 0 "
            "--start-offset %d" % (topic, start))


@test
def hanging_transaction_older_than_the_timeout_is_a_warning():
    root = logdir("hanging")
    txn_partition(root, "payments-0", NOW - 2 * HOUR, NOW)
    rc, doc = scan(root, "--fail-on", "warning")
    f = one(doc, "hanging-transaction")
    assert rc == 4 and f["severity"] == "warning" and f["hanging"] is True, (rc, f)
    assert (f["producer_id"], f["producer_epoch"]) == (7, 4), f
    assert (f["first_offset"], f["last_offset"], f["batches"]) == (4, 9, 2), f
    assert f["last_timestamp"] == NOW - 2 * HOUR and f["partition_max_timestamp"] == NOW, f
    assert (f["log_end_offset"], f["lso_pinned_offsets"], f["txn_timeout_ms"]) == (12, 8, 900000), f
    assert abort_command("payments", 4) in f["message"], f["message"]
    assert "previous transaction ended with COMMIT at offset 2" in f["message"], f["message"]


@test
def open_transaction_within_the_timeout_is_info():
    root = logdir("in-flight")
    txn_partition(root, "payments-0", NOW - 5 * 60 * 1000, NOW)
    rc, doc = scan(root, "--fail-on", "warning")
    f = one(doc, "hanging-transaction")
    assert f["severity"] == "info" and f["hanging"] is False and rc == 0, (rc, f)
    assert "in flight" in f["message"], f["message"]
    # A shorter transaction.max.timeout.ms makes the same one hanging.
    _, doc = scan(root, "--txn-timeout", "1m")
    assert one(doc, "hanging-transaction")["severity"] == "warning"


@test
def committed_and_aborted_transactions_are_silent():
    root = logdir("closed-txn")
    log = b"".join([
        v2_batch(0, 2, NOW - DAY, ATTR_TXN, 7, 0), marker(2, 7, 0, NOW - DAY),
        v2_batch(3, 2, NOW - DAY, ATTR_TXN, 9, 0), marker(5, 9, 0, NOW - DAY, commit=False),
        v2_batch(6, 1, NOW),
    ])
    partition(root, "payments-0", {0: log})
    _, doc = scan(root)
    none_of(doc, "hanging-transaction")
    healthy = os.path.join(TMP, "healthy-txn")
    subprocess.run([GEN, "scenario", "healthy", healthy], check=True, capture_output=True)
    _, doc = scan(healthy)
    none_of(doc, "hanging-transaction")


@test
def damaged_transactional_partition_does_not_crash():
    root = logdir("txn-damaged")
    txn_partition(root, "payments-0", NOW - 2 * HOUR, NOW, corrupt=True)
    for level in ("crc", "headers"):
        p = subprocess.run([KSD, "scan", "--json", "--now", str(NOW), "--level", level, root],
                           capture_output=True, text=True, timeout=60)
        assert p.returncode in (4, 8, 12), (p.returncode, p.stderr)
        doc = json.loads(p.stdout)
        assert {f["code"] for f in doc["findings"]} & {"corrupt-entry", "crc-mismatch", "torn-tail"}
        # pid 7's open transaction lies before the damage and is still seen.
        assert any(f["producer_id"] == 7 for f in mine(doc, "hanging-transaction")), doc


# --- producer-state-rebuild -----------------------------------------------------------------

def snapshot_bytes():
    """A valid producer snapshot as ksd-gen's healthy scenario writes it."""
    healthy = os.path.join(TMP, "healthy-snap")
    if not os.path.exists(healthy):
        subprocess.run([GEN, "scenario", "healthy", healthy], check=True, capture_output=True)
    for dirpath, _, files in os.walk(healthy):
        for fn in sorted(files):
            if fn.endswith(".snapshot"):
                with open(os.path.join(dirpath, fn), "rb") as f:
                    return f.read()
    raise AssertionError("healthy scenario has no snapshot")


@test
def producer_state_rebuild_after_unclean_shutdown_without_snapshot():
    root = logdir("rebuild", clean=False)
    sizes = three_segments(root, "clicks-0", [NOW - DAY, NOW - DAY, NOW])
    rc, doc = scan(root, "--retention", "-1")
    f = one(doc, "producer-state-rebuild")
    assert f["severity"] == "info", f
    assert (f["replay_bytes"], f["replay_segments"]) == (sum(sizes.values()), 3), f
    assert (f["snapshot_offset"], f["replay_from_offset"], f["log_end_offset"]) == (-1, 0, 6), f
    assert "rebuildProducerState" in f["rule"], f


@test
def producer_state_rebuild_from_a_valid_snapshot_counts_only_later_segments():
    root = logdir("rebuild-snap", clean=False)
    sizes = three_segments(root, "clicks-0", [NOW - DAY, NOW - DAY, NOW])
    with open(os.path.join(root, "clicks-0", "%020d.snapshot" % 5), "wb") as f:
        f.write(snapshot_bytes())
    _, doc = scan(root, "--retention", "-1")
    f = one(doc, "producer-state-rebuild")
    assert (f["snapshot_offset"], f["replay_bytes"], f["replay_segments"]) == (5, sizes[5], 1), f
    # A corrupt snapshot is not loaded: the replay starts at the log start.
    with open(os.path.join(root, "clicks-0", "%020d.snapshot" % 5), "r+b") as f:
        f.seek(8)
        f.write(b"\xee\xee")
    _, doc = scan(root, "--retention", "-1")
    f = one(doc, "producer-state-rebuild")
    assert f["snapshot_offset"] == -1 and f["replay_bytes"] == sum(sizes.values()), f


@test
def producer_state_rebuild_silent_after_clean_shutdown_legacy_only_or_snapshot_at_end():
    root = logdir("rebuild-clean", clean=True)
    three_segments(root, "clicks-0", [NOW - DAY, NOW - DAY, NOW])
    _, doc = scan(root, "--retention", "-1")
    none_of(doc, "producer-state-rebuild")
    root = logdir("rebuild-legacy", clean=False)
    partition(root, "old-0", {0: b"".join(legacy(1, o, NOW) for o in range(3))})
    partition(root, "empty-0", {0: b""})
    d = partition(root, "tail-0", {0: v2_batch(0, 3, NOW)})
    with open(os.path.join(d, "%020d.snapshot" % 3), "wb") as f:
        f.write(snapshot_bytes())
    _, doc = scan(root, "--retention", "-1")
    none_of(doc, "producer-state-rebuild")


def main():
    print("%s: %d passed, %d failed" % (NAME, results["passed"], results["failed"]))
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
