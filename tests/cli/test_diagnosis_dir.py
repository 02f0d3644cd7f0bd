#!/usr/bin/python3
"""CLI tests for the directory-level findings of `ksegdoctor scan` (issue 4):
unclean-shutdown, missing-index, orphan-file, checkpoint-mismatch, and the
broker-scope meta-properties-mismatch, duplicate-partition, topic-id-mismatch.

Each finding is made to fire on an edited copy of `ksd-gen scenario healthy`
(exact code, severity and numbers from --json) and shown not to fire on the
nearest legitimate layout.
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KSD = os.environ.get("KSD", os.path.join(ROOT, "build", "ksegdoctor"))
GEN = os.environ.get("KSD_GEN", os.path.join(ROOT, "build", "ksd-gen"))
TMP = tempfile.mkdtemp(prefix="ksd-diagdir-")
from clitest import results, test  # noqa: E402 - shared runner
HEALTHY = os.path.join(TMP, "healthy")
SUFFIX = ".0123456789abcdef0123456789abcdef-"
MINE = {"unclean-shutdown", "missing-index", "orphan-file", "checkpoint-mismatch",
        "meta-properties-mismatch", "duplicate-partition", "topic-id-mismatch"}


def scan(*paths, args=()):
    p = subprocess.run([KSD, "scan", "--json", "--no-progress", *args, *paths],
                       capture_output=True, text=True, timeout=120)
    return p.returncode, json.loads(p.stdout)


def mine(doc, code=None):
    """This suite's findings (other checks have their own suites)."""
    return [f for f in doc["findings"]
            if f["code"] in MINE and (code is None or f["code"] == code)]


def one(doc, code):
    hits = mine(doc, code)
    assert len(hits) == 1, "expected one %s, got %r" % (
        code, [(f["code"], f["severity"], f["message"]) for f in mine(doc)])
    return hits[0]


def copy(name):
    dst = os.path.join(TMP, name)
    shutil.copytree(HEALTHY, dst)
    return dst


def size(path):
    return os.path.getsize(path)


def write(path, text):
    with open(path, "w") as fh:
        fh.write(text)


def set_checkpoint(root, file, entries):
    """Rewrites a root checkpoint with {(topic, partition): offset}."""
    lines = ["%s %d %d" % (t, p, o) for (t, p), o in sorted(entries.items())]
    write(os.path.join(root, file), "0\n%d\n%s" % (len(lines), "".join(l + "\n" for l in lines)))


def read_checkpoint(root, file):
    with open(os.path.join(root, file)) as fh:
        rows = fh.read().split("\n")[2:]
    out = {}
    for r in rows:
        if r.strip():
            t, p, o = r.split()
            out[(t, int(p))] = int(o)
    return out


def logs(part):
    return sorted(f for f in os.listdir(part) if f.endswith(".log"))


def new_uuid():
    return base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode()


# --- the fixture ---------------------------------------------------------

subprocess.run([GEN, "scenario", "healthy", HEALTHY], check=True, capture_output=True)


@test
def healthy_has_none_of_these_findings():
    rc, doc = scan(HEALTHY)
    assert rc == 0 and mine(doc) == [], mine(doc)


# --- unclean-shutdown ------------------------------------------------------

@test
def unclean_shutdown_counts_what_recovery_reads():
    root = copy("unclean")
    os.remove(os.path.join(root, ".kafka_cleanshutdown"))
    # Every partition's recovery point is its log end: only each last
    # segment is at or above it.  Dropping events-1 from the checkpoint
    # makes its recovery point 0: all its segments are recovered.
    rp = read_checkpoint(root, "recovery-point-offset-checkpoint")
    del rp[("events", 1)]
    set_checkpoint(root, "recovery-point-offset-checkpoint", rp)
    parts = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
    want_segs, want_bytes = 0, 0
    for d in parts:
        ls = logs(os.path.join(root, d))
        chosen = ls if d == "events-1" else ls[-1:]
        want_segs += len(chosen)
        want_bytes += sum(size(os.path.join(root, d, f)) for f in chosen)
    rc, doc = scan(root)
    f = one(doc, "unclean-shutdown")
    assert rc == 0 and f["severity"] == "info", (rc, f)
    assert f["partitions"] == len(parts) and f["partitions_scanned"] == len(parts), f
    assert f["segments"] == want_segs and f["segments"] > len(parts), (f, want_segs)
    assert f["bytes"] == want_bytes, (f, want_bytes)
    assert "KAFKA-10471" in f["message"] and "KAFKA-10471" in f["rule"], f
    assert f["log_dir"] == root and f["partition"] is None, f


