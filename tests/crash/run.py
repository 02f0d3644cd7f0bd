#!/usr/bin/python3
"""Crash matrix for the quarantine engine (tests/crash/qdriver + the CLI's
KSEGDOCTOR_FAULT hook).

For two generated trees (the headline scenario and a healthy dir) and each
path (apply, restore, purge):
  1. run it once with KSEGDOCTOR_FAULT_TRACE to list every step it reaches;
  2. for EVERY step and EVERY occurrence N of it: fail it with EIO, with
     ENOSPC (and renames with EXDEV, which sends the engine down its
     copy-verify-unlink path), and SIGKILL the process at it;
  3. assert convergence: every unit fully in place or fully quarantined
     (proven by sha256), its manifest state agreeing, no temporaries left;
     then recover/restore (or purge again) and assert the tree checksum
     (sha256 + mode + uid + gid + mtime_ns of every file under the log dir
     and the quarantine payload) equals the original.
Finally real syscall faults from outside with strace -e inject (skipped with
a message when strace is missing).

Env: QDRIVER, KSD_GEN (paths to the binaries); KSD_CRASH_SANITIZED=1 (the
ASan+UBSan pass) runs the headline tree with EIO, EXDEV and SIGKILL only.
Prints
"crash: N passed, M failed".
"""
import concurrent.futures
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time

QDRIVER = os.environ.get("QDRIVER", "build/tests/qdriver")
KSD_GEN = os.environ.get("KSD_GEN", "build/ksd-gen")
MANIFEST = "manifest.ksdq"


def sha_file(path, start=0, length=None):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        f.seek(start)
        h.update(f.read() if length is None else f.read(length))
    return h.hexdigest()


def tree_sum(*roots):
    """sha256 + mode + uid + gid + mtime_ns of every file (Kafka's .lock,
    which the engine takes like a broker, and manifests excluded)."""
    rows = []
    for root in roots:
        if not os.path.isdir(root):
            continue
        for dirpath, _, files in os.walk(root):
            for name in files:
                if name in (".lock", MANIFEST):
                    continue
                p = os.path.join(dirpath, name)
                st = os.lstat(p)
                rows.append((os.path.relpath(p, root), sha_file(p), st.st_mode, st.st_uid,
                             st.st_gid, st.st_mtime_ns))
    return sorted(rows)


def unquote(v):
    out, i = bytearray(), 0
    while i < len(v):
        if v[i] == "%":
            out.append(int(v[i + 1:i + 3], 16))
            i += 3
        else:
            out += v[i].encode()
            i += 1
    return out.decode()


def load_manifest(opdir):
    units = []
    with open(os.path.join(opdir, MANIFEST)) as f:
        for line in f:
            word, *kvs = line.rstrip("\n").split(" ")
            d = {k: unquote(v) for k, v in (kv.split("=", 1) for kv in kvs if "=" in kv)}
            if word == "unit":
                d["files"] = []
                units.append(d)
            elif word == "file":
                units[-1]["files"].append(d)
    return units


def unit_in_place(u):
    for f in u["files"]:
        if not os.path.isfile(f["path"]) or sha_file(f["path"]) != f["sha256"]:
            return False
    return True


def unit_quarantined(u, opdir):
    cut_at = int(u["cut_at"])
    for f in u["files"]:
        q = os.path.join(opdir, f["qpath"])
        if not os.path.isfile(q) or sha_file(q) != f["qsha256"]:
            return False
        if f["cut"] == "1":
            if os.path.getsize(f["path"]) != cut_at or sha_file(f["path"], 0, cut_at) != f["prefix_sha256"]:
                return False
        elif os.path.exists(f["path"]):
            return False
    return True


def partials(*roots):
    bad = []
    for root in roots:
        for dirpath, _, files in os.walk(root):
            bad += [os.path.join(dirpath, n) for n in files if n.endswith(".ksdpart") or n.endswith(".ksdq.tmp")]
    return bad


def opdirs(qroot):
    if not os.path.isdir(qroot):
        return []
    return [os.path.join(qroot, d) for d in sorted(os.listdir(qroot))
            if os.path.isfile(os.path.join(qroot, d, MANIFEST))]


