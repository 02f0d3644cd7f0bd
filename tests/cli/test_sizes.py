#!/usr/bin/python3
"""CLI tests for `ksegdoctor sizes` on trees written by `ksd-gen`."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
KSD = os.environ.get("KSD", os.path.join(ROOT, "build", "ksegdoctor"))
GEN = os.environ.get("KSD_GEN", os.path.join(ROOT, "build", "ksd-gen"))
TMP = tempfile.mkdtemp(prefix="ksd-sizes-")
from clitest import results, test  # noqa: E402 - shared runner


def run(*args):
    p = subprocess.run([KSD, *args], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


DEMO = os.path.join(TMP, "demo")
subprocess.run([GEN, "demo", DEMO], check=True, capture_output=True)
LD1 = os.path.join(DEMO, "kafka-logs-1")


def du_bytes(path, apparent):
    total = 0
    for f in os.listdir(path):
        st = os.lstat(os.path.join(path, f))
        total += st.st_size if apparent else st.st_blocks * 512
    return total


@test
def largest_first_with_du_sizes():
    rc, out, _ = run("sizes", "--json", "--top", "0", LD1)
    assert rc == 0, rc
    d = json.loads(out)
    parts = d["log_dirs"][0]["partitions"]
    sizes = [p["bytes"] for p in parts]
    assert sizes == sorted(sizes, reverse=True), sizes
    for p in parts:
        assert p["bytes"] == du_bytes(os.path.join(LD1, p["name"]), False), p
    assert d["log_dirs"][0]["bytes"] == sum(sizes)
    topics = d["log_dirs"][0]["topics"]
    assert sum(t["bytes"] for t in topics) == sum(sizes)
    assert topics == sorted(topics, key=lambda t: (-t["bytes"], t["topic"]))


@test
def apparent_size_counts_file_sizes():
    rc, out, _ = run("sizes", "--json", "--apparent-size", "--top", "0", LD1)
    d = json.loads(out)
    for p in d["log_dirs"][0]["partitions"]:
        assert p["bytes"] == du_bytes(os.path.join(LD1, p["name"]), True), p


@test
def top_and_topic_filters():
    rc, out, _ = run("sizes", "--json", "--top", "2", LD1)
    assert len(json.loads(out)["log_dirs"][0]["partitions"]) == 2
    rc, out, _ = run("sizes", "--json", "--top", "0", "--topic", "__consumer_offsets", LD1)
    names = {p["topic"] for p in json.loads(out)["log_dirs"][0]["partitions"]}
    assert names == {"__consumer_offsets"}, names


@test
def reassignment_draft():
    rc, out, _ = run("sizes", "--json", "--top", "1", "--to-brokers", "4,5",
                     "--log-dirs", "/data/a,/data/b", LD1)
    assert rc == 0, rc
    plan = json.loads(out)["reassignment"]
    assert plan["version"] == 1 and len(plan["partitions"]) == 1
    p = plan["partitions"][0]
    assert p["replicas"] == [4, 5] and p["log_dirs"] == ["/data/a", "/data/b"], p
    rc, out, _ = run("sizes", "--to-brokers", "4", LD1)
    assert rc == 0 and '"log_dirs":["any"]' in out, out


@test
def text_report_and_errors():
    rc, out, _ = run("sizes", LD1, os.path.join(DEMO, "kafka-logs-2"))
    assert rc == 0 and out.count("partitions\n") == 2 and "by topic:" in out, out
    assert run("sizes")[0] == 16
    assert run("sizes", "--to-brokers", "x", LD1)[0] == 16
    assert run("sizes", "--to-brokers", "1,2", "--log-dirs", "/a", LD1)[0] == 16
    assert run("sizes", "--log-dirs", "relative", "--to-brokers", "1", LD1)[0] == 16
    assert run("sizes", os.path.join(TMP, "missing"))[0] == 8


shutil.rmtree(TMP, ignore_errors=True)
print("cli-sizes: %d passed, %d failed" % (results["passed"], results["failed"]))
sys.exit(1 if results["failed"] else 0)