@test
def unclean_shutdown_not_for_a_bare_dir_of_partitions():
    # Partition dirs copied into a plain dir: no root files, no log dir root,
    # nothing the broker would recover as such.
    bare = os.path.join(TMP, "bare")
    os.mkdir(bare)
    shutil.copytree(os.path.join(HEALTHY, "events-0"), os.path.join(bare, "events-0"))
    rc, doc = scan(os.path.join(bare, "events-0"))
    assert rc == 0 and mine(doc, "unclean-shutdown") == [], mine(doc)
    assert doc["summary"]["segments"] == 3, doc["summary"]


# --- missing-index ---------------------------------------------------------

@test
def missing_offset_index_says_the_segment_is_reread():
    root = copy("noindex")
    seg = os.path.join(root, "events-0", "00000000000000000433")
    os.remove(seg + ".index")
    rc, doc = scan(root)
    f = one(doc, "missing-index")
    assert rc == 0 and f["severity"] == "info", f
    assert f["missing"] == ".index" and f["bytes_reread"] == size(seg + ".log"), f
    assert f["segment"] == 433 and f["path"] == seg + ".log", f
    # Named alone, the .log's siblings are looked up on disk.
    rc, doc = scan(seg + ".log")
    assert one(doc, "missing-index")["bytes_reread"] == size(seg + ".log")
    rc, doc = scan(os.path.join(HEALTHY, "events-0", "00000000000000000433.log"))
    assert mine(doc, "missing-index") == [], mine(doc)


@test
def missing_time_index_is_recreated_empty():
    root = copy("notimeindex")
    seg = os.path.join(root, "events-0", "00000000000000000433")
    os.remove(seg + ".timeindex")
    rc, doc = scan(root)
    f = one(doc, "missing-index")
    assert f["missing"] == ".timeindex" and f["severity"] == "info", f
    assert "mtime" in f["message"] and "resize(0)" in f["rule"], f
    # A 0.10.0 broker has no time index at all.
    rc, doc = scan(root, args=("--kafka-version", "0.10.0.1"))
    assert mine(doc, "missing-index") == [], mine(doc)


@test
def empty_segment_without_index_is_not_reported():
    root = copy("emptyseg")
    open(os.path.join(root, "events-0", "00000000000000001388.log"), "wb").close()
    rc, doc = scan(root)
    assert rc == 0 and mine(doc) == [], mine(doc)


# --- orphan-file -------------------------------------------------------------

@test
def index_without_log_is_an_orphan():
    root = copy("orphanindex")
    part = os.path.join(root, "events-0")
    shutil.copy(os.path.join(part, "00000000000000000433.index"),
                os.path.join(part, "00000000000000000500.index"))
    shutil.copy(os.path.join(part, "00000000000000000433.timeindex"),
                os.path.join(part, "00000000000000000500.timeindex"))
    rc, doc = scan(root)
    f = one(doc, "orphan-file")
    assert rc == 0 and f["severity"] == "info" and f["base_offset"] == 500, f
    assert f["kind"] == "index" and ".index .timeindex" in f["message"], f
    assert f["partition"] == "events-0", f


@test
def stray_and_beyond_end_snapshots_are_orphans():
    root = copy("orphansnap")
    part = os.path.join(root, "__consumer_offsets-12")
    src = os.path.join(part, "00000000000000001500.snapshot")
    # Bases 0/1500/3000, log end 3100 (its snapshot is the kept stray).
    shutil.copy(src, os.path.join(part, "00000000000000002000.snapshot"))
    rc, doc = scan(root)
    f = one(doc, "orphan-file")
    assert f["snapshot_offset"] == 2000 and f["log_end_offset"] == 3100, f
    assert "removeStraySnapshots" in f["rule"], f
    # One above the log end becomes the largest stray: removeStraySnapshots
    # now deletes 3100 too, and truncateAndReload deletes 9999.
    shutil.copy(src, os.path.join(part, "00000000000000009999.snapshot"))
    rc, doc = scan(root)
    got = sorted(f["snapshot_offset"] for f in mine(doc, "orphan-file"))
    assert got == [2000, 3100, 9999], got
    beyond = [f for f in mine(doc, "orphan-file") if f["snapshot_offset"] == 9999][0]
    assert "truncateAndReload" in beyond["rule"], beyond


