#!/usr/bin/python3
"""CLI tests for `ksegdoctor preflight --target VER`.

Each test builds a log dir with ksd-gen (plus small edits), runs the real
binary, and checks the verdict, the exact items with their levels, and the
exit code.  Grades depend on the target: the same finding must block one
target and not another.
"""
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KSD = os.environ.get("KSD", os.path.join(ROOT, "build", "ksegdoctor"))
GEN = os.environ.get("KSD_GEN", os.path.join(ROOT, "build", "ksd-gen"))
REAL = os.path.join(ROOT, "..", "shared", "realdata")
TMP = tempfile.mkdtemp(prefix="ksd-preflight-")
from clitest import results, test  # noqa: E402 - shared runner


def run(*args):
    p = subprocess.run([KSD, *args], capture_output=True, text=True, timeout=120)
    doc = json.loads(p.stdout) if "--json" in args and p.stdout.strip() else None
    return p.returncode, doc, p.stdout, p.stderr


def scenario(name, copy_as=None):
    path = os.path.join(TMP, name)
    if not os.path.exists(path):
        subprocess.run([GEN, "scenario", name, path], check=True, capture_output=True)
    if copy_as:
        dst = os.path.join(TMP, copy_as)
        shutil.rmtree(dst, ignore_errors=True)
        shutil.copytree(path, dst)
        return dst
    return path


def kraft(name):
    """A healthy log dir whose meta.properties a KRaft broker wrote."""
    root = scenario("healthy", copy_as=name)
    with open(os.path.join(root, "meta.properties"), "w") as f:
        f.write("#\nversion=1\nnode.id=1\ncluster.id=7E7qfq7xShaCojAq_M4H8g\n")
    return root


def items(doc):
    return sorted((i["code"], i["level"]) for i in doc["items"])


def serious(doc):
    """Blockers and warnings: generated fixtures also carry notes (their
    timestamps are past retention, the healthy tree has v0/v1 data)."""
    return [x for x in items(doc) if x[1] != "note"]


@test
def healthy_kraft_dir_is_ready_for_4_0():
    rc, doc, _, _ = run("preflight", "--json", "--target", "4.0.0", "--kafka-version", "3.9.0",
                        kraft("kraft"))
    assert rc == 0, rc
    assert doc["verdict"] == "ready" and serious(doc) == [], items(doc)
    assert doc["target"] == "4.0.0" and doc["current"] == "3.9.0"
    assert doc["blockers"] == 0 and doc["exit_code"] == 0


@test
def zookeeper_mode_blocks_4_0_but_not_3_9():
    root = scenario("healthy")  # meta.properties version 0, broker.id=1
    rc, doc, _, _ = run("preflight", "--json", "--target", "4.0", root)
    assert rc == 4, rc
    assert doc["verdict"] == "blocked"
    assert serious(doc) == [("zookeeper-mode", "blocker")], items(doc)
    it = doc["items"][0]
    assert "broker.id=1" in it["headline"] and it["paths"] == [root], it
    assert "KRaft" in it["why"] and it["count"] == 1
    second = scenario("healthy", copy_as="second-dir")
    rc, doc, out, _ = run("preflight", "--json", "--target", "4.0", root, second)
    it = [i for i in doc["items"] if i["code"] == "zookeeper-mode"][0]
    assert it["headline"].startswith("2 of 2 log dirs") and it["count"] == 1, it
    assert sorted(it["paths"]) == sorted([root, second]), it
    rc, doc, _, _ = run("preflight", "--json", "--target", "3.9.0", root)
    assert rc == 0 and doc["verdict"] == "ready", (rc, items(doc))


@test
def zookeeper_mode_beside_a_metadata_log_is_a_warning_to_verify():
    root = scenario("healthy", copy_as="migrating")
    os.makedirs(os.path.join(root, "__cluster_metadata-0"))
    open(os.path.join(root, "__cluster_metadata-0", "00000000000000000000.log"), "wb").close()
    rc, doc, _, _ = run("preflight", "--json", "--target", "4.0", root)
    assert ("zookeeper-mode", "warning") in items(doc), items(doc)
    assert not any(lv == "blocker" for _, lv in items(doc)), items(doc)
    assert rc == 0, rc  # default --fail-on blocker
    rc, _, _, _ = run("preflight", "--json", "--fail-on", "warning", "--target", "4.0", root)
    assert rc == 4, rc


@test
def without_meta_properties_the_mode_is_a_warning_for_4_x():
    root = scenario("healthy", copy_as="no-meta")
    os.unlink(os.path.join(root, "meta.properties"))
    rc, doc, _, _ = run("preflight", "--json", "--target", "4.0.0", root)
    assert ("metadata-mode-unknown", "warning") in items(doc), items(doc)
    assert rc == 0 and doc["verdict"] == "ready-with-warnings", (rc, doc["verdict"])
    rc, doc, _, _ = run("preflight", "--json", "--target", "3.9.0", root)
    assert not any(c == "metadata-mode-unknown" for c, _ in items(doc)), items(doc)


@test
def upgrade_path_to_4_needs_3_3():
    root = kraft("kraft-path")
    rc, doc, _, _ = run("preflight", "--json", "--target", "4.0.0", "--kafka-version", "2.8.1", root)
    assert rc == 4 and ("upgrade-path", "blocker") in items(doc), (rc, items(doc))
    rc, doc, _, _ = run("preflight", "--json", "--target", "4.0.0", "--kafka-version", "3.3.2", root)
    assert rc == 0 and serious(doc) == [], (rc, items(doc))


@test
def a_downgrade_is_refused():
    rc, doc, _, _ = run("preflight", "--json", "--target", "3.6.0", "--kafka-version", "3.9.0",
                        kraft("kraft-down"))
    assert rc == 4 and serious(doc) == [("downgrade", "blocker")], (rc, items(doc))
    assert doc["items"][0]["count"] == 1


