#!/usr/bin/python3
"""CLI tests for `ksegdoctor restore` and `ksegdoctor purge` (issue 5), on
operations made by `ksegdoctor quarantine --apply`.

Both commands plan by default and change nothing; --apply acts (after -y or
a prompt); the exit codes follow fsck: 0 nothing to do, 1 done, 4 refused,
8 operational, 16 usage, 32 cancelled.  Every assertion checks the disk, not
only the exit status.
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KSD = os.environ.get("KSD", os.path.join(ROOT, "build", "ksegdoctor"))
GEN = os.environ.get("KSD_GEN", os.path.join(ROOT, "build", "ksd-gen"))
TMP = tempfile.mkdtemp(prefix="ksd-restore-")
from clitest import results, test  # noqa: E402 - shared runner

SEG = os.path.join("__consumer_offsets-17", "00000000000000000000.log")
_count = [0]


def run(*args, env=None):
    p = subprocess.run([KSD, *args], capture_output=True, text=True, timeout=120,
                       stdin=subprocess.DEVNULL, env=env)
    doc = json.loads(p.stdout) if "--json" in args and p.stdout.strip() else None
    return p.returncode, doc, p.stdout, p.stderr


def tree_sum(path):
    """content + mode + owner + mtime (ns) of every file under path."""
    out = []
    for d, dirs, files in os.walk(path):
        dirs.sort()
        for f in sorted(files):
            if f == ".lock":  # Kafka's lock file: created by whoever locks first
                continue
            p = os.path.join(d, f)
            st = os.lstat(p)
            with open(p, "rb") as fh:
                h = hashlib.sha256(fh.read()).hexdigest()
            out.append((os.path.relpath(p, path), h, st.st_mode, st.st_uid, st.st_gid,
                        st.st_mtime_ns))
    return out


def quarantined():
    """A headline tree after `quarantine --apply`: (logs, opdir, checksum before)."""
    _count[0] += 1
    base = os.path.join(TMP, "%02d" % _count[0])
    logs = os.path.join(base, "logs")
    subprocess.run([GEN, "scenario", "headline", logs], check=True, capture_output=True)
    before = tree_sum(logs)
    rc, doc, _, err = run("quarantine", "--json", "--kafka-version", "0.9.0.1", "--finding",
                          "cleaner-map-overflow", "--apply", "-y", "--accept-loss", logs)
    assert rc == 1, (rc, err)
    qroot = os.path.join(base, "ksegdoctor-quarantine")
    ops = sorted(os.listdir(qroot))
    assert len(ops) == 1, ops
    assert not os.path.exists(os.path.join(logs, SEG))
    return logs, os.path.join(qroot, ops[0]), before


def payload(opdir):
    out = []
    for d, _, files in os.walk(os.path.join(opdir, "files")):
        out += [os.path.join(d, f) for f in files]
    return sorted(out)


@test
def restore_plans_by_default_then_puts_back_byte_for_byte():
    logs, opdir, before = quarantined()
    rc, doc, _, _ = run("restore", "--json", opdir)
    assert rc == 4 and doc["mode"] == "plan", (rc, doc)
    assert not os.path.exists(os.path.join(logs, SEG)), "a plan changed the disk"
    rc, doc, _, _ = run("restore", "--json", "--apply", "-y", opdir)
    assert rc == 1, (rc, doc)
    assert tree_sum(logs) == before
    assert payload(opdir) == []
    rc, _, out, _ = run("restore", "--apply", "-y", opdir)  # idempotent
    assert rc == 0 and "nothing to do" in out, (rc, out)


@test
def restore_refuses_a_destination_that_now_holds_another_file():
    logs, opdir, _ = quarantined()
    with open(os.path.join(logs, SEG), "wb") as f:
        f.write(b"written after the quarantine")
    rc, _, out, err = run("restore", "--apply", "-y", opdir)
    assert rc == 4, (rc, out, err)
    assert "different" in (out + err), out + err
    with open(os.path.join(logs, SEG), "rb") as f:
        assert f.read() == b"written after the quarantine"
    assert len(payload(opdir)) == 3, payload(opdir)  # still quarantined, nothing lost


@test
def restore_without_terminal_or_yes_is_cancelled():
    logs, opdir, _ = quarantined()
    rc, _, out, _ = run("restore", "--apply", opdir)
    assert rc == 32, (rc, out)
    assert not os.path.exists(os.path.join(logs, SEG))


@test
def purge_plans_then_deletes_only_quarantined_files():
    logs, opdir, _ = quarantined()
    live = tree_sum(logs)
    rc, doc, _, _ = run("purge", "--json", opdir)
    assert rc == 4 and doc["mode"] == "plan", (rc, doc)
    assert len(payload(opdir)) == 3
    rc, _, out, _ = run("purge", "--apply", "-y", opdir)
    assert rc == 1, (rc, out)
    assert payload(opdir) == []
    assert tree_sum(logs) == live, "purge touched the live log dir"
    rc, _, _, _ = run("purge", "--apply", "-y", opdir)
    assert rc == 0
    rc, _, out, err = run("restore", "--apply", "-y", opdir)
    assert rc == 0 and not os.path.exists(os.path.join(logs, SEG)), (rc, out, err)


@test
def purge_refuses_an_interrupted_operation_until_it_is_recovered():
    base = os.path.join(TMP, "killed")
    logs = os.path.join(base, "logs")
    subprocess.run([GEN, "scenario", "headline", logs], check=True, capture_output=True)
    before = tree_sum(logs)
    env = dict(os.environ, KSEGDOCTOR_FAULT="rename:2:kill")
    rc, _, _, _ = run("quarantine", "--kafka-version", "0.9.0.1", "--finding",
                      "cleaner-map-overflow", "--apply", "-y", "--accept-loss", logs, env=env)
    assert rc < 0 or rc == 137, rc  # killed mid-unit: one file moved, two not
    qroot = os.path.join(base, "ksegdoctor-quarantine")
    opdir = os.path.join(qroot, sorted(os.listdir(qroot))[0])
    rc, _, out, err = run("purge", "--apply", "-y", opdir)
    assert rc == 4, (rc, out, err)
    rc, _, out, err = run("restore", "--apply", "-y", opdir)
    assert rc in (0, 1), (rc, out, err)
    assert tree_sum(logs) == before


@test
def across_filesystems_copies_verifies_and_restores():
    shm = "/dev/shm"
    base = os.path.join(TMP, "xfs")
    logs = os.path.join(base, "logs")
    if not os.path.isdir(shm) or os.stat(shm).st_dev == os.stat(TMP).st_dev:
        print("skip across_filesystems_copies_verifies_and_restores: no second filesystem")
        return
    qdir = tempfile.mkdtemp(prefix="ksd-xfs-", dir=shm)
    try:
        subprocess.run([GEN, "scenario", "headline", logs], check=True, capture_output=True)
        before = tree_sum(logs)
        rc, _, out, err = run("quarantine", "--kafka-version", "0.9.0.1", "--finding",
                              "cleaner-map-overflow", "--quarantine-dir", qdir, "--apply", "-y",
                              "--accept-loss", logs)
        assert rc == 1, (rc, out, err)
        assert not os.path.exists(os.path.join(logs, SEG))
        opdir = os.path.join(qdir, sorted(os.listdir(qdir))[0])
        moved = payload(opdir)
        assert len(moved) == 3 and os.stat(moved[0]).st_dev != os.stat(logs).st_dev
        rc, _, out, err = run("restore", "--apply", "-y", opdir)
        assert rc == 1, (rc, out, err)
        assert tree_sum(logs) == before  # content, mode, owner and mtime survive two copies
    finally:
        subprocess.run(["rm", "-rf", "--", qdir], check=False)


@test
def non_root_copy_across_filesystems_is_refused_when_the_owner_would_change():
    shm = "/dev/shm"
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or not setpriv or not os.path.isdir(shm) or \
            os.stat(shm).st_dev == os.stat(TMP).st_dev:
        print("skip non_root_copy_...: needs root (to play another user), setpriv and a second filesystem")
        return
    base = os.path.join(TMP, "nonroot")
    logs = os.path.join(base, "logs")
    subprocess.run([GEN, "scenario", "headline", logs], check=True, capture_output=True)
    os.chmod(TMP, 0o755)  # mkdtemp makes it 0700: the other user must reach the tree
    for d, dirs, files in os.walk(base):  # root-owned files in dirs anyone may change
        os.chmod(d, 0o777)
    os.chmod(os.path.join(logs, ".lock"), 0o666)  # Kafka's lock: the other user must take it
    qdir = tempfile.mkdtemp(prefix="ksd-nonroot-", dir=shm)
    os.chmod(qdir, 0o777)
    before = tree_sum(logs)
    try:
        p = subprocess.run([setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", KSD,
                            "quarantine", "--kafka-version", "0.9.0.1", "--finding",
                            "cleaner-map-overflow", "--quarantine-dir", qdir, "--apply", "-y",
                            "--accept-loss", logs], capture_output=True, text=True, timeout=120)
        assert p.returncode == 4, (p.returncode, p.stdout, p.stderr)
        assert "only root can copy" in p.stdout + p.stderr, p.stdout + p.stderr
        assert tree_sum(logs) == before
    finally:
        subprocess.run(["rm", "-rf", "--", qdir], check=False)


@test
def usage_and_operational_errors():
    rc, _, _, _ = run("restore")
    assert rc == 16
    rc, _, _, _ = run("purge", "a", "b")
    assert rc == 16
    rc, _, _, _ = run("restore", os.path.join(TMP, "no-such-op"))
    assert rc == 8, rc
    junk = os.path.join(TMP, "junk.ksdq")
    with open(junk, "w") as f:
        f.write("ksegdoctor-quarantine 99\n")
    rc, _, _, err = run("restore", junk)
    assert rc == 8 and "manifest" in err, (rc, err)


print("cli-restore: %d passed, %d failed" % (results["passed"], results["failed"]))
sys.exit(1 if results["failed"] else 0)