@test
def snapshots_at_bases_and_log_end_are_not_orphans():
    rc, doc = scan(os.path.join(HEALTHY, "__consumer_offsets-12"))
    assert mine(doc, "orphan-file") == [], mine(doc)


# --- checkpoint-mismatch ---------------------------------------------------

def edit_checkpoint(root, file, key, value):
    cp = read_checkpoint(root, file)
    cp[key] = value
    set_checkpoint(root, file, cp)


@test
def log_start_beyond_log_end_deletes_the_partition():
    root = copy("logstart")
    edit_checkpoint(root, "log-start-offset-checkpoint", ("events", 0), 5000)
    rc, doc = scan(root)
    f = one(doc, "checkpoint-mismatch")
    part = os.path.join(root, "events-0")
    assert rc == 4 and f["severity"] == "error", (rc, f)
    assert f["checkpoint_offset"] == 5000 and f["log_end_offset"] == 1388, f
    assert f["segments_deleted"] == 3, f
    assert f["bytes_deleted"] == sum(size(os.path.join(part, l)) for l in logs(part)), f
    assert "deletes all 3 segments" in f["message"] and "logStartOffset" in f["rule"], f


@test
def high_watermark_beyond_log_end_is_graded_by_shutdown():
    root = copy("hw")
    edit_checkpoint(root, "replication-offset-checkpoint", ("events", 0), 2000)
    rc, doc = scan(root)
    f = one(doc, "checkpoint-mismatch")
    assert rc == 0 and f["severity"] == "warning", f
    assert f["checkpoint"] == "replication-offset-checkpoint", f
    assert f["checkpoint_offset"] == 2000 and f["log_end_offset"] == 1388, f
    assert "612 acknowledged offsets" in f["message"] and f["clean_shutdown"] is True, f
    os.remove(os.path.join(root, ".kafka_cleanshutdown"))
    rc, doc = scan(root)
    f = one(doc, "checkpoint-mismatch")
    assert f["severity"] == "info" and f["clean_shutdown"] is False, f


@test
def recovery_point_and_cleaner_beyond_log_end():
    root = copy("rp")
    edit_checkpoint(root, "recovery-point-offset-checkpoint", ("events", 1), 1000)
    edit_checkpoint(root, "cleaner-offset-checkpoint", ("__consumer_offsets", 12), 3500)
    rc, doc = scan(root)
    got = sorted((f["checkpoint"], f["severity"], f["checkpoint_offset"], f["log_end_offset"])
                 for f in mine(doc, "checkpoint-mismatch"))
    assert got == [("cleaner-offset-checkpoint", "info", 3500, 3100),
                   ("recovery-point-offset-checkpoint", "warning", 1000, 924)], got


@test
def leader_epoch_beyond_log_end():
    root = copy("epochs")
    write(os.path.join(root, "events-0", "leader-epoch-checkpoint"), "0\n3\n0 0\n1 1388\n2 1500\n")
    rc, doc = scan(root)
    f = one(doc, "checkpoint-mismatch")
    assert f["severity"] == "warning" and f["entries_beyond"] == 1, f
    assert f["epoch"] == 2 and f["start_offset"] == 1500 and f["log_end_offset"] == 1388, f
    assert f["path"] == os.path.join(root, "events-0", "leader-epoch-checkpoint"), f


@test
def checkpoints_at_the_log_end_are_fine():
    # An epoch starting exactly at the log end is a leader elected after the
    # last append; high watermark and recovery point equal to it are normal.
    root = copy("atend")
    write(os.path.join(root, "events-0", "leader-epoch-checkpoint"), "0\n2\n0 0\n1 1388\n")
    rc, doc = scan(root)
    assert rc == 0 and mine(doc) == [], mine(doc)


