#!/usr/bin/python3
"""CLI tests for `ksegdoctor quarantine` (issue 5): plan, guards, loss proof,
apply, re-scan, restore and the tree checksum.

Every guard is tested firing (exact guard id and numbers from --json, nothing
changed on disk) and not firing on the nearest legitimate selection.
"""
import fcntl
import hashlib
import json
import os
import pty
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KSD = os.environ.get("KSD", os.path.join(ROOT, "build", "ksegdoctor"))
GEN = os.environ.get("KSD_GEN", os.path.join(ROOT, "build", "ksd-gen"))
TMP = tempfile.mkdtemp(prefix="ksd-quar-")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clitest import results, test  # noqa: E402 - shared runner
from kbytes import ATTR_CONTROL, ATTR_TXN, crc32c, encode_record  # noqa: E402 - shared fixture bytes

_count = [0]


def fresh(name):
    """A new work dir holding scenario `name` as its log dir "logs"."""
    _count[0] += 1
    base = os.path.join(TMP, "%02d-%s" % (_count[0], name))
    os.makedirs(base)
    logs = os.path.join(base, "logs")
    subprocess.run([GEN, "scenario", name, logs], check=True, capture_output=True)
    return base, logs


def run(*args, stdin=subprocess.DEVNULL, env=None):
    p = subprocess.run([KSD, *args], capture_output=True, text=True, timeout=120, stdin=stdin,
                       env=env)
    doc = None
    if "--json" in args and p.stdout.strip():
        doc = json.loads(p.stdout)
    return p.returncode, doc, p.stdout, p.stderr


def tree_sum(path):
    """content + mode + owner + mtime (ns) of every file, and the set of dirs."""
    out = []
    for d, dirs, files in os.walk(path):
        dirs.sort()
        rel = os.path.relpath(d, path)
        out.append(("dir", rel))
        for f in sorted(files):
            p = os.path.join(d, f)
            st = os.lstat(p)
            with open(p, "rb") as fh:
                h = hashlib.sha256(fh.read()).hexdigest()
            out.append((os.path.join(rel, f), h, st.st_mode, st.st_uid, st.st_gid,
                        st.st_mtime_ns))
    return out


def refusals(doc):
    return sorted(r["guard"] for r in doc["refusals"])


def ls(d):
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def qroot(base):
    return os.path.join(base, "ksegdoctor-quarantine")


def opdirs(base):
    return [os.path.join(qroot(base), x) for x in ls(qroot(base))]


# --- v2 batches (kafka-facts.md §1.4-1.7) --------------------------------------


TS = 1700000000000


def v2_batch(base_offset, records, ts=TS, attributes=0, pid=-1, epoch=-1):
    body = b"".join(encode_record(i, k, v) for i, (k, v) in enumerate(records))
    seq = 0 if pid >= 0 and not attributes & ATTR_CONTROL else -1
    after_crc = struct.pack(">hiqqqhii", attributes, len(records) - 1, ts, ts, pid, epoch, seq,
                            len(records)) + body
    return (struct.pack(">qiibI", base_offset, 4 + 1 + 4 + len(after_crc), 0, 2,
                        crc32c(after_crc)) + after_crc)


def marker(base_offset, pid, commit=True):
    key = struct.pack(">hh", 0, 1 if commit else 0)
    value = struct.pack(">hi", 0, 5)
    return v2_batch(base_offset, [(key, value)], attributes=ATTR_TXN | ATTR_CONTROL, pid=pid,
                    epoch=0)


def kstr(s):
    b = s.encode()
    return struct.pack(">h", len(b)) + b


def commit_key(group, topic, part):
    return struct.pack(">h", 1) + kstr(group) + kstr(topic) + struct.pack(">i", part)


def commit_value(offset):
    return struct.pack(">hqi", 3, offset, -1) + kstr("") + struct.pack(">q", TS)


def logdir(name):
    _count[0] += 1
    base = os.path.join(TMP, "%02d-%s" % (_count[0], name))
    logs = os.path.join(base, "logs")
    os.makedirs(logs)
    with open(os.path.join(logs, "meta.properties"), "w") as f:
        f.write("version=0\nbroker.id=0\n")
    open(os.path.join(logs, ".kafka_cleanshutdown"), "w").close()
    return base, logs


