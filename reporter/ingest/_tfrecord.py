"""TFRecord framing and a numpy fast path for TensorBoard event files (formats.md §1.2, §1.8).

A record is ``uint64 length | uint32 masked_crc32c(length) | data | uint32 masked_crc32c(data)``.
``frame`` walks the lengths; a record whose declared end lies past the end of the file is the
cut tail of a writer still running (or killed), and reading stops there with a note. CRCs are
checked when ``google_crc32c`` or ``crc32c`` is installed (optional).

``decode_simple`` decodes, with vectorised numpy, every record of the dominant layout written
by torch / tensorboardX / HF / Lightning (one ``Summary.Value`` holding only a tag and a
``simple_value``); the caller decodes the remaining records with ``_protobuf.event``.
"""

from __future__ import annotations

import struct
from typing import Any

_LENGTH = struct.Struct("<Q")
_TAIL = 64  # records starting this close to the end go through the slow path
_MASK_DELTA = 0xA282EAD8


def _crc_function():
    try:
        import google_crc32c

        return google_crc32c.value
    except ImportError:
        pass
    try:
        import crc32c

        return crc32c.crc32c
    except ImportError:
        return None


def _crc_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


def crc32c_python(data: bytes) -> int:
    """CRC-32C (Castagnoli) in pure Python: for tests and tiny files only (slow)."""
    table = _TABLE or _TABLE.extend(_crc_table()) or _TABLE
    crc = 0xFFFFFFFF
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


_TABLE: list[int] = []


def masked_crc(data: bytes, crc=None) -> int:
    crc = (crc or _crc_function())(data)
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + _MASK_DELTA) & 0xFFFFFFFF


def frame(buf: Any, notes: list[str], name: str, *, verify: bool = False) -> tuple[Any, Any]:
    """Offsets and lengths (numpy int64 arrays) of the data of every complete record.

    With ``verify`` (and a crc32c library installed) both CRCs of every record are checked
    and reading stops at the first mismatch; otherwise the framing runs mostly vectorised.
    """
    import numpy as np

    crc = _crc_function() if verify else None
    if crc is not None:
        offsets, lengths, pos = _frame_checked(buf, notes, name, crc)
    else:
        offsets, lengths, pos = _frame_fast(buf)
    size = len(buf)
    if pos < size:
        notes.append(f"{name}: the last record is cut short at byte {pos} of {size} (a writer "
                     f"still running or stopped mid-write); read {len(offsets)} records")
    return np.asarray(offsets, dtype=np.int64), np.asarray(lengths, dtype=np.int64)


def _frame_checked(buf: Any, notes: list[str], name: str, crc) -> tuple[list, list, int]:
    offsets: list[int] = []
    lengths: list[int] = []
    size, pos = len(buf), 0
    unpack = _LENGTH.unpack_from
    while pos + 12 <= size:
        (length,) = unpack(buf, pos)
        end = pos + length + 16
        if end > size:
            break
        if not _crc_ok(buf, pos, length, crc):
            notes.append(f"{name}: record {len(offsets)} (byte {pos}) fails its checksum; "
                         f"read the {len(offsets)} records before it")
            return offsets, lengths, size
        offsets.append(pos + 12)
        lengths.append(length)
        pos = end
    return offsets, lengths, pos


_SAMPLE = 64  # records read one by one before a repeating length pattern is extrapolated
_MAX_PERIOD = 16


def _frame_fast(buf: Any) -> tuple[Any, Any, int]:
    """Framing that walks a few records, then checks a repeating pattern of lengths at once.

    Event files repeat the same few record lengths (one per tag) until a step varint grows;
    the lengths of a whole stretch are verified with one numpy gather, the same check the
    record-by-record walk makes, and the walk resumes where the pattern breaks.
    """
    import numpy as np

    b = np.frombuffer(buf, dtype=np.uint8)
    size, pos = len(buf), 0
    unpack = _LENGTH.unpack_from
    offset_parts: list[Any] = [np.zeros(0, dtype=np.int64)]  # a file too short for one record
    length_parts: list[Any] = [np.zeros(0, dtype=np.int64)]
    while pos + 12 <= size:
        walked: list[int] = []
        starts: list[int] = []
        while len(walked) < _SAMPLE and pos + 12 <= size:
            (length,) = unpack(buf, pos)
            if pos + length + 16 > size:
                break
            starts.append(pos + 12)
            walked.append(length)
            pos += length + 16
        offset_parts.append(np.asarray(starts, dtype=np.int64))
        length_parts.append(np.asarray(walked, dtype=np.int64))
        if len(walked) < _SAMPLE:
            break
        period = next((p for p in range(1, _MAX_PERIOD + 1)
                       if all(walked[i] == walked[i % p] for i in range(len(walked)))), None)
        if period is None:
            continue
        pattern = np.asarray([walked[(len(walked) + j) % period] for j in range(period)],
                             dtype=np.int64)
        pos, offsets, lengths = _extend(b, size, pos, pattern)
        offset_parts.append(offsets)
        length_parts.append(lengths)
    return np.concatenate(offset_parts), np.concatenate(length_parts), pos