def converged(case, allow_flux=False):
    """Every unit of every operation fully in place or fully quarantined,
    state agreeing.  Returns an error string or None."""
    for op in opdirs(case.qroot):
        for i, u in enumerate(load_manifest(op)):
            st = u["state"]
            inp, qu = unit_in_place(u), unit_quarantined(u, op)
            if st in ("planned", "rolled-back", "restored") and not inp:
                return "unit %d is %s but not in place" % (i + 1, st)
            if st == "quarantined" and not qu:
                return "unit %d is quarantined but not fully in quarantine" % (i + 1)
            if st in ("moving", "rolling-back", "restoring") and not allow_flux:
                return "unit %d left %s" % (i + 1, st)
            if not inp and not qu and st not in ("purging", "purged"):
                return "unit %d is neither in place nor quarantined (%s)" % (i + 1, st)
    p = partials(case.logdir, case.qroot)
    if p and not allow_flux:
        return "temporaries left: %s" % p
    return None


class Case:
    def __init__(self, base, tree, units):
        self.dir = tempfile.mkdtemp(prefix="ksdcrash-", dir=base)
        self.logdir = os.path.join(self.dir, "D")
        self.qroot = os.path.join(self.dir, "Q")
        shutil.copytree(tree, self.logdir, symlinks=True)
        self.units = [u.replace("@", self.logdir) for u in units]

    def drive(self, mode, arg, fault=None, trace=None, wrap=()):
        env = dict(os.environ)
        env.pop("KSEGDOCTOR_FAULT", None)
        env.pop("KSEGDOCTOR_FAULT_TRACE", None)
        if fault:
            env["KSEGDOCTOR_FAULT"] = fault
        if trace:
            env["KSEGDOCTOR_FAULT_TRACE"] = trace
        args = [QDRIVER, mode] + ([self.qroot] + self.units if mode == "apply" else [arg])
        p = subprocess.run(list(wrap) + args, env=env, capture_output=True, text=True, timeout=60)
        return p.returncode, p.stdout.strip(), p.stderr.strip()

    def op(self):
        ops = opdirs(self.qroot)
        return ops[-1] if ops else None

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def trace_steps(base, tree, units, setup, mode):
    """(step, N) for every step the path reaches."""
    c = Case(base, tree, units)
    try:
        arg = setup(c)
        tr = os.path.join(c.dir, "trace")
        rc, _, err = c.drive(mode, arg, trace=tr)
        assert rc == 0, "trace run of %s failed: %s" % (mode, err)
        counts, out = {}, []
        with open(tr) as f:
            for line in f:
                step = line.split("\t", 1)[0]
                counts[step] = counts.get(step, 0) + 1
                out.append((step, counts[step]))
        return out
    finally:
        c.cleanup()


def setup_none(c):
    return None


def setup_applied(c):
    rc, out, err = c.drive("apply", None)
    assert rc == 0, err
    return out


def run_case(base, tree, units, orig, path, step, n, how):
    """One fault; returns None or a failure description."""
    c = Case(base, tree, units)
    try:
        arg = setup_applied(c) if path != "apply" else None
        live_after_apply = tree_sum(c.logdir) if path == "purge" else None
        spec = "%s:%d:%s" % (step, n, how)
        rc, _, err = c.drive(path, arg, fault=spec)
        if how == "kill":
            if rc != -9:
                return "%s: expected SIGKILL, exit %d (%s)" % (spec, rc, err)
        elif rc not in (0, 1):
            return "%s: exit %d (%s)" % (spec, rc, err)
        if how != "kill":
            e = converged(c)
            if e:
                return "%s after the failure: %s (%s)" % (spec, e, err)
        op = c.op()
        if path == "purge":
            if tree_sum(c.logdir) != live_after_apply:
                return "%s: purge touched live files" % spec
            rc2, _, err2 = c.drive("purge", op)
            if rc2 != 0:
                return "%s: purge again failed: %s" % (spec, err2)
            if tree_sum(c.qroot):
                return "%s: payload left after purge" % spec
            states = {u["state"] for u in load_manifest(op)}
            if states != {"purged"}:
                return "%s: states after purge: %s" % (spec, states)
            return None
        if op is None:  # killed/failed before the manifest existed: nothing moved
            return None if tree_sum(c.logdir) == orig else "%s: tree changed without a manifest" % spec
        if how == "kill" and path == "apply":
            rc2, _, err2 = c.drive("recover", op)
            if rc2 != 0:
                return "%s: recover failed: %s" % (spec, err2)
            e = converged(c)
            if e:
                return "%s after recover: %s" % (spec, e)
        rc3, _, err3 = c.drive("restore", op)
        if rc3 != 0:
            return "%s: restore failed: %s" % (spec, err3)
        e = converged(c)
        if e:
            return "%s after restore: %s" % (spec, e)
        got = tree_sum(c.logdir, c.qroot)
        if got != orig:
            diff = set(got) ^ set(orig)
            return "%s: tree differs after restore: %s" % (spec, sorted(diff)[:4])
        return None
    except Exception as ex:  # a broken assumption is a failure, not a crash of the runner
        return "%s:%d:%s: %r" % (step, n, how, ex)
    finally:
        c.cleanup()