def partition(logs, name, segments):
    d = os.path.join(logs, name)
    os.makedirs(d)
    for b, data in segments.items():
        with open(os.path.join(d, "%020d.log" % b), "wb") as f:
            f.write(data)
    return d


def seg(logs, part, base, ext="log"):
    return os.path.join(logs, part, "%020d.%s" % (base, ext))


# --- the headline, end to end ------------------------------------------------------

def expected_offset_changes(logs, part, removed):
    """Independent oracle: `offsets --json` on a copy without the segment."""
    def committed(tree):
        rc, doc, out, err = run("offsets", "--json", tree)
        assert rc in (0, 4), (rc, err)
        return {(c["group"], c["topic"], c["partition"]): c["offset"]
                for c in doc["offsets"]}
    copy = os.path.join(TMP, "oracle-%d" % _count[0])
    shutil.copytree(logs, copy)
    for ext in ("log", "index", "timeindex"):
        p = seg(copy, part, removed, ext)
        if os.path.exists(p):
            os.unlink(p)
    before, after = committed(logs), committed(copy)
    shutil.rmtree(copy)
    return before, after


@test
def headline_plan_names_groups_and_changes_nothing():
    base, logs = fresh("headline")
    before = tree_sum(logs)
    rc, doc, out, err = run("quarantine", "--kafka-version", "0.9.0.1", "--finding",
                            "cleaner-map-overflow", "--json", logs)
    assert rc == 4, (rc, err)
    assert doc["verdict"] == "planned" and not doc["applied"]
    [u] = doc["units"]
    assert (u["kind"], u["partition"], u["base_offset"], u["reason"], u["active"]) == \
        ("segment", "__consumer_offsets-17", 0, "cleaner-map-overflow", False)
    assert sorted(os.path.basename(f["path"]) for f in u["files"]) == \
        ["00000000000000000000.index", "00000000000000000000.log",
         "00000000000000000000.timeindex"]
    [lp] = doc["loss"]["partitions"]
    assert doc["loss"]["any"] and lp["loses"]
    assert lp["records"] == 3000 and lp["first_offset"] == 0 and lp["last_offset"] == 1232493226
    # Exactly the committed offsets a replay without the segment no longer has.
    b, a = expected_offset_changes(logs, "__consumer_offsets-17", 0)
    lost = {(o["group"], o["topic"], o["partition"]) for o in lp["offsets"]
            if o["change"] == "lost"}
    assert lost == set(b) - set(a) and len(lost) > 0, (len(lost), len(set(b) - set(a)))
    changed = {(o["group"], o["topic"], o["partition"]) for o in lp["offsets"]
               if o["change"] == "changed"}
    assert changed == {k for k in b if k in a and a[k] != b[k]}
    assert lp["keys_lost"] == 2500 and lp["keys_reverted"] == 0 and lp["keys_returning"] == 0
    # Every such key is listed once, decoded, with its verdict.
    assert len(lp["keys"]) == 2500 and not lp["keys_truncated"]
    assert {k["verdict"] for k in lp["keys"]} == {"lost"}
    listed = {k["key"] for k in lp["keys"]}
    assert len(listed) == 2500
    assert {"offset_commit group=%s topic=%s partition=%d" % t for t in lost} <= listed
    groups = sorted({o["group"] for o in lp["offsets"]})
    rc2, _, text, _ = run("quarantine", "--kafka-version", "0.9.0.1", "--finding",
                          "cleaner-map-overflow", logs)
    assert rc2 == 4 and "consumer groups whose committed offsets change (%d)" % len(groups) in text
    assert groups[0] in text and "--accept-loss" in text
    assert tree_sum(logs) == before and not os.path.exists(qroot(base))


@test
def headline_loss_needs_accept_loss():
    base, logs = fresh("headline")
    before = tree_sum(logs)
    rc, doc, out, err = run("quarantine", "--kafka-version", "0.9.0.1", "--finding",
                            "cleaner-map-overflow", "--apply", "-y", "--json", logs)
    assert rc == 4 and doc["verdict"] == "refused" and not doc["applied"], (rc, doc["message"])
    assert "--accept-loss" in doc["message"]
    assert tree_sum(logs) == before and not os.path.exists(qroot(base))


