#!/usr/bin/python3
"""Summarise .log files with an independent decoder: Debian's python3-kafka.

For each file given, prints one JSON line:
  {"path", "batches", "records", "first_offset", "last_offset", "crc_ok", "valid_bytes"}
using kafka.record.MemoryRecords for the entry chain, each batch's own CRC
check (validate_crc) and full record iteration (which decompresses).  Used
by the cross-check tests to compare ksegdoctor's numbers on the same bytes.
"""
import json
import sys

from kafka.record import MemoryRecords


def summarize(path):
    data = open(path, "rb").read()
    recs = MemoryRecords(data)
    out = {"path": path, "batches": 0, "records": 0, "first_offset": -1,
           "last_offset": -1, "crc_ok": True, "valid_bytes": 0}
    pos = 0
    while recs.has_next():
        batch = recs.next_batch()
        if batch is None:
            break
        out["batches"] += 1
        if not batch.validate_crc():
            out["crc_ok"] = False
        n = 0
        first = last = None
        for r in batch:
            n += 1
            first = r.offset if first is None else min(first, r.offset)
            last = r.offset if last is None else max(last, r.offset)
        # v2 batches keep their header offsets even when compaction emptied them
        base = getattr(batch, "base_offset", None)
        if base is not None:
            first = base if first is None else min(first, base)
            last_header = base + batch.last_offset_delta
            last = last_header if last is None else max(last, last_header)
        out["records"] += n
        if first is not None and (out["first_offset"] < 0 or first < out["first_offset"]):
            out["first_offset"] = first
        if last is not None and last > out["last_offset"]:
            out["last_offset"] = last
    out["valid_bytes"] = recs.valid_bytes() if hasattr(recs, "valid_bytes") else None
    return out


for p in sys.argv[1:]:
    print(json.dumps(summarize(p)))
