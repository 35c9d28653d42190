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


def masked_crc(data: bytes, crc=None) -> int:
    crc = (crc or _crc_function())(data)
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + _MASK_DELTA) & 0xFFFFFFFF


def frame(buf: Any, notes: list[str], name: str, *, verify: bool = True) -> tuple[Any, Any]:
    """Offsets and lengths (numpy int64 arrays) of the data of every complete record."""
    import numpy as np

    crc = _crc_function() if verify else None
    offsets: list[int] = []
    lengths: list[int] = []
    size, pos = len(buf), 0
    unpack = _LENGTH.unpack_from
    while pos + 12 <= size:
        (length,) = unpack(buf, pos)
        end = pos + 12 + length + 4
        if end > size:
            break
        if crc is not None and not _crc_ok(buf, pos, length, crc):
            notes.append(f"{name}: record {len(offsets)} (byte {pos}) fails its checksum; "
                         f"read the {len(offsets)} records before it")
            pos = size
            break
        offsets.append(pos + 12)
        lengths.append(length)
        pos = end
    if pos < size:
        notes.append(f"{name}: the last record is cut short at byte {pos} of {size} (a writer "
                     f"still running or stopped mid-write); read {len(offsets)} records")
    return np.asarray(offsets, dtype=np.int64), np.asarray(lengths, dtype=np.int64)


def _crc_ok(buf: Any, pos: int, length: int, crc) -> bool:
    (head_crc,) = struct.unpack_from("<I", buf, pos + 8)
    if masked_crc(bytes(buf[pos:pos + 8]), crc) != head_crc:
        return False
    start = pos + 12
    (data_crc,) = struct.unpack_from("<I", buf, start + length)
    return masked_crc(bytes(buf[start:start + length]), crc) == data_crc


def _gather(b: Any, starts: Any, width: int) -> Any:
    """``width`` bytes from each start (clipped to the buffer), as an (n, width) array."""
    import numpy as np

    index = starts[:, None] + np.arange(width)
    return b[np.minimum(index, len(b) - 1)]


def decode_simple(buf: Any, offsets: Any, lengths: Any) -> dict[str, Any]:
    """Vectorised decode of the ``tag + simple_value`` layout.

    Returns ``mask`` (records decoded here), and for those records ``wall_time``, ``step``,
    ``value`` (float32 widened to float64), ``tag_id`` and ``tags`` (the distinct tag texts).
    """
    import numpy as np

    b = np.frombuffer(buf, dtype=np.uint8)
    d, n = offsets, lengths
    ok = (n >= 20) & (b[np.minimum(d, len(b) - 1)] == 0x09)
    has_step = _gather(b, d + 9, 1)[:, 0] == 0x10
    raw = _gather(b, d + 10, 10)
    ends = raw < 0x80
    step_len = np.argmax(ends, axis=1) + 1
    ok &= ends.any(axis=1) & (step_len < 10)
    shifts = (7 * np.arange(10)).astype(np.uint64)
    used = np.arange(10) < step_len[:, None]
    step = ((raw & 0x7F).astype(np.uint64) << shifts)
    step = np.where(used, step, 0).sum(axis=1).astype(np.int64)
    step = np.where(has_step, step, 0)
    p = np.where(has_step, d + 10 + step_len, d + 9)
    head = _gather(b, p, 6).astype(np.int64)  # 2a S 0a V 0a T
    ok &= (head[:, 0] == 0x2A) & (head[:, 2] == 0x0A) & (head[:, 4] == 0x0A)
    tag_len = head[:, 5]
    ok &= (head[:, 1] < 0x80) & (head[:, 3] < 0x80) & (tag_len < 0x80)
    ok &= (head[:, 3] == tag_len + 7) & (head[:, 1] == head[:, 3] + 2)
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
