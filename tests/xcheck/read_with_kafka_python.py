#!/usr/bin/python3
"""Read Kafka .log files with python3-kafka and print one JSON line per batch.

Independent cross-check for ksegdoctor and its fixture writer: the batches
are parsed, CRC-checked and decompressed by kafka-python's own readers
(kafka.record.MemoryRecords), not by our code.

    tests/xcheck/read_with_kafka_python.py FILE.log [FILE.log ...]

Per batch (v2 batch, or v0/v1 message / compressed wrapper message):
    {"file", "position", "size", "magic", "codec", "base_offset",
     "last_offset", "record_count", "crc_valid", "max_timestamp",
     "transactional", "control"}
  base_offset/last_offset: v2 header values (baseOffset, baseOffset +
  lastOffsetDelta); legacy: first/last absolute record offset.
  record_count: records actually decoded (not the header's claim).
  max_timestamp: v2 header; v1 outer timestamp; null for v0.
If a batch cannot be decoded (or has a magic byte above 2, which Kafka
refuses but kafka-python would read as v2): {"file", "position", "size",
"error": "..."} and the file is not read further (as Kafka stops at the first
corrupt batch).
Bytes after the last whole batch: {"file", "position", "trailing_bytes": n}.

Run with Debian's interpreter (/usr/bin/python3, python3-kafka 2.0.2 with
python3-snappy, python3-lz4, python3-zstandard).  Exit status: 0 when every
batch decoded with a valid CRC and nothing trails, 1 otherwise, 2 on usage
errors.
"""
import json
import signal
import struct
import sys

import kafka.codec
from kafka.record.memory_records import MemoryRecords

CODECS = {0: "none", 1: "gzip", 2: "snappy", 3: "lz4", 4: "zstd"}


class _Xxh32:
    """Pure-Python XXH32, only so kafka-python can read magic-0 LZ4
    (lz4_decode_old_kafka needs the xxhash module, which Debian's
    python3-kafka does not pull in)."""

    P1, P2, P3, P4, P5 = (0x9E3779B1, 0x85EBCA77, 0xC2B2AE3D, 0x27D4EB2F,
                          0x165667B1)
    M = 0xFFFFFFFF

    def __init__(self, data, seed=0):
        self._h = self._hash(bytes(data), seed)

    @classmethod
    def _rotl(cls, x, r):
        return ((x << r) | (x >> (32 - r))) & cls.M

    @classmethod
    def _round(cls, acc, lane):
        return (cls._rotl((acc + lane * cls.P2) & cls.M, 13) * cls.P1) & cls.M

    @classmethod
    def _hash(cls, data, seed):
        n, p, M = len(data), 0, cls.M
        if n >= 16:
            v = [(seed + cls.P1 + cls.P2) & M, (seed + cls.P2) & M, seed,
                 (seed - cls.P1) & M]
            while n - p >= 16:
                lanes = struct.unpack_from("<4I", data, p)
                v = [cls._round(a, b) for a, b in zip(v, lanes)]
                p += 16
            h = (cls._rotl(v[0], 1) + cls._rotl(v[1], 7) +
                 cls._rotl(v[2], 12) + cls._rotl(v[3], 18)) & M
        else:
            h = (seed + cls.P5) & M
        h = (h + n) & M
        while n - p >= 4:
            lane = struct.unpack_from("<I", data, p)[0]
            h = (cls._rotl((h + lane * cls.P3) & M, 17) * cls.P4) & M
            p += 4
        while p < n:
            h = (cls._rotl((h + data[p] * cls.P5) & M, 11) * cls.P1) & M
            p += 1
        h ^= h >> 15
        h = (h * cls.P2) & M
        h ^= h >> 13
        h = (h * cls.P3) & M
        h ^= h >> 16
        return h

    def digest(self):
        return struct.pack(">I", self._h)


class _XxhashModule:
    xxh32 = _Xxh32


if getattr(kafka.codec, "xxhash", None) is None:
    kafka.codec.xxhash = _XxhashModule


def _entry_sizes(data):
    """Yield (position, entry_size) the way MemoryRecords slices data."""
    pos = 0
    while len(data) - pos >= 12:
        size = struct.unpack_from(">i", data, pos + 8)[0]
        end = pos + 12 + size
        if size < 0 or end > len(data):
            break
        yield pos, 12 + size
        pos = end


def _describe(batch, magic, raw):
    """One batch as a dict; iterating decompresses and decodes it."""
    out = {"magic": magic, "codec": CODECS.get(batch.compression_type,
                                               batch.compression_type)}
    out["crc_valid"] = bool(batch.validate_crc())  # before iterating (v2)
    offsets = [rec.offset for rec in batch]
    out["record_count"] = len(offsets)
    if magic >= 2:
        out["base_offset"] = batch.base_offset
        out["last_offset"] = batch.base_offset + batch.last_offset_delta
        out["max_timestamp"] = batch.max_timestamp
        out["transactional"] = bool(batch.is_transactional)
        out["control"] = bool(batch.is_control_batch)
    else:
        outer = struct.unpack_from(">q", raw, 0)[0]
        out["base_offset"] = offsets[0] if offsets else outer
        out["last_offset"] = outer
        out["max_timestamp"] = (struct.unpack_from(">q", raw, 18)[0]
                                if magic == 1 else None)
        out["transactional"] = False
        out["control"] = False
    return out


def read_file(path):
    with open(path, "rb") as f:
        data = f.read()
    ok = True
    records = MemoryRecords(data)
    end = 0
    for pos, size in _entry_sizes(data):
        line = {"file": path, "position": pos, "size": size}
        try:
            batch = records.next_batch()
            if batch is None:
                raise ValueError("reader stopped early")
            magic = data[pos + 16]
            if magic > 2:  # kafka-python would parse it as v2; Kafka refuses
                raise ValueError("unknown magic %d" % magic)
            line.update(_describe(batch, magic, data[pos:pos + size]))
        except Exception as e:  # any decode failure is a finding here
            line["error"] = "%s: %s" % (type(e).__name__, e)
            print(json.dumps(line, sort_keys=True))
            return False
        ok = ok and line["crc_valid"]
        print(json.dumps(line, sort_keys=True))
        end = pos + size
    if end < len(data):
        print(json.dumps({"file": path, "position": end,
                          "trailing_bytes": len(data) - end},
                         sort_keys=True))
        ok = False
    return ok


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 2 if len(argv) < 2 else 0
    ok = True
    for path in argv[1:]:
        ok = read_file(path) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet under `| head`
    sys.exit(main(sys.argv))
