#!/usr/bin/python3
"""CLI tests for `ksegdoctor recovery` on trees written by `ksd-gen`.

The healthy scenario's events-0 has segments 0, 433, 996 (32,084 / 32,605 /
24,296 bytes, no producer snapshots, recovery point 1388); events-1 has
segments 0, 288, 571, 879 and snapshots 288, 571, 879, 924.  Each test edits
a copy (shutdown marker, checkpoints, a flipped byte, a removed file) and
checks the exact prediction in --json against numbers computed here from the
files themselves.
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KSD = os.environ.get("KSD", os.path.join(ROOT, "build", "ksegdoctor"))
GEN = os.environ.get("KSD_GEN", os.path.join(ROOT, "build", "ksd-gen"))
REALDATA = os.path.join(os.path.dirname(ROOT), "shared", "realdata")
TMP = tempfile.mkdtemp(prefix="ksd-recovery-")
from clitest import results, test  # noqa: E402 - shared runner
MIB100 = 100 * 1024 * 1024  # --recovery-rate 100M (binary units)


def run(*args):
    p = subprocess.run([KSD, "recovery", *args], capture_output=True, text=True, timeout=300)
    doc = json.loads(p.stdout) if "--json" in args and p.stdout.strip() else None
    return p.returncode, doc, p.stdout, p.stderr


_n = [0]


def healthy(clean=True):
    """A fresh copy of the healthy scenario."""
    src = os.path.join(TMP, "healthy-src")
    if not os.path.exists(src):
        subprocess.run([GEN, "scenario", "healthy", src], check=True, capture_output=True)
    _n[0] += 1
    dst = os.path.join(TMP, "h%d" % _n[0])
    shutil.copytree(src, dst)
    if not clean:
        os.remove(os.path.join(dst, ".kafka_cleanshutdown"))
    return dst


def write_checkpoint(root, name, entries):
    lines = ["0", str(len(entries))] + ["%s %d %d" % e for e in entries]
    with open(os.path.join(root, name), "w") as f:
        f.write("\n".join(lines) + "\n")


def set_recovery_point(root, topic, part, offset):
    path = os.path.join(root, "recovery-point-offset-checkpoint")
    rows = [l.split() for l in open(path).read().split("\n")[2:] if l.strip()]
    entries = [(t, int(p), int(o)) for t, p, o in rows if not (t == topic and int(p) == part)]
    write_checkpoint(root, "recovery-point-offset-checkpoint", entries + [(topic, part, offset)])


def batches(path):
    """(position, base_offset, length) of every v2 batch."""
    data = open(path, "rb").read()
    out, pos = [], 0
    while pos + 12 <= len(data):
        base, size = struct.unpack(">qi", data[pos:pos + 12])
        out.append((pos, base, 12 + size))
        pos += 12 + size
    return out


def flip(path, pos):
    with open(path, "r+b") as f:
        f.seek(pos)
        b = f.read(1)
        f.seek(pos)
        f.write(bytes([b[0] ^ 0xFF]))


def seg(root, part, base, ext=".log"):
    return os.path.join(root, part, "%020d%s" % (base, ext))


def size(path):
    return os.path.getsize(path)


def ldir(doc):
    assert len(doc["log_dirs"]) == 1, doc["log_dirs"]
    return doc["log_dirs"][0]


def part(doc, name):
    hits = [p for p in ldir(doc)["partitions"] if p["partition"] == name]
    assert len(hits) == 1, name
    return hits[0]


def segs(p):
    return {s["base_offset"]: s for s in p["segments"]}


def recovered(p):
    return sorted(s["base_offset"] for s in p["segments"] if s["recovered"])


# --- which segments ---------------------------------------------------------

@test
def clean_dir_recovers_nothing():
    rc, doc, out, _ = run("--json", healthy())
    assert rc == 0, rc
    ld = ldir(doc)
    assert ld["clean_shutdown"] is True
    assert ld["recovered_segments"] == 0 and ld["work_bytes"] == 0, ld
    assert doc["truncated_segments"] == 0 and doc["deleted_segments"] == 0
    assert all(p["segments"] == [] for p in ld["partitions"])
    rc, _, out, _ = run(healthy())
    assert rc == 0 and "clean shutdown: nothing is recovered" in out, out
    assert "Data recovery would discard" not in out, out


@test
def unclean_recovers_from_the_recovery_point_on():
    root = healthy(clean=False)
    set_recovery_point(root, "events", 0, 500)
    rc, doc, _, _ = run("--json", root)
    assert rc == 0, rc
    p = part(doc, "events-0")
    # 0 is below (next base 433 <= 500), 433 holds offset 500, 996 is above.
    assert recovered(p) == [433, 996], recovered(p)
    assert segs(p)[433]["reasons"] == ["unflushed"]
    assert p["recovered_bytes"] == size(seg(root, "events-0", 433)) + size(seg(root, "events-0", 996))
    assert p["rebuilt_index_files"] == 4
    assert ldir(doc)["clean_shutdown"] is False


@test
def unclean_without_checkpoint_entry_starts_at_zero():
    root = healthy(clean=False)
    write_checkpoint(root, "recovery-point-offset-checkpoint", [])
    rc, doc, _, _ = run("--json", root)
    assert recovered(part(doc, "events-0")) == [0, 433, 996]


@test
def missing_index_recovers_after_clean_shutdown():
    root = healthy()
    os.remove(seg(root, "events-0", 433, ".index"))
    rc, doc, out, _ = run("--json", root)
    assert rc == 0, rc
    p = part(doc, "events-0")
    assert recovered(p) == [433], recovered(p)
    assert segs(p)[433]["reasons"] == ["missing-index"]
    assert ldir(doc)["missing_index_segments"] == 1
    rc, _, out, _ = run(root)
    assert "clean shutdown: only 1 segment(s)" in out, out


# --- truncation and deletion ------------------------------------------------

@test
def crc_damage_in_recovered_segment_truncates_and_deletes_later_unflushed():
    root = healthy(clean=False)
    set_recovery_point(root, "events", 0, 500)
    log = seg(root, "events-0", 433)
    pos, base, length = batches(log)[3]
    flip(log, pos + length - 3)  # inside the records: CRC-32C mismatch
    rc, doc, out, _ = run("--json", root)
    assert rc == 4, rc  # crc-mismatch is an error finding of the scan
    p = part(doc, "events-0")
    s = segs(p)
    assert s[433]["truncated"] and s[433]["truncate_to"] == pos, s[433]
    assert s[433]["truncated_bytes"] == size(log) - pos
    assert s[433]["truncate_offset"] == base
    assert s[996]["deleted"] == "after-truncation" and not s[996]["recovered"], s[996]
    assert p["deleted_bytes"] == size(seg(root, "events-0", 996))
    assert doc["truncated_bytes"] == size(log) - pos
    assert any(f["code"] == "crc-mismatch" for f in doc["findings"])
    rc, _, out, _ = run(root)
    first = out.split("\n\n")[1]
    assert first.startswith("Data recovery would discard"), out
    assert "truncate 00000000000000000433.log at byte %s" % format(pos, ",") in first, first
    assert "delete 00000000000000000996.log, %s bytes" % format(size(seg(root, "events-0", 996)), ",") in first


@test
def damage_in_flushed_segment_is_not_truncated():
    root = healthy()  # clean: nothing recovered
    log = seg(root, "events-0", 433)
    pos, _, length = batches(log)[3]
    flip(log, pos + length - 3)
    rc, doc, out, _ = run("--json", root)
    assert rc == 4, rc
    s = segs(part(doc, "events-0"))[433]
    assert s["damage_kept"] and not s["truncated"] and not s["recovered"], s
    assert doc["truncated_segments"] == 0 and doc["deleted_segments"] == 0
    rc, _, out, _ = run(root)
    assert "Damage startup leaves in place" in out and "Data recovery would discard" not in out, out


@test
def torn_tail_of_active_segment_truncates_nothing_else():
    root = healthy(clean=False)
    log = seg(root, "events-0", 996)
    with open(log, "ab") as f:
        f.write(struct.pack(">qi", 1388, 500) + b"\0" * 20)  # declares 500, has 20
    rc, doc, _, _ = run("--json", root)
    s = segs(part(doc, "events-0"))[996]
    assert s["truncated"] and s["truncated_bytes"] == 32 and s["truncate_to"] == size(log) - 32, s
    assert part(doc, "events-0")["deleted_segments"] == 0


@test
def log_start_above_log_end_deletes_all():
    root = healthy()
    write_checkpoint(root, "log-start-offset-checkpoint", [("events", 0, 5000)])
    rc, doc, out, _ = run("--json", root)
    p = part(doc, "events-0")
    assert p["delete_all"] and p["deleted_segments"] == 3, p
    assert p["deleted_bytes"] == sum(size(seg(root, "events-0", b)) for b in (0, 433, 996))
    assert all(s["deleted"] == "log-start-above-log-end" for s in p["segments"])
    assert not part(doc, "events-1")["delete_all"]
    rc, _, out, _ = run(root)
    assert "log-start-offset-checkpoint is above the log end" in out, out


@test
def log_start_within_log_deletes_nothing():
    root = healthy()
    write_checkpoint(root, "log-start-offset-checkpoint", [("events", 0, 1388)])
    rc, doc, _, _ = run("--json", root)
    assert not part(doc, "events-0")["delete_all"] and doc["deleted_segments"] == 0


# --- splits -----------------------------------------------------------------

def overflow_tree():
    _n[0] += 1
    root = os.path.join(TMP, "oo%d" % _n[0])
    subprocess.run([GEN, "scenario", "offset-overflow", root], check=True, capture_output=True)
    return root


@test
def overflow_split_from_2_0_fails_before():
    root = overflow_tree()
    rc, doc, _, _ = run("--json", "--kafka-version", "2.0", root)
    s = segs(part(doc, "__consumer_offsets-5"))[0]
    assert s["overflow"] and not s["split"] and not s["recovered"], s  # not recovered: stays
    os.remove(seg(root, "__consumer_offsets-5", 0, ".index"))
    rc, doc, _, _ = run("--json", "--kafka-version", "2.0", root)
    p = part(doc, "__consumer_offsets-5")
    assert segs(p)[0]["split"] and p["split_segments"] == 1 and p["startup_failure"] is None, p
    rc, doc, out, _ = run("--json", "--kafka-version", "1.1", root)
    p = part(doc, "__consumer_offsets-5")
    assert p["split_segments"] == 0 and "KAFKA-6264" in p["startup_failure"], p
    assert doc["startup_failures"] == 1


# --- producer state ---------------------------------------------------------

@test
def producer_replay_uses_valid_snapshot():
    root = healthy(clean=False)
    rc, doc, _, _ = run("--json", root)
    ps = part(doc, "events-1")["producer_state"]
    assert ps["replay"] == "none" and ps["bytes"] == 0 and ps["valid_snapshots"] == 4, ps
    # The newest snapshot below the recovered segment 879 is corrupt: 571.
    flip(seg(root, "events-1", 879, ".snapshot"), 8)
    rc, doc, _, _ = run("--json", root)
    ps = part(doc, "events-1")["producer_state"]
    assert ps["replay"] == "from-snapshot" and ps["from_offset"] == 571, ps
    assert ps["bytes"] == size(seg(root, "events-1", 571)), ps


@test
def producer_replay_without_snapshot_reads_from_log_start():
    root = healthy(clean=False)
    for b in (288, 571, 879, 924):
        os.remove(seg(root, "events-1", b, ".snapshot"))
    rc, doc, out, _ = run("--json", root)
    ps = part(doc, "events-1")["producer_state"]
    assert ps["replay"] == "from-log-start" and ps["from_offset"] == 0, ps
    assert ps["bytes"] == sum(size(seg(root, "events-1", b)) for b in (0, 288, 571)), ps
    assert ldir(doc)["full_replay_partitions"] >= 1
    # Clean shutdown and no snapshot at all: no scan (empty snapshots).
    open(os.path.join(root, ".kafka_cleanshutdown"), "w").close()
    rc, doc, _, _ = run("--json", root)
    assert part(doc, "events-1")["producer_state"]["replay"] == "skipped-clean-shutdown"


# --- time -------------------------------------------------------------------

@test
def time_estimate_matches_hand_computation():
    root = healthy(clean=False)
    rc, doc, out, _ = run("--json", "--recovery-rate", "100M", "--recovery-threads", "2", root)
    sz = lambda p, b: size(seg(root, p, b))  # noqa: E731
    # Per partition: recovered active segment + replay (no snapshot: from 0).
    work = {
        "events-0": sz("events-0", 996) + sz("events-0", 0) + sz("events-0", 433),
        "events-1": sz("events-1", 879),  # snapshot 879 covers the rest
        "__consumer_offsets-12": sz("__consumer_offsets-12", 3000),  # snapshot 3000
        "legacy-0": sz("legacy-0", 122) + sz("legacy-0", 0),  # 4.x replays v0/v1 too
    }
    for name, w in work.items():
        assert part(doc, name)["work_bytes"] == w, (name, part(doc, name)["work_bytes"], w)
    loads = [0, 0]
    for w in sorted(work.values(), reverse=True):
        loads[loads.index(min(loads))] += w
    ld = ldir(doc)
    assert ld["threads"] == 2 and ld["makespan_bytes"] == max(loads), (ld["makespan_bytes"], loads)
    assert abs(doc["seconds"] - max(loads) / MIB100) < 1e-9, doc["seconds"]
    # Any job order (the broker's listing order) stays within Graham's bound.
    bound = -(-(sum(work.values()) + max(work.values())) // 2)  # ceil(sum/2 + max/2)
    assert ld["makespan_bound_bytes"] == max(bound, max(loads)), (ld["makespan_bound_bytes"], bound)
    assert abs(doc["seconds_bound"] - ld["makespan_bound_bytes"] / MIB100) < 1e-9
    assert doc["rate"]["source"] == "given" and doc["rate"]["bytes_per_second"] == MIB100
    rc, doc1, _, _ = run("--json", "--recovery-rate", "100M", "--recovery-threads", "1", root)
    assert ldir(doc1)["makespan_bytes"] == sum(work.values())
    assert ldir(doc1)["makespan_bound_bytes"] == sum(work.values())  # one thread: no spread
    rc, _, out, _ = run("--recovery-rate", "100M", "--recovery-threads", "2", root)
    assert "%s bytes / 104.9 MB/s" % format(max(loads), ",") in out, out


@test
def kafka_3_skips_replay_of_legacy_only_partition():
    root = healthy(clean=False)
    rc, doc, _, _ = run("--json", "--kafka-version", "3.7.0", root)
    assert part(doc, "legacy-0")["producer_state"]["replay"] == "skipped-legacy-format"
    assert doc["version_assumed"] is False and doc["kafka_version"] == "3.7.0"


@test
def rate_measured_or_default():
    root = healthy(clean=False)
    rc, doc, out, _ = run("--json", root)
    assert doc["rate"]["source"] == "measured" and doc["rate"]["measured_bytes"] > 0, doc["rate"]
    rc, doc, out, _ = run("--json", "--quick", root)
    assert doc["rate"]["source"] == "default" and doc["rate"]["bytes_per_second"] == 100e6
    rc, _, out, _ = run("--quick", root)
    assert "conservative DEFAULT" in out, out


# --- shape and exit codes ---------------------------------------------------

@test
def json_shape():
    rc, doc, _, _ = run("--json", healthy(clean=False))
    for k in ("tool", "command", "kafka_version", "version_assumed", "rate", "threads", "seconds",
              "log_dirs", "findings", "exit_code", "recovered_bytes", "replay_bytes",
              "truncated_bytes", "deleted_bytes"):
        assert k in doc, k
    assert doc["command"] == "recovery" and doc["version_assumed"] is True
    p = ldir(doc)["partitions"][0]
    for k in ("partition", "recovery_point", "log_end", "segments", "producer_state",
              "work_bytes", "startup_failure"):
        assert k in p, k
    s = p["segments"][0]
    for k in ("base_offset", "bytes", "recovered", "reasons", "read_bytes", "deleted", "split"):
        assert k in s, k
    f = doc["findings"][0]
    for k in ("code", "severity", "scope", "path", "partition", "log_dir", "segment", "message"):
        assert k in f, k


@test
def exit_codes():
    assert run(healthy())[0] == 0
    assert run("--fail-on", "info", healthy(clean=False))[0] == 4  # unclean-shutdown info
    assert run("--fail-on", "bogus", healthy())[0] == 16
    assert run(os.path.join(TMP, "no-such-dir"))[0] & 8
    rc, doc, _, _ = run("--json", "--fail-on", "info", healthy(clean=False))
    assert rc == 4 and doc["exit_code"] == 4


@test
def realdata_dirs_run():
    if not os.path.isdir(REALDATA):
        print("skip realdata_dirs_run: %s absent" % REALDATA)
        return
    n = 0
    for name in sorted(os.listdir(REALDATA)):
        path = os.path.join(REALDATA, name)
        if not os.path.isdir(path):
            continue
        rc, doc, _, err = run("--json", "--recovery-rate", "100M", path)
        assert rc in (0, 8), (name, rc, err)
        if doc:
            assert doc["truncated_segments"] == 0 or any(
                f["severity"] != "info" for f in doc["findings"]), name
            n += 1
    assert n > 0


print("recovery: %d passed, %d failed" % (results["passed"], results["failed"]))
shutil.rmtree(TMP, ignore_errors=True)
sys.exit(1 if results["failed"] else 0)
