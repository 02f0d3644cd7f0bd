"""Kafka bytes for CLI test fixtures, written independently of the C code:
CRC-32C, zig-zag varints and v2 records (kafka-facts.md §1.4-1.7).  Suites
build their batches from these (test_offsets, test_quarantine,
test_diagnosis_data)."""

ATTR_GZIP, ATTR_TXN, ATTR_CONTROL = 0x01, 0x10, 0x20


def _crc32c_table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        t.append(c)
    return t


_C32C = _crc32c_table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _C32C[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def varint(v):
    """Protobuf zig-zag varint (sint64)."""
    z = ((v << 1) ^ (v >> 63)) & ((1 << 64) - 1)
    out = bytearray()
    while True:
        b = z & 0x7F
        z >>= 7
        if z:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def uvarint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def nbytes(b):
    """A record's key or value: varint length (-1 = null), then the bytes."""
    return varint(-1) if b is None else varint(len(b)) + b


def encode_record(delta, key, value, ts_delta=0):
    body = (b"\x00" + varint(ts_delta) + varint(delta) + nbytes(key) + nbytes(value)
            + varint(0))
    return varint(len(body)) + body