@test
def headline_apply_rescan_restore_checksum():
    base, logs = fresh("headline")
    before = tree_sum(logs)
    rc, doc, out, err = run("quarantine", "--kafka-version", "0.9.0.1", "--finding",
                            "cleaner-map-overflow", "--apply", "-y", "--accept-loss", "--json",
                            logs)
    assert rc == 1, (rc, doc and doc["message"], err)
    assert doc["applied"] and doc["units"][0]["finding_after_apply"] == "gone"
    op = doc["operation_dir"]
    assert os.path.dirname(op) == os.path.realpath(qroot(base))
    moved = ls(os.path.join(op, "files", "__consumer_offsets-17"))
    assert moved == ["00000000000000000000.index", "00000000000000000000.log",
                     "00000000000000000000.timeindex"], moved
    assert ls(os.path.join(logs, "__consumer_offsets-17")) == \
        ["00000000001232493227.index", "00000000001232493227.log",
         "00000000001232493227.timeindex"]
    rc, sdoc, _, _ = run("scan", "--kafka-version", "0.9.0.1", "--json", logs)
    assert "cleaner-map-overflow" not in [f["code"] for f in sdoc["findings"]]
    rc, _, out, err = run("restore", op, "--apply", "-y")
    assert rc == 1, (rc, out, err)
    assert tree_sum(logs) == before
    rc, sdoc, _, _ = run("scan", "--kafka-version", "0.9.0.1", "--json", logs)
    assert "cleaner-map-overflow" in [f["code"] for f in sdoc["findings"]]


@test
def headline_text_apply_says_gone_and_how_to_undo():
    base, logs = fresh("headline")
    rc, _, out, err = run("quarantine", "--kafka-version", "0.9.0.1", "--finding",
                          "cleaner-map-overflow", "--apply", "-y", "--accept-loss", logs)
    assert rc == 1, (rc, out, err)
    assert "re-scan: cleaner-map-overflow in __consumer_offsets-17 00000000000000000000: gone" \
        in out
    assert "undo: ksegdoctor restore --apply " in out


# --- confirmation ----------------------------------------------------------------------

@test
def no_terminal_no_yes_exits_32():
    base, logs = fresh("torn-tail")
    before = tree_sum(logs)
    rc, doc, out, err = run("quarantine", "--finding", "torn-tail", "--apply", "--json", logs)
    assert rc == 32 and doc["verdict"] == "cancelled", (rc, out)
    assert "nothing assumed without a terminal" in doc["message"]
    assert tree_sum(logs) == before and not os.path.exists(qroot(base))