@test
def checkpoint_entry_without_a_dir_is_info():
    root = copy("ghost")
    edit_checkpoint(root, "replication-offset-checkpoint", ("ghost", 0), 42)
    edit_checkpoint(root, "replication-offset-checkpoint", ("gone", 3), 0)
    rc, doc = scan(root)
    f = one(doc, "checkpoint-mismatch")
    assert rc == 0 and f["severity"] == "info", f
    assert f["entries_without_dir"] == 2 and f["lost_dirs"] == 1, f
    assert "ghost-0=42" in f["message"] and f["partition"] is None, f
    # Scanning partitions only, the others are not scanned: no finding.
    rc, doc = scan(os.path.join(root, "events-0"))
    assert mine(doc, "checkpoint-mismatch") == [], mine(doc)


@test
def delete_dirs_are_not_checked_against_checkpoints():
    root = copy("deletedir")
    shutil.copytree(os.path.join(root, "events-0"), os.path.join(root, "events-0" + SUFFIX + "delete"))
    shutil.rmtree(os.path.join(root, "events-0"))
    # The entry now only has a -delete dir: information, not a mismatch of it.
    rc, doc = scan(root)
    assert rc == 0, rc
    assert all(f["severity"] == "info" and f["partition"] is None
               for f in mine(doc, "checkpoint-mismatch")), mine(doc)


# --- broker scope ------------------------------------------------------------

def meta(root, text):
    write(os.path.join(root, "meta.properties"), text)


def empty_logdir(name, meta_text):
    """A second log dir of the same broker with no partitions."""
    d = os.path.join(TMP, name)
    os.mkdir(d)
    meta(d, meta_text)
    open(os.path.join(d, ".kafka_cleanshutdown"), "w").close()
    return d


HEALTHY_META = "version=0\nbroker.id=1\ncluster.id=7E7qfq7xShaCojAq_M4H8g\n"


@test
def meta_properties_agree_across_dirs():
    b = empty_logdir("meta-ok", HEALTHY_META)
    rc, doc = scan(HEALTHY, b)
    assert rc == 0 and mine(doc) == [], mine(doc)
    # Empty cluster.id in both: the same value (realdata has such dirs).
    a = copy("meta-empty-a")
    meta(a, "version=0\nbroker.id=1\ncluster.id=\n")
    b = empty_logdir("meta-empty-b", "version=0\nbroker.id=1\ncluster.id=\n")
    rc, doc = scan(a, b)
    assert rc == 0 and mine(doc) == [], mine(doc)


@test
def meta_properties_mismatches_are_broker_errors():
    b = empty_logdir("meta-bad", "version=0\nbroker.id=2\ncluster.id=OtherClusterIdAAAAAAAA\n")
    rc, doc = scan(HEALTHY, b)
    got = sorted(f["field"] for f in mine(doc, "meta-properties-mismatch"))
    assert rc == 4 and got == ["broker.id/node.id", "cluster.id"], (rc, got)
    for f in mine(doc, "meta-properties-mismatch"):
        assert f["severity"] == "error" and f["scope"] == "broker", f
        assert f["log_dir"] is None and f["partition"] is None, f
        assert f["other_log_dir"] == HEALTHY and f["path"] == os.path.join(b, "meta.properties"), f
    p = subprocess.run([KSD, "scan", "--no-progress", HEALTHY, b], capture_output=True, text=True)
    assert "Across log dirs" in p.stdout and "meta-properties-mismatch" in p.stdout, p.stdout


@test
def kraft_and_zookeeper_dirs_and_duplicate_directory_ids():
    did = new_uuid()
    a = copy("meta-kraft-a")
    meta(a, "version=1\nnode.id=1\ncluster.id=7E7qfq7xShaCojAq_M4H8g\ndirectory.id=%s\n" % did)
    b = empty_logdir("meta-kraft-b",
                     "version=1\nnode.id=1\ncluster.id=7E7qfq7xShaCojAq_M4H8g\ndirectory.id=%s\n" % did)
    rc, doc = scan(a, b)
    f = one(doc, "meta-properties-mismatch")
    assert f["field"] == "directory.id (duplicate)" and did in f["message"], f
    c = empty_logdir("meta-zk-c", HEALTHY_META)
    rc, doc = scan(a, c)
    f = one(doc, "meta-properties-mismatch")
    assert f["field"] == "version" and rc == 4, f


