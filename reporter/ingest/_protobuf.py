"""A minimal protobuf wire decoder for the few TensorBoard messages scalars need.

No protobuf package and no generated ``_pb2`` modules (formats.md §1.3, §1.9): each message
is a small function that walks ``(field number, wire type, value)`` triples and keeps the
fields it knows. Unknown fields (graph_def, histograms, images…) are skipped.

>>> list(fields(bytes([0x08, 0x96, 0x01])))
[(1, 0, 150)]
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field

VARINT, FIXED64, LENGTH, FIXED32 = 0, 1, 2, 5
# TensorFlow DataType enum values that can hold a scalar we read.
DT_FLOAT, DT_DOUBLE, DT_INT32, DT_INT64, DT_BFLOAT16, DT_HALF = 1, 2, 3, 9, 14, 19
SESSION_START = 1

_F32 = struct.Struct("<f")
_F64 = struct.Struct("<d")


class WireError(ValueError):
    """Bytes that are not a valid protobuf message."""


def varint(buf: bytes, pos: int) -> tuple[int, int]:
    """Decode a varint at ``pos``; return ``(value, new position)``."""
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise WireError("varint runs past the end")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise WireError("varint longer than 10 bytes")


def fields(buf: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    """``(field number, wire type, value)`` per field: an int for VARINT, else raw bytes."""
    pos, end = 0, len(buf)
    while pos < end:
        key, pos = varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == VARINT:
            value, pos = varint(buf, pos)
        elif wire == FIXED64:
            value, pos = buf[pos:pos + 8], pos + 8
        elif wire == LENGTH:
            size, pos = varint(buf, pos)
            value, pos = buf[pos:pos + size], pos + size
        elif wire == FIXED32:
            value, pos = buf[pos:pos + 4], pos + 4
        else:
            raise WireError(f"unsupported wire type {wire}")
        if pos > end:
            raise WireError("field runs past the end")
        yield number, wire, value


def _signed64(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


@dataclass
class Value:
    """``Summary.Value``: a tag with a ``simple_value`` or a one-element tensor."""

    tag: str = ""
    simple_value: float | None = None
    tensor: float | None = None
    plugin_name: str | None = None


@dataclass
class Event:
    wall_time: float | None = None
    step: int = 0
    file_version: str | None = None
    values: list[Value] = field(default_factory=list)
    session_status: int | None = None


def event(buf: bytes) -> Event:
    out = Event()
    for number, wire, value in fields(buf):
        if number == 1 and wire == FIXED64:
            out.wall_time = _F64.unpack(value)[0]
        elif number == 2 and wire == VARINT:
            out.step = _signed64(value)
        elif number == 3 and wire == LENGTH:
            out.file_version = value.decode("utf-8", errors="replace")
        elif number == 5 and wire == LENGTH:
            out.values = [summary_value(v) for n, w, v in fields(value) if n == 1 and w == LENGTH]
        elif number == 7 and wire == LENGTH:  # session_log (6 is the deprecated log_message)
            out.session_status = next((v for n, w, v in fields(value) if n == 1 and w == VARINT),
                                      0)
    return out


def summary_value(buf: bytes) -> Value:
    out = Value()
    for number, wire, value in fields(buf):
        if number == 1 and wire == LENGTH:
            out.tag = value.decode("utf-8", errors="replace")
        elif number == 2 and wire == FIXED32:
            out.simple_value = _F32.unpack(value)[0]
        elif number == 8 and wire == LENGTH:
            out.tensor = tensor_scalar(value)
        elif number == 9 and wire == LENGTH:
            out.plugin_name = _plugin_name(value)
    return out


def _plugin_name(metadata: bytes) -> str | None:
    for number, wire, value in fields(metadata):
        if number == 1 and wire == LENGTH:
            for inner, inner_wire, name in fields(value):
                if inner == 1 and inner_wire == LENGTH:
                    return name.decode("utf-8", errors="replace")
    return None


def tensor_scalar(buf: bytes) -> float | None:
    """The value of a one-element ``TensorProto``, or None for anything else."""
    dtype, content, values = 0, None, []
    for number, wire, value in fields(buf):
        if number == 1 and wire == VARINT:
            dtype = value
        elif number == 4 and wire == LENGTH:
            content = value
        elif number in (5, 6, 7, 10, 13, 11):
            values.extend(_repeated(number, wire, value))
    if content is not None:
        return _from_content(dtype, content)
    if len(values) != 1:
        return None
    if dtype == DT_HALF:  # half_val holds the 16 bits in an int32
        bits = int(values[0])
        return struct.unpack("<e", bits.to_bytes(2, "little"))[0] if 0 <= bits <= 0xFFFF \
            else None
    return float(values[0])


_FIXED_FORMATS = {5: ("<f", FIXED32), 6: ("<d", FIXED64)}


def _repeated(number: int, wire: int, value: int | bytes) -> list[float]:
    """Elements of a repeated numeric field, packed or not."""
    if number in _FIXED_FORMATS:
        fmt, fixed = _FIXED_FORMATS[number]
        if wire not in (LENGTH, fixed) or len(value) % struct.calcsize(fmt):
            kind = "float" if fixed == FIXED32 else "double"
            raise WireError(f"field {number} is not a list of {kind} values")
        return [x[0] for x in struct.iter_unpack(fmt, value)]
    if wire == LENGTH:
        out, pos = [], 0
        while pos < len(value):
            item, pos = varint(value, pos)
            out.append(_signed64(item) if number == 10 else item)
        return out
    if wire != VARINT:
        raise WireError(f"field {number}: wire type {wire} where a varint belongs")
    return [_signed64(value) if number == 10 else value]


_CONTENT = {DT_FLOAT: "<f", DT_DOUBLE: "<d", DT_INT32: "<i", DT_INT64: "<q", DT_HALF: "<e"}


def _from_content(dtype: int, content: bytes) -> float | None:
    if dtype == DT_BFLOAT16 and len(content) == 2:
        return struct.unpack("<f", b"\x00\x00" + content)[0]
    fmt = _CONTENT.get(dtype)
    if fmt is None or struct.calcsize(fmt) != len(content):
        return None
    return float(struct.unpack(fmt, content)[0])
