"""Write scalar event files byte for byte like torch's ``SummaryWriter`` (tests, benchmark).

Not used when reading. The layout is the one the numpy fast path of ``_tfrecord`` decodes:
a ``file_version`` record, then one ``Event{wall_time, step, Summary{Value{tag,
simple_value}}}`` per point (step 0 omitted on the wire, as proto3 does).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from pathlib import Path

from reporter.ingest._tfrecord import _crc_function, crc32c_python, masked_crc


def varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def record(data: bytes, crc=None) -> bytes:
    crc = crc or _crc_function() or crc32c_python
    length = struct.pack("<Q", len(data))
    return (length + struct.pack("<I", masked_crc(length, crc)) + data
            + struct.pack("<I", masked_crc(data, crc)))


def scalar_event(wall_time: float, step: int, tag: str, value: float) -> bytes:
    tag_bytes = tag.encode()
    val = b"\x0a" + varint(len(tag_bytes)) + tag_bytes + b"\x15" + struct.pack("<f", value)
    summary = b"\x0a" + varint(len(val)) + val
    head = b"\x09" + struct.pack("<d", wall_time) + (b"\x10" + varint(step) if step else b"")
    return head + b"\x2a" + varint(len(summary)) + summary


def write_scalars(path: Path, points: Iterable[tuple[float, int, str, float]]) -> None:
    """``points`` are ``(wall_time, step, tag, value)``."""
    with open(path, "wb") as out:
        out.write(record(b"\x09" + struct.pack("<d", 1.7e9) + b"\x1a\x0dbrain.Event:2"))
        for wall, step, tag, value in points:
            out.write(record(scalar_event(wall, step, tag, value)))