def run_on_pty(args, between=None, answer=b"y\n"):
    """Runs with stdin on a pty; waits for the prompt, calls between(), answers."""
    master, slave = pty.openpty()
    p = subprocess.Popen([KSD, *args], stdin=slave, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    os.close(slave)
    err = b""
    deadline = time.time() + 60
    while b"[y/N]" not in err and time.time() < deadline:
        r, _, _ = select.select([p.stderr], [], [], 1)
        if r:
            chunk = os.read(p.stderr.fileno(), 4096)
            if not chunk:
                break
            err += chunk
    assert b"[y/N]" in err, err
    if between:
        between()
    os.write(master, answer)
    out, rest = p.communicate(timeout=60)
    os.close(master)
    return p.returncode, out.decode(), (err + rest).decode()


@test
def prompt_no_cancels_32():
    base, logs = fresh("torn-tail")
    before = tree_sum(logs)
    rc, out, err = run_on_pty(["quarantine", "--finding", "torn-tail", "--apply", logs],
                              answer=b"n\n")
    assert rc == 32 and "Cancelled" in out, (rc, out)
    assert tree_sum(logs) == before


@test
def prompt_yes_applies():
    base, logs = fresh("torn-tail")
    rc, out, err = run_on_pty(["quarantine", "--finding", "torn-tail", "--apply", logs])
    assert rc == 1, (rc, out, err)
    assert "torn-tail in orders-0 00000000000000000100: gone" in out


@test
def file_changed_between_plan_and_apply_refused():
    base, logs = fresh("torn-tail")
    log = seg(logs, "orders-0", 100)

    def touch():
        st = os.stat(log)
        os.utime(log, ns=(st.st_atime_ns, st.st_mtime_ns + 1000000000))
    rc, out, err = run_on_pty(["quarantine", "--finding", "torn-tail", "--apply", logs],
                              between=touch)
    assert rc == 4, (rc, out, err)
    assert "00000000000000000100" in out and "changed" in out.lower(), out
    assert os.path.getsize(log) == 10934
    assert ls(os.path.join(logs, "orders-0")).count("00000000000000000100.index") == 1


@test
def engine_fault_during_apply_leaves_tree_as_it_was():
    base, logs = fresh("headline")
    before = tree_sum(logs)
    for fault in ("rename:1:EIO", "rename:3:EIO"):
        env = dict(os.environ, KSEGDOCTOR_FAULT=fault)
        rc, doc, out, err = run("quarantine", "--kafka-version", "0.9.0.1", "--finding",
                                "cleaner-map-overflow", "--apply", "-y", "--accept-loss",
                                "--json", logs, env=env)
        assert rc == 8 and doc["verdict"] == "failed" and not doc["applied"], (fault, rc)
        assert "Quarantine failed" in doc["message"] and "rename" in doc["message"]
        assert tree_sum(logs) == before, fault


# --- tail cuts and index drops ----------------------------------------------------------

@test
def torn_tail_cut_and_restore():
    base, logs = fresh("torn-tail")
    before = tree_sum(logs)
    rc, doc, out, err = run("quarantine", "--finding", "torn-tail", "--json", logs)
    assert rc == 4, (rc, err)
    [u] = doc["units"]
    assert (u["kind"], u["cut_at"], u["active"], u["kept_log_end"]) == ("tail", 10359, True, 190)
    # The torn entry holds no readable batch: the log end does not move, so
    # the active-segment guard stays quiet and nothing counts as lost.
    assert refusals(doc) == [] and not doc["loss"]["any"]
    [lp] = doc["loss"]["partitions"]
    assert lp["records"] == 0 and lp["damaged_bytes"] == 575
    rc, doc, out, err = run("quarantine", "--finding", "torn-tail", "--apply", "-y", "--json", logs)
    assert rc == 1, (rc, doc["message"])
    assert os.path.getsize(seg(logs, "orders-0", 100)) == 10359
    assert not os.path.exists(seg(logs, "orders-0", 100, "index"))
    rc, _, out, err = run("restore", doc["operation_dir"], "--apply", "-y")
    assert rc == 1, (rc, out, err)
    assert tree_sum(logs) == before


@test
def crc_mismatch_middle_tail_needs_allow_gap_then_cut_and_restore():
    base, logs = fresh("crc-mismatch")
    before = tree_sum(logs)
    rc, doc, out, err = run("quarantine", "--finding", "crc-mismatch", "--json", logs)
    assert rc == 4 and refusals(doc) == ["offset-gap"], (rc, doc["refusals"])
    assert doc["refusals"][0]["override"] == "--allow-gap" and doc["units"] == []
    rc, doc, out, err = run("quarantine", "--finding", "crc-mismatch", "--allow-gap", "--json",
                            logs)
    assert rc == 4 and refusals(doc) == []
    [u] = doc["units"]
    assert (u["kind"], u["base_offset"], u["cut_at"], u["kept_log_end"]) == ("tail", 100, 5755, 150)
    [lp] = doc["loss"]["partitions"]
    # The 4 valid batches beyond the bad one (offsets 160..199) are lost.
    assert (lp["records"], lp["first_offset"], lp["last_offset"], lp["bytes"]) == \
        (40, 160, 199, 4604) and lp["damaged_bytes"] == 1151 and lp["loses"]
    rc, doc, out, err = run("quarantine", "--finding", "crc-mismatch", "--allow-gap", "--apply",
                            "-y", "--json", logs)
    assert rc == 4 and doc["verdict"] == "refused"  # loss not accepted
    rc, doc, out, err = run("quarantine", "--finding", "crc-mismatch", "--allow-gap", "--apply",
                            "-y", "--accept-loss", "--json", logs)
    assert rc == 1 and doc["units"][0]["finding_after_apply"] == "gone", doc["message"]
    assert os.path.getsize(seg(logs, "orders-0", 100)) == 5755
    rc, _, out, err = run("restore", doc["operation_dir"], "--apply", "-y")
    assert rc == 1, (rc, out, err)
    assert tree_sum(logs) == before


@test
def preallocated_zero_tail_cut_loses_nothing():
    base, logs = fresh("zero-tail")
    rc, doc, out, err = run("quarantine", "--finding", "preallocated-tail", "--apply", "-y",
                            "--json", logs)
    assert rc == 1 and not doc["loss"]["any"], (rc, doc["message"])
    [u] = doc["units"]
    assert (u["kind"], u["cut_at"], u["kept_log_end"], u["finding_after_apply"]) == \
        ("tail", 11510, 200, "gone")
    assert doc["loss"]["partitions"][0]["damaged_bytes"] == 8192
    assert os.path.getsize(seg(logs, "orders-0", 100)) == 11510


def corrupt_index(logs, part, base):
    p = seg(logs, part, base, "index")
    with open(p, "r+b") as f:
        data = f.read()
        assert len(data) >= 16
        f.seek(0)
        # First entry's position points far past the data.
        f.write(data[:4] + struct.pack(">i", 0x7ffffff0))


@test
def index_corrupt_drops_index_only():
    base, logs = fresh("healthy")
    corrupt_index(logs, "events-0", 433)
    rc, sdoc, _, _ = run("scan", "--json", logs)
    hits = [f for f in sdoc["findings"] if f["code"] == "index-corrupt"]
    assert {os.path.basename(f["path"]) for f in hits} == {"00000000000000000433.index"}, hits
    before = tree_sum(logs)
    log_before = open(seg(logs, "events-0", 433), "rb").read()
    rc, doc, out, err = run("quarantine", "--finding", "index-corrupt", "--json", logs)
    assert rc == 4 and refusals(doc) == [] and not doc["loss"]["any"], (rc, doc["refusals"])
    [u] = doc["units"]
    assert u["kind"] == "drop-index" and u["base_offset"] == 433
    assert sorted(os.path.basename(f["path"]) for f in u["files"]) == \
        ["00000000000000000433.index", "00000000000000000433.timeindex"]
    assert doc["loss"]["partitions"] == []
    rc, doc, out, err = run("quarantine", "--finding", "index-corrupt", "--apply", "-y", "--json",
                            logs)
    assert rc == 1 and doc["units"][0]["finding_after_apply"] == "gone", doc["message"]
    assert open(seg(logs, "events-0", 433), "rb").read() == log_before
    assert not os.path.exists(seg(logs, "events-0", 433, "index"))
    rc, _, out, err = run("restore", doc["operation_dir"], "--apply", "-y")
    assert rc == 1, (rc, out, err)
    assert tree_sum(logs) == before


# --- guards ------------------------------------------------------------------------------

@test
def broker_lock_refused_and_free_lock_not():
    base, logs = fresh("torn-tail")
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        fd = os.open(os.path.join(logs, ".lock"), os.O_RDWR | os.O_CREAT)
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.write(w, b"x")
        time.sleep(60)
        os._exit(0)
    os.read(r, 1)
    try:
        before = tree_sum(logs)
        rc, doc, out, err = run("quarantine", "--finding", "torn-tail", "--apply", "-y", "--json",
                                logs)
        assert rc == 4 and refusals(doc) == ["broker-running"], (rc, doc["refusals"])
        assert "process %d holds" % pid in doc["refusals"][0]["why"]
        assert doc["refusals"][0]["override"] is None and not doc["applied"]
        assert tree_sum(logs) == before
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    rc, doc, out, err = run("quarantine", "--finding", "torn-tail", "--json", logs)
    assert rc == 4 and refusals(doc) == [] and len(doc["units"]) == 1


@test
def active_segment_refused_with_consequences_then_allowed():
    base, logs = fresh("healthy")
    last = seg(logs, "events-0", 996)
    rc, doc, out, err = run("quarantine", "--segment", last, "--json", logs)
    assert rc == 4 and refusals(doc) == ["active-segment"], doc["refusals"]
    why = doc["refusals"][0]["why"]
    assert doc["refusals"][0]["override"] == "--allow-active"
    # events-0: log end 1388 -> 996; HW 1388; leader-epoch entry 1 starts at 652 (< 996).
    assert "lowers the log end of events-0 from 1388 to 996" in why, why
    assert "high watermark 1388" in why and "leader-epoch" not in why, why
    before = tree_sum(logs)
    rc, doc, out, err = run("quarantine", "--segment", last, "--allow-active", "--json", logs)
    assert rc == 4 and refusals(doc) == [] and len(doc["notes"]) == 1
    assert "from 1388 to 996" in doc["notes"][0]
    [e] = doc["partitions"]
    assert (e["log_end_before"], e["log_end_after"], e["high_watermark"]) == (1388, 996, 1388)
    [lp] = doc["loss"]["partitions"]
    assert lp["first_offset"] == 996 and lp["last_offset"] == 1387 and lp["loses"]
    assert tree_sum(logs) == before


@test
def active_segment_epochs_beyond_named():
    base, logs = fresh("healthy")
    with open(os.path.join(logs, "events-0", "leader-epoch-checkpoint"), "w") as f:
        f.write("0\n3\n0 0\n1 652\n2 1000\n")
    rc, doc, out, err = run("quarantine", "--segment", seg(logs, "events-0", 996), "--json", logs)
    why = doc["refusals"][0]["why"]
    assert "1 leader-epoch-checkpoint entry start at or beyond it (first: epoch 2 at offset 1000)" \
        in why, why


@test
def log_start_checkpoint_guard():
    base, logs = fresh("healthy")
    path = os.path.join(logs, "log-start-offset-checkpoint")
    with open(path, "w") as f:
        f.write("0\n1\nevents 0 1000\n")
    rc, doc, out, err = run("quarantine", "--segment", seg(logs, "events-0", 996),
                            "--allow-active", "--json", logs)
    assert rc == 4 and refusals(doc) == ["log-start"], doc["refusals"]
    why = doc["refusals"][0]["why"]
    assert "would fall to 996, below its log-start-offset-checkpoint 1000" in why, why
    assert doc["refusals"][0]["override"] is None
    # Not fired: a checkpoint at 996 keeps the log end at or above it.
    with open(path, "w") as f:
        f.write("0\n1\nevents 0 996\n")
    rc, doc, out, err = run("quarantine", "--segment", seg(logs, "events-0", 996),
                            "--allow-active", "--json", logs)
    assert rc == 4 and refusals(doc) == [], doc["refusals"]


@test
def cluster_metadata_refused_same_files_elsewhere_not():
    base, logs = fresh("healthy")
    for name in ("__cluster_metadata-0", "meta-0"):
        d = os.path.join(logs, name)
        os.makedirs(d)
        for ext in ("log", "index", "timeindex"):
            shutil.copy2(seg(logs, "events-0", 0, ext), os.path.join(d, "%020d.%s" % (0, ext)))
            shutil.copy2(seg(logs, "events-0", 433, ext), os.path.join(d, "%020d.%s" % (433, ext)))
    rc, doc, out, err = run("quarantine", "--segment", seg(logs, "__cluster_metadata-0", 0),
                            "--json", logs)
    assert rc == 4 and refusals(doc) == ["cluster-metadata"], doc["refusals"]
    rc, doc, out, err = run("quarantine", "--segment", seg(logs, "meta-0", 0), "--json", logs)
    assert rc == 4 and refusals(doc) == [] and len(doc["units"]) == 1


@test
def meta_properties_and_checkpoints_never_targets():
    base, logs = fresh("healthy")
    before = tree_sum(logs)
    for p in ("meta.properties", "replication-offset-checkpoint",
              os.path.join("events-0", "leader-epoch-checkpoint"),
              os.path.join("events-0", "partition.metadata")):
        rc, doc, out, err = run("quarantine", "--segment", os.path.join(logs, p), "--apply", "-y",
                                "--json", logs)
        assert rc == 4 and refusals(doc) == ["not-a-segment"] and not doc["applied"], (p, rc)
    assert tree_sum(logs) == before and not os.path.exists(qroot(base))


@test
def middle_segment_delete_policy_needs_allow_gap_compacted_not():
    base, logs = fresh("healthy")
    rc, doc, out, err = run("quarantine", "--segment", seg(logs, "events-0", 433), "--json", logs)
    assert rc == 4 and refusals(doc) == ["offset-gap"], doc["refusals"]
    rc, doc, out, err = run("quarantine", "--segment", seg(logs, "events-0", 433), "--allow-gap",
                            "--json", logs)
    assert rc == 4 and refusals(doc) == [] and doc["units"][0]["base_offset"] == 433
    # The front segment is the safe default: no gap.
    rc, doc, out, err = run("quarantine", "--segment", seg(logs, "events-0", 0), "--json", logs)
    assert rc == 4 and refusals(doc) == []
    assert (doc["partitions"][0]["log_start_before"], doc["partitions"][0]["log_start_after"]) == \
        (0, 433)
    # Compacted: a middle segment is fine (holes are normal there).
    rc, doc, out, err = run("quarantine", "--segment", seg(logs, "__consumer_offsets-12", 1500),
                            "--json", logs)
    assert rc == 4 and refusals(doc) == [], doc["refusals"]


@test
def quarantine_dir_inside_log_dir_or_partition_named_refused():
    base, logs = fresh("torn-tail")
    before = tree_sum(logs)
    for qd, why in ((os.path.join(logs, "q"), None),
                    (os.path.join(base, "orders-7"), None)):
        rc, doc, out, err = run("quarantine", "--finding", "torn-tail", "--quarantine-dir", qd,
                                "--apply", "-y", "--json", logs)
        assert rc == 4 and refusals(doc) == ["quarantine-dir"] and not doc["applied"], (qd, rc)
        assert not os.path.exists(qd)
    assert tree_sum(logs) == before
    qd = os.path.join(base, "elsewhere")
    rc, doc, out, err = run("quarantine", "--finding", "torn-tail", "--quarantine-dir", qd,
                            "--apply", "-y", "--json", logs)
    assert rc == 1 and doc["operation_dir"].startswith(os.path.realpath(qd)), doc["message"]


@test
def not_quarantinable_code_refused():
    base, logs = fresh("healthy")
    open(seg(logs, "events-0", 0) + ".deleted", "w").close()
    rc, doc, out, err = run("quarantine", "--finding", "leftover-file", "--json", logs)
    assert rc == 4 and refusals(doc) == ["not-quarantinable"], doc["refusals"]


# --- loss proof details -----------------------------------------------------------------

@test
def removed_tombstone_brings_offset_back():
    base, logs = logdir("tomb")
    part = "__consumer_offsets-3"
    k = commit_key("g1", "t", 0)
    partition(logs, part, {
        0: v2_batch(0, [(k, commit_value(42))]) +
           v2_batch(1, [(commit_key("g2", "t", 0), commit_value(7))]),
        2: v2_batch(2, [(k, None)]),
        3: v2_batch(3, [(commit_key("g3", "t", 0), commit_value(9))]),
    })
    rc, doc, out, err = run("quarantine", "--segment", seg(logs, part, 2), "--json", logs)
    assert rc == 4 and refusals(doc) == [], (rc, doc["refusals"])
    [lp] = doc["loss"]["partitions"]
    assert lp["keys_returning"] == 1 and lp["keys_lost"] == 0 and lp["loses"]
    assert lp["keys"] == [{"key": "offset_commit group=g1 topic=t partition=0",
                           "verdict": "returns"}], lp["keys"]
    assert lp["offsets"] == [{"group": "g1", "topic": "t", "partition": 0, "before": -1,
                              "after": 42, "change": "returns"}], lp["offsets"]
    rc, _, text, _ = run("quarantine", "--segment", seg(logs, part, 2), logs)
    assert "group g1 topic t partition 0: none -> 42 (returns: a removed tombstone brings it back)" \
        in text, text
    # Not fired: removing the front segment loses g1's and g2's commits, none returns.
    rc, doc, out, err = run("quarantine", "--segment", seg(logs, part, 0), "--json", logs)
    [lp] = doc["loss"]["partitions"]
    assert [(o["group"], o["change"]) for o in lp["offsets"]] == [("g2", "lost")], lp["offsets"]
    assert lp["keys_returning"] == 0


@test
def removed_commit_marker_named_hanging():
    base, logs = logdir("txn")
    partition(logs, "tx-0", {
        0: v2_batch(0, [(b"a", b"1"), (b"b", b"2")], attributes=ATTR_TXN, pid=7, epoch=0),
        2: marker(2, 7),
        3: v2_batch(3, [(b"c", b"3")]),
    })
    rc, doc, out, err = run("quarantine", "--compacted-topic", "tx", "--segment",
                            seg(logs, "tx-0", 2), "--json", logs)
    assert rc == 4 and refusals(doc) == [], doc["refusals"]
    [lp] = doc["loss"]["partitions"]
    assert lp["markers"] == [{"type": "COMMIT", "producer_id": 7, "offset": 2, "hanging": True}]
    assert lp["loses"] and lp["keys_lost"] == 0
    rc, _, text, _ = run("quarantine", "--compacted-topic", "tx", "--segment",
                         seg(logs, "tx-0", 2), logs)
    assert "COMMIT marker of producer 7 at offset 2" in text and "hanging" in text
    # Not fired: the transaction's data and marker go together.
    rc, doc, out, err = run("quarantine", "--compacted-topic", "tx", "--segment",
                            seg(logs, "tx-0", 0), "--segment", seg(logs, "tx-0", 2), "--json",
                            logs)
    [lp] = doc["loss"]["partitions"]
    assert lp["markers"] == [{"type": "COMMIT", "producer_id": 7, "offset": 2, "hanging": False}]
    assert lp["keys_lost"] == 2


@test
def compacted_superseded_segment_loses_nothing():
    base, logs = logdir("superseded")
    partition(logs, "kv-0", {
        0: v2_batch(0, [(b"a", b"1"), (b"b", b"1")]),
        2: v2_batch(2, [(b"a", b"2"), (b"b", b"2")]),
        4: v2_batch(4, [(b"c", b"1")]),
    })
    rc, doc, out, err = run("quarantine", "--compacted-topic", "kv", "--segment",
                            seg(logs, "kv-0", 0), "--apply", "-y", "--json", logs)
    [lp] = doc["loss"]["partitions"]
    assert not doc["loss"]["any"] and lp["records"] == 2 and lp["keys_lost"] == 0
    assert rc == 1 and doc["applied"], doc["message"]  # no --accept-loss needed


# --- one-step delete, nothing to do, usage -----------------------------------------------

@test
def delete_yes_shows_loss_and_leaves_nothing():
    base, logs = fresh("headline")
    rc, doc, out, err = run("quarantine", "--kafka-version", "0.9.0.1", "--finding",
                            "cleaner-map-overflow", "--delete", "--apply", "--yes",
                            "--accept-loss", "--json", logs)
    assert rc == 1 and doc["purged"] and doc["loss"]["any"], (rc, doc["message"])
    assert len(doc["loss"]["partitions"][0]["offsets"]) > 0
    assert not os.path.exists(seg(logs, "__consumer_offsets-17", 0))
    left = [os.path.join(d, f) for d, _, fs in os.walk(qroot(base)) for f in fs
            if "/files/" in os.path.join(d, f)]
    assert left == [], left


@test
def nothing_to_do_exits_0():
    base, logs = fresh("healthy")
    before = tree_sum(logs)
    rc, doc, out, err = run("quarantine", "--finding", "crc-mismatch", "--apply", "-y", "--json",
                            logs)
    assert rc == 0 and doc["verdict"] == "nothing-to-do" and doc["units"] == [], (rc, doc)
    assert tree_sum(logs) == before


@test
def usage_errors_exit_16():
    base, logs = fresh("healthy")
    rc, _, out, err = run("quarantine", logs)
    assert rc == 16 and "--finding" in err
    rc, _, out, err = run("quarantine", "--finding", "no-such-code", logs)
    assert rc == 16 and "no-such-code" in out + err


print("quarantine: %d passed, %d failed" % (results["passed"], results["failed"]))
shutil.rmtree(TMP, ignore_errors=True)
sys.exit(1 if results["failed"] else 0)
