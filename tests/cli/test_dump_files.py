#!/usr/bin/python3
"""CLI tests for `ksegdoctor dump` on files that are not entry chains:
indexes, producer snapshots, checkpoints, properties, markers, plus
--index-sanity-check and --verify-index-only."""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
KSD = os.environ.get("KSD", os.path.join(ROOT, "build", "ksegdoctor"))
GEN = os.environ.get("KSD_GEN", os.path.join(ROOT, "build", "ksd-gen"))
REAL = os.path.join(ROOT, "..", "shared", "realdata")
TMP = tempfile.mkdtemp(prefix="ksd-dumpf-")
from clitest import results, test  # noqa: E402 - shared runner


def run(*args):
    p = subprocess.run([KSD, "dump", *args], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def jrun(*args):
    rc, out, err = run("--json", *args)
    return rc, [json.loads(l) for l in out.splitlines() if l.strip()], err


HEALTHY = os.path.join(TMP, "healthy")
subprocess.run([GEN, "scenario", "healthy", HEALTHY], check=True, capture_output=True)
EV = os.path.join(HEALTHY, "events-0")


def of(objs, t):
    return [o for o in objs if o["type"] == t]


@test
def offset_index_entries_match_the_file():
    path = os.path.join(EV, "00000000000000000000.index")
    raw = open(path, "rb").read()
    want = [struct.unpack(">ii", raw[i:i + 8]) for i in range(0, len(raw), 8)]
    rc, objs, _ = jrun(path)
    assert rc == 0, rc
    got = [(o["relative_offset"], o["position"]) for o in of(objs, "index_entry")]
    assert got == want and got, (got[:3], want[:3])
    assert objs[0]["type"] == "file" and objs[0]["kind"] == "index"
    rc, out, _ = run(path)
    assert "offset: %d position: %d" % (want[0][0], want[0][1]) in out


@test
def time_index_entries_match_the_file():
    path = os.path.join(EV, "00000000000000000000.timeindex")
    raw = open(path, "rb").read()
    want = [struct.unpack(">qi", raw[i:i + 12]) for i in range(0, len(raw), 12)]
    rc, objs, _ = jrun(path)
    got = [(o["timestamp"], o["relative_offset"]) for o in of(objs, "timeindex_entry")]
    assert rc == 0 and got == want and got, (got[:2], want[:2])


@test
def producer_snapshot_entries():
    snaps = [f for f in os.listdir(os.path.join(HEALTHY, "events-1")) if f.endswith(".snapshot")]
    assert snaps
    found = 0
    for s in snaps:
        rc, objs, _ = jrun(os.path.join(HEALTHY, "events-1", s))
        assert rc == 0, (s, rc)
        head = of(objs, "producer_snapshot")[0]
        assert head["version"] == 1 and head["crc_valid"] is True
        assert len(of(objs, "producer_entry")) == head["count"]
        found += head["count"]
    assert found > 0


@test
def damaged_snapshot_is_reported():
    src = os.path.join(HEALTHY, "events-1")
    snap = sorted(f for f in os.listdir(src) if f.endswith(".snapshot"))[-1]
    d = os.path.join(TMP, "snapdmg", "events-1")
    os.makedirs(d)
    data = bytearray(open(os.path.join(src, snap), "rb").read())
    data[-1] ^= 0xFF
    open(os.path.join(d, snap), "wb").write(data)
    rc, objs, _ = jrun(os.path.join(d, snap))
    assert rc == 4, rc
    assert of(objs, "producer_snapshot")[0]["crc_valid"] is False
    assert [c["code"] for c in of(objs, "corruption")] == ["snapshot-corrupt"]


@test
def checkpoints_and_properties():
    rc, objs, _ = jrun(os.path.join(HEALTHY, "recovery-point-offset-checkpoint"))
    assert rc == 0
    head = of(objs, "checkpoint")[0]
    entries = of(objs, "checkpoint_entry")
    assert head["version"] == 0 and head["count"] == len(entries) > 0
    text = open(os.path.join(HEALTHY, "recovery-point-offset-checkpoint")).read().split("\n")
    want = sorted(tuple(l.split()) for l in text[2:] if l.strip())
    got = sorted((e["topic"], str(e["partition"]), str(e["offset"])) for e in entries)
    assert got == want, (got, want)
    rc, objs, _ = jrun(os.path.join(HEALTHY, "meta.properties"))
    props = of(objs, "properties")[0]["entries"]
    assert props["version"] == "0" and "cluster.id" in props and props["broker.id"] == "1"
    rc, objs, _ = jrun(os.path.join(EV, "leader-epoch-checkpoint"))
    assert rc == 0 and of(objs, "leader_epoch_entry")
    rc, objs, _ = jrun(os.path.join(EV, "partition.metadata"))
    pm = of(objs, "partition_metadata")[0]
    assert pm["version"] == 0 and len(pm["topic_id"]) == 22
    rc, objs, _ = jrun(os.path.join(HEALTHY, ".kafka_cleanshutdown"))
    assert rc == 0 and of(objs, "clean_shutdown")[0]["empty"] is True


@test
def malformed_checkpoint_is_reported():
    p = os.path.join(TMP, "replication-offset-checkpoint")
    open(p, "w").write("0\n2\ntopic 0 10\n")  # count says 2, one entry
    rc, objs, _ = jrun(p)
    assert rc == 4 and [c["code"] for c in of(objs, "corruption")] == ["malformed"], objs


@test
def content_beats_name():
    # a producer snapshot named like a KRaft checkpoint, and the other way round
    src = os.path.join(HEALTHY, "events-1")
    snap = sorted(f for f in os.listdir(src) if f.endswith(".snapshot"))[-1]
    d = os.path.join(TMP, "confused", "__cluster_metadata-0")
    os.makedirs(d)
    fake = os.path.join(d, "00000000000000000100-0000000001.checkpoint")
    shutil.copy(os.path.join(src, snap), fake)
    rc, objs, _ = jrun(fake)
    f = objs[0]
    assert f["kind"] == "producer-snapshot" and f["kind_by_name"] == "kraft-snapshot", f
    log = os.path.join(EV, "00000000000000000000.log")
    other = os.path.join(TMP, "confused", "00000000000000000000.snapshot")
    shutil.copy(log, other)
    rc, objs, _ = jrun(other)
    assert rc == 0 and of(objs, "batch"), objs[:2]


@test
def index_sanity_check():
    path = os.path.join(EV, "00000000000000000000.index")
    rc, out, _ = run("--index-sanity-check", path)
    assert rc == 0 and "passed sanity check" in out, out
    bad = os.path.join(TMP, "sanity", "events-0")
    os.makedirs(bad)
    data = open(path, "rb").read() + b"\x00\x01\x02"  # not a multiple of 8
    open(os.path.join(bad, "00000000000000000000.index"), "wb").write(data)
    rc, out, _ = run("--index-sanity-check", os.path.join(bad, "00000000000000000000.index"))
    assert rc == 4 and "failed sanity check" in out, out


@test
def verify_index_only():
    d = os.path.join(TMP, "verify", "events-0")
    shutil.copytree(EV, d)
    idx = os.path.join(d, "00000000000000000000.index")
    rc, out, _ = run("--verify-index-only", idx)
    assert rc == 0 and "match the log" in out, out
    raw = bytearray(open(idx, "rb").read())
    pos = struct.unpack(">i", raw[4:8])[0]
    raw[4:8] = struct.pack(">i", pos + 3)  # into the middle of a batch
    open(idx, "wb").write(raw)
    rc, objs, _ = jrun("--verify-index-only", idx)
    assert rc == 4, rc
    assert "index-corrupt" in [c["code"] for c in of(objs, "corruption")], objs


@test
def every_real_non_log_file_dumps():
    if not os.path.isdir(REAL):
        print("     SKIPPED: %s not found" % REAL)
        return
    paths = []
    for dp, _, fs in os.walk(REAL):
        if "kafka-rust" in dp:
            continue
        paths += [os.path.join(dp, f) for f in sorted(fs)
                  if not f.endswith(".log") and f != "MANIFEST.md"]
    # Many files per run (one process each costs minutes under ASan); a
    # failing batch is re-run file by file to name the culprit.
    for i in range(0, len(paths), 200):
        batch = paths[i:i + 200]
        rc, out, err = run("--json", *batch)
        if rc != 0:
            for p in batch:
                rc1, out1, err1 = run("--json", p)
                assert rc1 == 0, (p, rc1, err1, out1[:300])
            assert False, (rc, err[:300])
        dumped = [json.loads(line) for line in out.splitlines()]
        files = [o["path"] for o in dumped if o.get("type") == "file"]
        assert files == batch, (len(files), len(batch))
    assert len(paths) > 1000, len(paths)


shutil.rmtree(TMP, ignore_errors=True)
print("cli-dump-files: %d passed, %d failed" % (results["passed"], results["failed"]))
sys.exit(1 if results["failed"] else 0)