@test
def invalid_meta_properties_is_reported():
    b = empty_logdir("meta-invalid", "version=1\ncluster.id=7E7qfq7xShaCojAq_M4H8g\n")
    rc, doc = scan(HEALTHY, b)
    f = one(doc, "meta-properties-mismatch")
    assert rc == 4 and f["path"] == os.path.join(b, "meta.properties"), f
    assert "invalid" in f["message"], f


@test
def same_partition_live_in_two_log_dirs():
    b = copy("dup-b")
    rc, doc = scan(HEALTHY, b)
    dups = mine(doc, "duplicate-partition")
    nparts = len([d for d in os.listdir(HEALTHY) if os.path.isdir(os.path.join(HEALTHY, d))])
    assert rc == 4 and len(dups) == nparts, (rc, len(dups))
    f = [d for d in dups if "events-0" in d["path"]][0]
    assert f["severity"] == "error" and f["log_dir"] is None, f
    assert f["log_end_offset"] == 1388 and f["other_log_end_offset"] == 1388, f
    part = os.path.join(HEALTHY, "events-0")
    assert f["other_bytes"] == sum(size(os.path.join(part, l)) for l in logs(part)), f
    assert "Duplicate log directories" in f["message"], f


@test
def future_copy_is_an_unfinished_move():
    b = empty_logdir("future-b", HEALTHY_META)
    shutil.copytree(os.path.join(HEALTHY, "events-0"), os.path.join(b, "events-0" + SUFFIX + "future"))
    os.remove(os.path.join(b, "events-0" + SUFFIX + "future", "00000000000000000996.log"))
    rc, doc = scan(HEALTHY, b)
    f = one(doc, "duplicate-partition")
    assert rc == 0 and f["severity"] == "info", (rc, f)
    assert f["log_end_offset"] == 996 and f["other_log_end_offset"] == 1388, f
    # Two -future copies: the broker does not start.
    c = empty_logdir("future-c", HEALTHY_META)
    shutil.copytree(os.path.join(b, "events-0" + SUFFIX + "future"),
                    os.path.join(c, "events-0" + SUFFIX + "future"))
    rc, doc = scan(HEALTHY, b, c)
    got = sorted(f["severity"] for f in mine(doc, "duplicate-partition"))
    assert rc == 4 and got == ["error", "info"], got


@test
def delete_copy_is_not_a_duplicate():
    b = empty_logdir("delete-b", HEALTHY_META)
    shutil.copytree(os.path.join(HEALTHY, "events-0"), os.path.join(b, "events-0" + SUFFIX + "delete"))
    rc, doc = scan(HEALTHY, b)
    assert rc == 0 and mine(doc) == [], mine(doc)


@test
def topic_id_mismatch_between_partitions():
    root = copy("topicid")
    other = new_uuid()
    write(os.path.join(root, "events-1", "partition.metadata"), "version: 0\ntopic_id: %s\n" % other)
    rc, doc = scan(root)
    f = one(doc, "topic-id-mismatch")
    assert rc == 4 and f["severity"] == "error" and f["log_dir"] is None, f
    assert other in (f["topic_id"], f["other_topic_id"]), f
    assert f["partitions"] == 1 and f["other_partitions"] == 1, f


@test
def old_topic_id_in_a_delete_dir_is_fine():
    root = copy("topicid-delete")
    d = os.path.join(root, "events-1" + SUFFIX + "delete")
    shutil.copytree(os.path.join(root, "events-1"), d)
    write(os.path.join(d, "partition.metadata"), "version: 0\ntopic_id: %s\n" % new_uuid())
    rc, doc = scan(root)
    assert rc == 0 and mine(doc) == [], mine(doc)


print("cli-diagnosis-dir: %d passed, %d failed" % (results["passed"], results["failed"]))
shutil.rmtree(TMP, ignore_errors=True)
sys.exit(1 if results["failed"] else 0)