def strace_cases(base, tree, units, orig):
    if not shutil.which("strace"):
        print("crash: strace not installed: skipping real syscall injection")
        return 0, []
    fails, n = [], 0
    for sc, when in (("rename", 2), ("fsync", 3), ("unlink", 1), ("rename", 5)):
        c = Case(base, tree, units)
        try:
            n += 1
            inj = "inject=%s:error=EIO:when=%d" % (sc, when)
            rc, _, err = c.drive("apply", None, wrap=("strace", "-f", "-o", "/dev/null", "-e", inj))
            e = converged(c)
            if e:
                fails.append("strace %s: %s (%s)" % (inj, e, err))
                continue
            op = c.op()
            if op:
                rc3, _, err3 = c.drive("restore", op)
                if rc3 != 0:
                    fails.append("strace %s: restore failed: %s" % (inj, err3))
                    continue
            if tree_sum(c.logdir, c.qroot) != orig:
                fails.append("strace %s: tree differs after restore" % inj)
        finally:
            c.cleanup()
    return n, fails


def main():
    start = time.time()
    base = tempfile.mkdtemp(prefix="ksdcrash-")
    trees = []
    head = os.path.join(base, "headline")
    subprocess.run([KSD_GEN, "scenario", "headline", head], check=True, capture_output=True)
    p = "__consumer_offsets-17"
    trees.append(("headline", head, ["seg:@:%s:0" % p, "tail:@:%s:1232493227:30000" % p]))
    # Under ASan+UBSan (make check's second pass) the matrix is the headline
    # tree with EIO (every error path), EXDEV (the copy path) and SIGKILL
    # (every recovery path): ENOSPC takes the same error paths as EIO, and
    # the healthy tree the same steps; the plain pass runs all of it.
    sanitized = os.environ.get("KSD_CRASH_SANITIZED") == "1"
    if not sanitized:
        healthy = os.path.join(base, "healthy")
        subprocess.run([KSD_GEN, "scenario", "healthy", healthy], check=True, capture_output=True)
        trees.append(("healthy", healthy, ["seg:@:events-0:0", "idx:@:events-1:288"]))

    jobs, passed, failed = [], 0, []
    total_cases = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=2 * (os.cpu_count() or 2)) as pool:
        for name, tree, units in trees:
            orig = tree_sum(tree)
            for path, setup in (("apply", setup_none), ("restore", setup_applied), ("purge", setup_applied)):
                steps = trace_steps(base, tree, units, setup, path)
                for step, n in steps:
                    hows = ["EIO", "kill"] if sanitized else ["EIO", "ENOSPC", "kill"]
                    hows += ["EXDEV"] if step == "rename" else []
                    for how in hows:
                        total_cases += 1
                        jobs.append((name, pool.submit(run_case, base, tree, units, orig, path, step, n, how)))
                print("crash: %s %s: %d fault points" % (name, path, len(steps)))
        for name, fut in jobs:
            r = fut.result()
            if r is None:
                passed += 1
            else:
                failed.append("%s: %s" % (name, r))
    name, tree, units = trees[0]
    n, sf = strace_cases(base, tree, units, tree_sum(tree))
    passed += n - len(sf)
    failed += sf
    shutil.rmtree(base, ignore_errors=True)
    for f in failed[:30]:
        print("FAIL", f)
    print("crash: matrix of %d step x occurrence x mode cases + %d strace runs in %.1f s"
          % (total_cases, n, time.time() - start))
    print("crash: %d passed, %d failed" % (passed, len(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