def _extend(b: Any, size: int, pos: int, pattern: Any) -> tuple[int, Any, Any]:
    """Records from ``pos`` on that follow ``pattern``; returns the new position."""
    import numpy as np

    sizes = pattern + 16
    stride = int(sizes.sum())
    cycles = (size - pos) // stride
    if cycles == 0:
        return pos, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    within = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    heads = (pos + np.arange(cycles, dtype=np.int64)[:, None] * stride + within).ravel()
    expected = np.tile(pattern, cycles)
    found = _gather(b, heads, 8).copy().view("<u8")[:, 0].astype(np.int64)
    bad = np.flatnonzero(found != expected)
    count = int(bad[0]) if len(bad) else len(heads)
    new_pos = int(heads[count]) if count < len(heads) else pos + cycles * stride
    return new_pos, heads[:count] + 12, expected[:count]


def _crc_ok(buf: Any, pos: int, length: int, crc) -> bool:
    (head_crc,) = struct.unpack_from("<I", buf, pos + 8)
    if masked_crc(bytes(buf[pos:pos + 8]), crc) != head_crc:
        return False
    start = pos + 12
    (data_crc,) = struct.unpack_from("<I", buf, start + length)
    return masked_crc(bytes(buf[start:start + length]), crc) == data_crc


def _gather(b: Any, starts: Any, width: int) -> Any:
    """``width`` bytes from each start, as an (n, width) array (no copy of the buffer).

    Starts closer than ``width`` to the end are clamped; the records concerned are the last
    few bytes of the file, which ``decode_simple`` leaves to the slow path.
    """
    import numpy as np

    windows = np.lib.stride_tricks.sliding_window_view(b, width)
    return windows[np.minimum(starts, len(b) - width)]


def decode_simple(buf: Any, offsets: Any, lengths: Any) -> dict[str, Any]:
    """Vectorised decode of the ``tag + simple_value`` layout.

    Returns ``mask`` (records decoded here), and for those records ``wall_time``, ``step``,
    ``value`` (float32 widened to float64), ``tag_id`` and ``tags`` (the distinct tag texts).
    """
    import numpy as np

    b = np.frombuffer(buf, dtype=np.uint8)
    d, n = offsets, lengths
    if len(d) == 0:  # no complete record (the windows below need a few bytes of file)
        return {"mask": np.zeros(0, dtype=bool), "wall_time": np.zeros(0), "value": np.zeros(0),
                "step": np.zeros(0, dtype=np.int64), "tag_id": np.zeros(0, dtype=np.int64),
                "tags": []}
    ok = (n >= 20) & (d + _TAIL <= len(b)) & (b[np.minimum(d, len(b) - 1)] == 0x09)
    has_step = _gather(b, d + 9, 1)[:, 0] == 0x10
    raw = _gather(b, d + 10, 10)
    ends = raw < 0x80
    step_len = np.argmax(ends, axis=1) + 1
    ok &= ends.any(axis=1) & (step_len < 10)
    step = np.zeros(len(d), dtype=np.int64)
    for i in range(9):  # column by column: no (n, 10) int64 temporaries
        part = (raw[:, i] & 0x7F).astype(np.int64) << (7 * i)
        step |= np.where(i < step_len, part, 0)
    step = np.where(has_step, step, 0)
    p = np.where(has_step, d + 10 + step_len, d + 9)
    head = _gather(b, p, 6)  # 2a S 0a V 0a T
    ok &= (head[:, 0] == 0x2A) & (head[:, 2] == 0x0A) & (head[:, 4] == 0x0A)
    tag_len = head[:, 5].astype(np.int64)
    summary_len, value_len = head[:, 1].astype(np.int64), head[:, 3].astype(np.int64)
    ok &= (summary_len < 0x80) & (value_len < 0x80) & (tag_len < 0x80)
    ok &= (value_len == tag_len + 7) & (summary_len == value_len + 2)
    value_at = p + 6 + tag_len
    ok &= _gather(b, value_at, 1)[:, 0] == 0x15
    ok &= value_at + 5 == d + n
    sel = np.flatnonzero(ok)
    wall = _gather(b, d[sel] + 1, 8).copy().view("<f8")[:, 0]
    value = _gather(b, value_at[sel] + 1, 4).copy().view("<f4")[:, 0].astype(np.float64)
    tags, tag_id = _tag_ids(b, p[sel] + 6, tag_len[sel])
    return {"mask": ok, "wall_time": wall, "step": step[sel], "value": value,
            "tag_id": tag_id, "tags": tags}


def _tag_ids(b: Any, starts: Any, lengths: Any) -> tuple[list[str], Any]:
    import numpy as np

    if len(starts) == 0:
        return [], np.zeros(0, dtype=np.int64)
    width = int(lengths.max()) + 1
    block = _gather(b, starts, width)
    block[np.arange(width) >= lengths[:, None]] = 0
    block[:, -1] = lengths  # the length joins the key, so trailing NULs cannot collide
    keys = np.ascontiguousarray(block).view(f"V{width}")[:, 0]
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    tags = [bytes(block[i, :lengths[i]]).decode("utf-8", errors="replace") for i in first]
    return tags, inverse.reshape(-1)
