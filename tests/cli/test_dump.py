#!/usr/bin/python3
"""CLI tests for `ksegdoctor dump` on trees written by `ksd-gen`.

Runs the real binary and checks exit codes, the JSON Lines objects of
docs/dump-format.md and the DumpLogSegments-like text output: deep vs
header-only iteration, data printing, --skip-record-metadata, offset and
timestamp starts through the indexes, --to-offset, --max-bytes, resync past
corruption vs --stop-at-corruption, torn tails, and the internal-topic
decoder switch.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KSD = os.environ.get("KSD") or os.path.join(REPO, "build", "ksegdoctor")
GEN = os.environ.get("KSD_GEN") or os.path.join(REPO, "build", "ksd-gen")
NAME = "cli-dump"
TMP = tempfile.mkdtemp(prefix="ksd-cli-dump-")
from clitest import results, test  # noqa: E402 - shared runner


def run(*args):
    p = subprocess.run([KSD, "dump", *args], capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8", "replace")


def jrun(*args):
    """dump --json: (rc, [objects], stderr)"""
    rc, out, err = run("--json", *args)
    return rc, [json.loads(x) for x in out.split("\n") if x], err


def of(objs, t):
    return [o for o in objs if o["type"] == t]


def scenario(name):
    path = os.path.join(TMP, name)
    if not os.path.exists(path):
        subprocess.run([GEN, "scenario", name, path], check=True, capture_output=True)
    return path


def copy_scenario(name, as_name):
    dst = os.path.join(TMP, as_name)
    shutil.copytree(scenario(name), dst)
    return dst


def segs(part):
    return sorted(os.path.join(part, f) for f in os.listdir(part) if f.endswith(".log"))


def events0():
    return os.path.join(scenario("healthy"), "events-0")


def full_events0():
    """The whole partition, deep, as the reference for the range options."""
    rc, objs, _ = jrun("--deep-iteration", events0())
    assert rc == 0
    return objs


# --- exit codes ----------------------------------------------------------------

@test
def exit_0_on_clean_partition_and_files():
    for part in ("events-0", "events-1", "legacy-0", "__consumer_offsets-12"):
        p = os.path.join(scenario("healthy"), part)
        rc, objs, err = jrun("--deep-iteration", p)
        assert rc == 0, (part, rc, err)
        assert of(objs, "corruption") == [], part
        assert len(of(objs, "file")) == len(segs(p)) == len(of(objs, "summary")), part
    rc, _, _ = run(segs(events0())[1])
    assert rc == 0


@test
def exit_4_when_corruption_found():
    for s in ("corrupt-entry", "unknown-magic", "crc-mismatch", "torn-tail"):
        rc, objs, _ = jrun(os.path.join(scenario(s), "orders-0"))
        assert rc == 4, (s, rc)
        assert of(objs, "corruption"), s
        rc, _, _ = run(os.path.join(scenario(s), "orders-0"))
        assert rc == 4, ("text", s, rc)


@test
def exit_8_on_unreadable_path():
    rc, out, err = run(os.path.join(TMP, "does-not-exist.log"))
    assert rc == 8 and out == "" and "does-not-exist" in err, (rc, out, err)
    empty = os.path.join(TMP, "empty-0")
    os.makedirs(empty, exist_ok=True)
    rc, _, err = run(empty)
    assert rc == 8, (rc, err)
    # OR-ed with findings, like scan
    rc, _, _ = run(os.path.join(TMP, "nope"), os.path.join(scenario("corrupt-entry"), "orders-0"))
    assert rc == 12, rc
    # and a good path after a bad one is still dumped
    rc, objs, _ = jrun(os.path.join(TMP, "nope"), events0())
    assert rc == 8 and len(of(objs, "file")) == 3, rc


@test
def exit_16_on_usage_errors():
    f = segs(events0())[0]
    for args in (["--encoding", "bogus", f], ["--from-offset", "-5", f], [],
                 ["--json"], ["--to-offset", "-1", f], ["--from-offset", "x", f],
                 ["--from-offset", "10", "--to-offset", "5", f], ["--max-bytes", "0", f],
                 ["--max-bytes", "lots", f], ["--decoder", "bogus", f], ["--no-such-option", f],
                 ["--from-timestamp", "yesterday", f], ["--encoding"]):
        rc, out, err = run(*args)
        assert rc == 16, (args, rc)
        assert out == "", (args, out[:200])
        assert err.strip(), args
    rc, out, _ = run("--help")
    assert rc == 0 and "--print-data-log" in out and "Exit status" in out


# --- what is printed ---------------------------------------------------------------

@test
def header_only_vs_deep_iteration():
    p = events0()
    rc, head, _ = jrun(p)
    assert rc == 0 and of(head, "record") == [] and of(head, "batch")
    rc, deep, _ = jrun("--deep-iteration", p)
    rc2, deep_short, _ = jrun("-d", p)
    assert rc == 0 and deep == deep_short
    assert of(head, "batch") == of(deep, "batch"), "batch objects differ with -d"
    recs = of(deep, "record")
    assert len(recs) == sum(b["count"] for b in of(deep, "batch"))
    # records follow their batch, offsets in order and inside it
    cur = None
    for o in deep:
        if o["type"] == "batch":
            cur = o
        elif o["type"] == "record":
            assert cur["base_offset"] <= o["offset"] <= cur["last_offset"], o
    offs = [r["offset"] for r in recs]
    assert offs == sorted(offs) and len(set(offs)) == len(offs)
    for s in of(head, "summary"):
        assert s["records"] == 0
    assert sum(s["records"] for s in of(deep, "summary")) == len(recs)


@test
def print_data_log_prints_keys_and_values():
    p = events0()
    rc, plain, _ = jrun("--deep-iteration", p)
    rc2, data, _ = jrun("--print-data-log", p)
    rc3, data_short, _ = jrun("-p", p)
    assert rc == rc2 == 0 and data == data_short
    pr, dr = of(plain, "record"), of(data, "record")
    assert len(pr) == len(dr) > 100
    nulls = 0
    for a, b in zip(pr, dr):
        assert "key" not in a and "value" not in a, a
        assert "key_size" in a and "value_size" in a
        assert a["offset"] == b["offset"] and a["key_size"] == b["key_size"]
        for k in ("key", "value"):
            if b[k + "_size"] == -1:
                assert b[k] is None
                nulls += 1
            else:
                assert len(b[k].encode("utf-8", "surrogateescape")) == b[k + "_size"], b
        assert isinstance(b["headers"], list)
    assert nulls > 0, "healthy events-0 has null keys"


@test
def skip_record_metadata():
    p = events0()
    rc, out, _ = run("--skip-record-metadata", p)
    assert rc == 0
    lines = out.splitlines()
    assert not [x for x in lines if x.startswith(("baseOffset:", "| offset:", "offset:"))], \
        "metadata lines printed"
    data = [x for x in lines if x.startswith("key: ")]
    rc, objs, _ = jrun("--deep-iteration", p)
    assert len(data) == len(of(objs, "record")), (len(data), len(of(objs, "record")))
    assert all(" payload: " in x for x in data)
    rc, objs, _ = jrun("--skip-record-metadata", p)
    assert of(objs, "batch") == [] and of(objs, "record"), "JSON: no batch objects"
    assert all("key" in r and "value" in r for r in of(objs, "record"))


BATCH_V2 = re.compile(
    r"^baseOffset: (\d+) lastOffset: (\d+) count: (\d+) baseSequence: -?\d+ lastSequence: -?\d+ "
    r"producerId: -?\d+ producerEpoch: -?\d+ partitionLeaderEpoch: -?\d+ "
    r"isTransactional: (true|false) isControl: (true|false) deleteHorizonMs: \S+ "
    r"position: (\d+) (CreateTime|LogAppendTime): -?\d+ size: (\d+) magic: 2 "
    r"compresscodec: (none|gzip|snappy|lz4|zstd) crc: \d+ isvalid: (true|false)$")
BATCH_LEGACY = re.compile(
    r"^offset: (\d+) position: (\d+) (NoTimestampType|CreateTime|LogAppendTime): -?\d+ "
    r"size: (\d+) magic: ([01]) compresscodec: (none|gzip|snappy|lz4) crc: \d+ isvalid: (true|false)")
RECORD = re.compile(
    r"^\| offset: (\d+) (NoTimestampType|CreateTime|LogAppendTime): -?\d+ keySize: -?\d+ "
    r"valueSize: -?\d+( sequence: -?\d+ headerKeys: \[.*\]| isValid: (true|false) crc: \d+)")


@test
def text_output_is_dump_log_segments_like():
    p = events0()
    rc, out, _ = run("--deep-iteration", p)
    assert rc == 0
    lines = out.splitlines()
    rc, objs, _ = jrun("--deep-iteration", p)
    files = of(objs, "file")
    assert [x for x in lines if x.startswith("Dumping ")] == ["Dumping " + f["path"] for f in files]
    assert [x for x in lines if x.startswith("Log starting offset: ")] == \
        ["Log starting offset: %d" % f["base_offset"] for f in files]
    blines = [x for x in lines if x.startswith("baseOffset: ")]
    batches = of(objs, "batch")
    assert len(blines) == len(batches)
    for line, b in zip(blines, batches):
        m = BATCH_V2.match(line)
        assert m, line
        assert (int(m.group(1)), int(m.group(2)), int(m.group(3)), int(m.group(6)),
                int(m.group(8)), m.group(9)) == (b["base_offset"], b["last_offset"], b["count"],
                                                 b["position"], b["size"], b["codec"]), line
    rlines = [x for x in lines if x.startswith("| offset: ")]
    assert len(rlines) == len(of(objs, "record"))
    assert all(RECORD.match(x) for x in rlines), [x for x in rlines if not RECORD.match(x)][:2]
    # legacy entries: "offset: N position: P ..." lines
    rc, out, _ = run("--deep-iteration", os.path.join(scenario("healthy"), "legacy-0"))
    legacy = [x for x in out.splitlines() if x.startswith("offset: ")]
    assert legacy and all(BATCH_LEGACY.match(x) for x in legacy), legacy[:2]
    assert {BATCH_LEGACY.match(x).group(5) for x in legacy} == {"0", "1"}
    rl = [x for x in out.splitlines() if x.startswith("| offset: ")]
    assert rl and all(RECORD.match(x) and " isValid: true" in x for x in rl), rl[:2]
    # with -p: key and payload on the record line
    rc, out, _ = run("--print-data-log", p)
    rl = [x for x in out.splitlines() if x.startswith("| offset: ")]
    assert rl and all(" key: " in x and " payload: " in x for x in rl), rl[:1]


@test
def text_mode_reports_no_invalid_bytes_for_clean_files():
    rc, out, _ = run("--deep-iteration", events0())
    assert rc == 0 and "invalid bytes" not in out
    rc, out, _ = run(os.path.join(scenario("corrupt-entry"), "orders-0"))
    assert rc == 4 and "CORRUPTION corrupt-entry at byte 5755" in out, out[-500:]


# --- ranges: --from-offset / --to-offset / --from-timestamp / --max-bytes ----

@test
def from_offset_starts_at_the_batch_containing_it_via_the_index():
    full = full_events0()
    seg_bases = [f["base_offset"] for f in of(full, "file")]
    assert len(seg_bases) == 3, seg_bases
    # an offset deep inside the second segment, not a batch's first offset
    b2 = [b for b in of(full, "batch") if b["base_offset"] > seg_bases[1] + 100
          and b["last_offset"] < seg_bases[2] and b["count"] > 3]
    target_batch = b2[len(b2) // 2]
    n = target_batch["base_offset"] + 2
    rc, objs, _ = jrun("--deep-iteration", "--from-offset", str(n), events0())
    assert rc == 0
    files = of(objs, "file")
    assert [f["base_offset"] for f in files] == seg_bases[1:], "starts in the segment holding N"
    first = of(objs, "batch")[0]
    assert first["base_offset"] <= n <= first["last_offset"], first
    assert first == target_batch
    assert first["position"] > 0, "index not used: started at byte 0"
    recs = of(objs, "record")
    assert recs[0]["offset"] == n and min(r["offset"] for r in recs) == n
    # everything from N on is there
    want = [r["offset"] for r in of(full, "record") if r["offset"] >= n]
    assert [r["offset"] for r in recs] == want
    # a single .log file works too, same start
    seg = [s for s in segs(events0()) if s.endswith("%020d.log" % seg_bases[1])][0]
    rc, objs2, _ = jrun("--from-offset", str(n), seg)
    assert of(objs2, "batch")[0] == target_batch


@test
def from_offset_reads_only_from_the_indexed_position():
    # damage the first entry of the segment: reading from byte 0 would report
    # it, starting at the indexed position never sees it
    root = copy_scenario("healthy", "healthy-damaged-head")
    part = os.path.join(root, "events-0")
    full = full_events0()
    seg_bases = [f["base_offset"] for f in of(full, "file")]
    seg = os.path.join(part, "%020d.log" % seg_bases[1])
    with open(seg, "r+b") as f:
        f.seek(8)
        f.write((5).to_bytes(4, "big"))  # size field below the minimum
    rc, objs, _ = jrun(part)
    assert rc == 4 and [c["code"] for c in of(objs, "corruption")] == ["corrupt-entry"]
    # (deep in the segment: past its first index entry)
    late = [b for b in of(full, "batch") if seg_bases[1] <= b["base_offset"]
            and b["last_offset"] < seg_bases[2]][-2]
    rc, objs, err = jrun("--from-offset", str(late["base_offset"]), part)
    assert rc == 0, (rc, err, of(objs, "corruption"))
    assert of(objs, "corruption") == []
    assert of(objs, "batch")[0]["position"] == late["position"]


@test
def from_offset_without_index_falls_back_to_reading():
    root = copy_scenario("healthy", "healthy-no-index")
    part = os.path.join(root, "events-0")
    for f in os.listdir(part):
        if f.endswith((".index", ".timeindex")):
            os.unlink(os.path.join(part, f))
    full = full_events0()
    n = of(full, "record")[700]["offset"]
    rc, objs, _ = jrun("--deep-iteration", "--from-offset", str(n), part)
    assert rc == 0
    first = of(objs, "batch")[0]
    assert first["base_offset"] <= n <= first["last_offset"], first
    assert min(r["offset"] for r in of(objs, "record")) == n


@test
def from_offset_on_segment_boundaries_and_past_the_end():
    full = full_events0()
    bases = [f["base_offset"] for f in of(full, "file")]
    rc, objs, _ = jrun("--from-offset", str(bases[1]), events0())
    assert rc == 0
    assert of(objs, "file")[0]["base_offset"] == bases[1]
    assert of(objs, "batch")[0]["base_offset"] == bases[1]
    last = of(full, "batch")[-1]["last_offset"]
    rc, objs, _ = jrun("-d", "--from-offset", str(last + 1000), events0())
    assert rc == 0 and of(objs, "record") == [] and of(objs, "batch") == []


@test
def to_offset_stops_after_it():
    full = full_events0()
    recs = of(full, "record")
    lo, hi = recs[100]["offset"], recs[460]["offset"]   # spans a segment boundary
    rc, objs, _ = jrun("-d", "--from-offset", str(lo), "--to-offset", str(hi), events0())
    assert rc == 0
    got = [r["offset"] for r in of(objs, "record")]
    assert got == [r["offset"] for r in recs if lo <= r["offset"] <= hi], (got[:3], got[-3:])
    bs = of(objs, "batch")
    assert bs[-1]["base_offset"] <= hi <= bs[-1]["last_offset"]
    assert all(b["base_offset"] <= hi for b in bs)
    rc, objs, _ = jrun("-d", "--to-offset", str(recs[5]["offset"]), events0())
    assert [r["offset"] for r in of(objs, "record")] == [r["offset"] for r in recs[:6]]
    rc, out, _ = run("--from-offset", str(lo), "--to-offset", str(hi), events0())
    assert rc == 0 and "invalid bytes" not in out, \
        "text mode reports 'invalid bytes' for files cut short by --to-offset"
    # same offset on both ends: exactly that record
    rc, objs, _ = jrun("-d", "--from-offset", str(hi), "--to-offset", str(hi), events0())
    assert [r["offset"] for r in of(objs, "record")] == [hi]


@test
def from_timestamp_starts_at_first_batch_reaching_it():
    full = full_events0()
    batches = of(full, "batch")
    ts_sorted = all(a["max_timestamp"] <= b["max_timestamp"] for a, b in zip(batches, batches[1:]))
    for i in (1, len(batches) // 2, len(batches) - 2):
        t = batches[i]["max_timestamp"]
        rc, objs, _ = jrun("--from-timestamp", str(t), events0())
        assert rc == 0
        got = of(objs, "batch")
        k = next(j for j, b in enumerate(batches) if b["max_timestamp"] >= t)
        assert got[0] == batches[k], (i, got[0]["base_offset"], batches[k]["base_offset"])
        if ts_sorted:
            assert got == batches[k:], i
        # one millisecond later skips batch k when it ends exactly at t
        if batches[k]["max_timestamp"] == t and k + 1 < len(batches):
            rc, objs, _ = jrun("--from-timestamp", str(t + 1), events0())
            assert of(objs, "batch")[0]["base_offset"] > batches[k]["base_offset"]
    rc, objs, _ = jrun("--from-timestamp", "0", events0())
    assert of(objs, "batch") == batches
    rc, objs, _ = jrun("--from-timestamp", str(batches[-1]["max_timestamp"] + 1), events0())
    assert rc == 0 and of(objs, "batch") == []


@test
def max_bytes_stops_each_file():
    full = full_events0()
    by_file, cur = {}, None
    for o in full:
        if o["type"] == "file":
            cur = by_file.setdefault(o["path"], [])
        elif o["type"] == "batch":
            cur.append(o)
    for limit, arg in ((5000, "5000"), (4096, "4K"), (1, "1")):
        rc, objs, _ = jrun("--max-bytes", arg, events0())
        assert rc == 0, (arg, rc)
        got, cur = {}, None
        for o in objs:
            if o["type"] == "file":
                cur = got.setdefault(o["path"], [])
            elif o["type"] == "batch":
                cur.append(o)
        assert set(got) == set(by_file)
        for path, bs in by_file.items():
            n, total = 0, 0
            while n < len(bs) and total + bs[n]["size"] <= limit:
                total += bs[n]["size"]
                n += 1
            assert got[path] == bs[:n], (arg, path, len(got[path]), n)
    rc, out, _ = run("--max-bytes", "5000", events0())
    assert rc == 0 and "invalid bytes" not in out, \
        "text mode reports 'invalid bytes' for a file cut short by --max-bytes"


# --- corruption: resync vs --stop-at-corruption; torn tail -------------------

def _resync_case(name, code):
    seg = segs(os.path.join(scenario(name), "orders-0"))[0]
    rc, objs, _ = jrun("-d", seg)
    assert rc == 4, rc
    corr = of(objs, "corruption")
    assert len(corr) == 1 and corr[0]["code"] == code, corr
    c = corr[0]
    assert isinstance(c["resume_at"], int) and c["resume_at"] > c["position"], c
    before = [b for b in of(objs, "batch") if b["position"] < c["position"]]
    after = [b for b in of(objs, "batch") if b["position"] > c["position"]]
    assert before and after, "valid batches on both sides"
    assert after[0]["position"] == c["resume_at"]
    assert all(b["crc_valid"] for b in before + after)
    # objects come in file order: the corruption sits between the two runs
    i = objs.index(c)
    assert objs[i + 1]["type"] == "batch" and objs[i + 1]["position"] == c["resume_at"]
    s = of(objs, "summary")[0]
    assert s["corruptions"] == 1 and s["valid_bytes"] == c["position"], s
    assert s["batches"] == len(before) + len(after)
    # the records after it decode too
    assert len(of(objs, "record")) == sum(b["count"] for b in before + after)
    # --stop-at-corruption: nothing after the bad entry
    rc, objs2, _ = jrun("-d", "--stop-at-corruption", seg)
    assert rc == 4, rc
    corr2 = of(objs2, "corruption")
    assert len(corr2) == 1 and corr2[0]["code"] == code and corr2[0]["position"] == c["position"]
    assert corr2[0]["resume_at"] is None, corr2
    assert of(objs2, "batch") == before, "batches after the corruption with --stop-at-corruption"
    assert objs2[-1]["type"] == "summary" and objs2[-2] == corr2[0]
    return c


@test
def resync_past_corrupt_entry():
    _resync_case("corrupt-entry", "corrupt-entry")


@test
def resync_past_unknown_magic():
    c = _resync_case("unknown-magic", "corrupt-entry")
    assert "magic" in c["message"], c


@test
def crc_mismatch_batch_is_reported_and_dump_goes_on():
    seg = segs(os.path.join(scenario("crc-mismatch"), "orders-0"))[1]
    rc, objs, _ = jrun("-d", seg)
    assert rc == 4
    corr = of(objs, "corruption")
    assert [c["code"] for c in corr] == ["crc-mismatch"], corr
    bad = [b for b in of(objs, "batch") if not b["crc_valid"]]
    assert len(bad) == 1 and bad[0]["position"] == corr[0]["position"]
    assert corr[0]["resume_at"] == bad[0]["position"] + bad[0]["size"]
    assert of(objs, "batch")[-1]["position"] > bad[0]["position"]


@test
def torn_tail_has_no_resume():
    part = os.path.join(scenario("torn-tail"), "orders-0")
    rc, objs, _ = jrun("-d", part)
    assert rc == 4, rc
    corr = of(objs, "corruption")
    assert len(corr) == 1 and corr[0]["code"] == "torn-tail" and corr[0]["resume_at"] is None, corr
    last_file = of(objs, "file")[-1]
    assert corr[0]["position"] < last_file["bytes"]
    after = [o for o in objs[objs.index(corr[0]) + 1:] if o["type"] != "summary"]
    assert after == [], after
    s = of(objs, "summary")[-1]
    assert s["valid_bytes"] == corr[0]["position"] and s["bytes"] == last_file["bytes"]
    rc, out, _ = run(part)
    assert "CORRUPTION torn-tail" in out and \
        "Found %d invalid bytes" % (last_file["bytes"] - corr[0]["position"]) in out, out[-400:]


# --- internal-topic decoders ------------------------------------------------

@test
def decoder_none_vs_auto_on_consumer_offsets():
    part = os.path.join(scenario("healthy"), "__consumer_offsets-12")
    rc, auto, _ = jrun(part)
    assert rc == 0
    rc, none, _ = jrun("--decoder", "none", part)
    assert rc == 0
    # a decoder implies deep iteration; none leaves a header-only dump
    assert of(none, "record") == [], "records without -d and with --decoder none"
    assert of(auto, "record"), "the auto decoder on __consumer_offsets implies -d"
    rc, none_d, _ = jrun("--decoder", "none", "-p", part)
    assert all("key_decoded" not in r and "value_decoded" not in r for r in of(none_d, "record"))
    recs = of(auto, "record")
    if not any("key_decoded" in r for r in recs):
        rc, out, _ = run("--help")
        assert "--offsets-decoder" in out and "--decoder NAME" in out and \
            "__consumer_offsets" in out, "help does not mention the decoders"
        results["pending"].append("internal-topic decoders: no key_decoded on "
                                  "__consumer_offsets records yet (help lists them)")
        return
    # transaction markers are control records: decoded as "control" instead
    markers = [r for r in recs if "control" in r]
    assert markers and all(r["control"]["type"] in ("COMMIT", "ABORT") for r in markers), markers
    recs = [r for r in recs if "control" not in r]
    assert all("key_decoded" in r for r in recs), "some records without key_decoded"
    kinds = set()
    for r in recs:
        kd = r["key_decoded"]
        assert "data" in kd or "error" in kd, kd
        kinds.add(kd.get("type"))
        if r["value_size"] == -1:
            assert r["value_decoded"] is None, r
        else:
            assert "data" in r["value_decoded"] or "error" in r["value_decoded"], r
    assert not any("error" in r["key_decoded"] for r in recs), "undecodable keys in healthy data"
    # explicit --offsets-decoder gives the same as auto
    rc, expl, _ = jrun("--offsets-decoder", part)
    assert [r for r in of(expl, "record") if "control" not in r] == recs


@test
def dump_never_writes():
    root = scenario("corrupt-entry")

    def snapshot():
        out = {}
        for dp, _, fs in os.walk(root):
            for f in fs:
                p = os.path.join(dp, f)
                st = os.stat(p)
                out[p] = (st.st_size, st.st_mtime_ns, open(p, "rb").read())
        return out
    before = snapshot()
    run("-p", os.path.join(root, "orders-0"))
    run("--json", "--from-offset", "150", os.path.join(root, "orders-0"))
    assert snapshot() == before


try:
    for p in results["pending"]:
        print("pending (documented, not wired yet): %s" % p)
finally:
    shutil.rmtree(TMP, ignore_errors=True)
print("%s: %d passed, %d failed" % (NAME, results["passed"], results["failed"]))
sys.exit(1 if results["failed"] else 0)