@test
def cleaner_hazard_is_fixed_by_0_10_1_but_not_by_0_10_0():
    root = scenario("headline")
    rc, doc, _, _ = run("preflight", "--json", "--kafka-version", "0.9.0.1", "--target",
                        "0.10.1.0", root)
    assert ("cleaner-map-overflow", "note") in items(doc), items(doc)
    assert rc == 0, (rc, items(doc))
    rc, doc, _, _ = run("preflight", "--json", "--kafka-version", "0.9.0.1", "--target",
                        "0.10.0.1", root)
    # 0.10.0.x counts distinct keys of the first dirty segment (KAFKA-3587):
    # the scan at the current version still reports the hazard.
    assert ("cleaner-map-overflow", "warning") in items(doc), items(doc)


@test
def offset_overflow_blocks_targets_before_2_0():
    root = scenario("offset-overflow")
    rc, doc, _, _ = run("preflight", "--json", "--target", "1.1.1", root)
    assert ("offset-overflow", "blocker") in items(doc), items(doc)
    assert rc == 4
    rc, doc, _, _ = run("preflight", "--json", "--target", "2.0.0", root)
    assert ("offset-overflow", "warning") in items(doc), items(doc)
    assert not any(lv == "blocker" for _, lv in items(doc)), items(doc)
    assert rc == 0


@test
def foreign_directory_blocks_every_target():
    root = scenario("foreign-directory")
    for target in ("2.8.0", "3.9.0"):
        rc, doc, _, _ = run("preflight", "--json", "--target", target, root)
        assert rc == 4 and ("foreign-directory", "blocker") in items(doc), (target, items(doc))


@test
def crc_damage_is_a_warning_with_its_path():
    root = scenario("crc-mismatch")
    rc, doc, _, _ = run("preflight", "--json", "--target", "3.9.0", root)
    assert ("crc-mismatch", "warning") in items(doc), items(doc)
    it = [i for i in doc["items"] if i["code"] == "crc-mismatch"][0]
    assert it["paths"] and it["paths"][0].endswith(".log"), it
    assert rc == 0
    rc, _, _, _ = run("preflight", "--json", "--fail-on", "warning", "--target", "3.9.0", root)
    assert rc == 4


@test
def unclean_shutdown_is_a_warning():
    root = kraft("kraft-unclean")
    os.unlink(os.path.join(root, ".kafka_cleanshutdown"))
    rc, doc, _, _ = run("preflight", "--json", "--target", "4.0.0", root)
    assert ("unclean-shutdown", "warning") in items(doc), items(doc)
    assert doc["verdict"] == "ready-with-warnings" and rc == 0, (rc, doc["verdict"])


@test
def legacy_data_in_a_compacted_topic_is_a_warning_for_4_x():
    root = scenario("headline")  # v0 __consumer_offsets-17
    rc, doc, _, _ = run("preflight", "--json", "--target", "4.0.0", root)
    assert ("legacy-format", "warning") in items(doc), items(doc)
    rc, doc, _, _ = run("preflight", "--json", "--target", "3.9.0", root)
    assert ("legacy-format", "note") in items(doc), items(doc)


@test
def running_broker_blocks():
    root = kraft("kraft-running")
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: hold the broker's POSIX lock like FileChannel.tryLock
        os.close(r)
        fd = os.open(os.path.join(root, ".lock"), os.O_RDWR | os.O_CREAT)
        fcntl.lockf(fd, fcntl.LOCK_EX)
        os.write(w, b"x")
        time.sleep(30)
        os._exit(0)
    os.close(w)
    os.read(r, 1)
    try:
        rc, doc, _, _ = run("preflight", "--json", "--target", "4.0.0", root)
        assert rc == 4 and ("broker-running", "blocker") in items(doc), (rc, items(doc))
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)


@test
def text_report_puts_blockers_first():
    root = scenario("foreign-directory")
    rc, _, out, _ = run("preflight", "--target", "4.0.0", "--kafka-version", "3.9.0", root)
    assert rc == 4
    assert out.index("Verdict: BLOCKED") < out.index("Blockers")
    assert out.index("[foreign-directory]") < out.index("Exit status 4")
    assert "why:" in out and "do:" in out


@test
def usage_errors():
    rc, _, _, err = run("preflight", scenario("healthy"))
    assert rc == 16 and "--target" in err, (rc, err)
    rc, _, _, _ = run("preflight", "--target", "four", scenario("healthy"))
    assert rc == 16
    rc, _, _, _ = run("preflight", "--target", "4.0", "--fail-on", "error", scenario("healthy"))
    assert rc == 16
    rc, _, out, _ = run("preflight", "--help")
    assert rc == 0 and "--target" in out and "--kafka-version" in out


@test
def unreadable_path_is_operational():
    rc, doc, _, _ = run("preflight", "--json", "--target", "3.9.0", os.path.join(TMP, "nope"))
    assert rc & 8, rc
    assert doc["errors"], doc


@test
def realdata_kraft_dir_has_no_blocker():
    d = os.path.join(REAL, "Danielowo2000__BigDataTechnologies-Version-2__kraft-combined-logs")
    if not os.path.isdir(d):
        print("skip realdata_kraft_dir_has_no_blocker: ../shared/realdata is absent")
        return
    rc, doc, _, _ = run("preflight", "--json", "--target", "4.0.0", d)
    assert not any(lv == "blocker" for _, lv in items(doc)), items(doc)
    assert rc == 0, rc


shutil.rmtree(TMP, ignore_errors=True)
print("cli-preflight: %d passed, %d failed" % (results["passed"], results["failed"]))
sys.exit(1 if results["failed"] else 0)
