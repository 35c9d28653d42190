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
    the lengths of a whole stretch are verified at once (strided views), the same check the
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
    """Records from ``pos`` on that follow ``pattern``; returns the new position.

    The length field of pattern slot j sits every ``stride`` bytes: it is read as a strided
    uint64 view of the buffer (no copy), and the first record whose length breaks the
    pattern ends the stretch."""
    import numpy as np

    sizes = pattern + 16
    stride = int(sizes.sum())
    period = len(pattern)
    cycles = (size - pos) // stride
    within = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    count = cycles * period
    for j, length in enumerate(pattern.tolist()):
        if cycles == 0:
            break
        found = np.ndarray((cycles,), dtype="<u8", buffer=b, offset=pos + int(within[j]),
                           strides=(stride,))
        same = found == length
        if not same.all():
            count = min(count, int(np.argmin(same)) * period + j)
    whole = -(-count // period)
    heads = (pos + np.arange(whole, dtype=np.int64)[:, None] * stride + within).ravel()[:count]
    new_pos = pos + (count // period) * stride + int(within[count % period])
    return new_pos, heads + 12, np.tile(pattern, whole)[:count]


def _crc_ok(buf: Any, pos: int, length: int, crc) -> bool:
    (head_crc,) = struct.unpack_from("<I", buf, pos + 8)
    if masked_crc(bytes(buf[pos:pos + 8]), crc) != head_crc:
        return False
    start = pos + 12
    (data_crc,) = struct.unpack_from("<I", buf, start + length)
    return masked_crc(bytes(buf[start:start + length]), crc) == data_crc


def decode_simple(buf: Any, offsets: Any, lengths: Any) -> dict[str, Any]:
    """Vectorised decode of the ``tag + simple_value`` layout.

    Returns ``mask`` (records decoded here), and for those records ``wall_time``, ``step``,
    ``value`` (float32 widened to float64), ``tag_id`` and ``tags`` (the distinct tag texts).

    Records are grouped by length: the bytes of a group's records are copied into one
    (records, length) matrix, and since the step varint's length fixes where every later
    field starts, each field is a column range of the matrix.
    """
    import numpy as np

    count = len(offsets)
    ok = np.zeros(count, dtype=bool)
    cols = {"wall_time": np.zeros(count), "value": np.zeros(count),
            "step": np.zeros(count, dtype=np.int64), "tag_id": np.zeros(count, dtype=np.int64)}
    tags: dict[str, int] = {}
    short = np.flatnonzero((lengths >= _MIN_SIMPLE) & (lengths <= _MAX_SIMPLE))
    by_length = short[np.argsort(lengths[short].astype(np.uint8), kind="stable")]
    sizes = np.bincount(lengths[short], minlength=_MAX_SIMPLE + 1)
    first = 0
    for length in np.flatnonzero(sizes).tolist():
        index = by_length[first:first + sizes[length]]
        first += sizes[length]
        _decode_group(_rows(buf, offsets[index], length), index, ok, cols, tags)
    sel = np.flatnonzero(ok)
    if len(sel) and sel[-1] - sel[0] + 1 == len(sel):  # mostly all but the file_version
        sel = slice(int(sel[0]), int(sel[-1]) + 1)
    return {"mask": ok, **{k: v[sel] for k, v in cols.items()}, "tags": list(tags)}


_MIN_SIMPLE = 20  # 09 wall(8) 2a S 0a V 0a T tag 15 f32(4), no step, empty tag
_MAX_SIMPLE = 20 + 10 + 118  # a 9-byte step varint (with its key) and a 118-byte tag
_MAX_STEP_BYTES = 9  # 63 bits: a negative step (10 bytes) goes through the slow path


def _rows(buf: Any, starts: Any, width: int) -> Any:
    """``width`` bytes from each start, as an (n, width) uint8 matrix (one copy per record)."""
    import numpy as np

    items = np.ndarray(shape=(len(buf) - width + 1,), dtype=f"V{width}", buffer=buf,
                       strides=(1,))
    return items[starts].view(np.uint8).reshape(len(starts), width)


def _decode_group(rows: Any, index: Any, ok: Any, cols: dict[str, Any],
                  tags: dict[str, int]) -> None:
    """Decode the records ``index`` (all of one length, their bytes ``rows``) into ``cols``.

    Layout: ``09 wall:f64 [10 step:varint] 2a S 0a V 0a T tag 15 value:f32`` with
    ``V = T + 7`` and ``S = V + 2`` (one-byte lengths); ``p`` is where ``2a`` sits.
    """
    import numpy as np

    width = rows.shape[1]
    good = rows[:, 0] == 0x09
    has_step = rows[:, 9] == 0x10
    p = np.where(has_step, 0, 9)  # 0: a step varint longer than the record allows
    open_ = has_step  # a step varint not ended yet
    for at in range(11, 11 + min(_MAX_STEP_BYTES, width - _MIN_SIMPLE - 1)):
        if not open_.any():
            break
        ends = open_ & (rows[:, at - 1] < 0x80)  # its last byte is the one before 2a
        p[ends] = at
        open_ = open_ & ~ends
    layouts = np.bincount(p[good & (p > 0)], minlength=1)
    for at in np.flatnonzero(layouts).tolist():
        if layouts[at] == len(rows):  # mostly one layout per length
            sub, member = rows, np.arange(len(rows))
        else:
            member = np.flatnonzero(good & (p == at))
            sub = rows[member]
        tag_len = width - at - 11
        fits = ((sub[:, at] == 0x2A) & (sub[:, at + 1] == tag_len + 9)
                & (sub[:, at + 2] == 0x0A) & (sub[:, at + 3] == tag_len + 7)
                & (sub[:, at + 4] == 0x0A) & (sub[:, at + 5] == tag_len)
                & (sub[:, width - 5] == 0x15))
        if not fits.all():
            sub, member = sub[fits], member[fits]
        member = index[member]
        step = np.zeros(len(sub), dtype=np.int64)
        for i in range(at - 10):  # the varint's bytes, least significant first
            step |= (sub[:, 10 + i] & 0x7F).astype(np.int64) << (7 * i)
        ok[member] = True
        cols["step"][member] = step
        cols["wall_time"][member] = sub[:, 1:9].view("<f8")[:, 0]  # unaligned, read in place
        cols["value"][member] = sub[:, width - 4:].view("<f4")[:, 0]
        cols["tag_id"][member] = _tag_ids(sub[:, at + 6:at + 6 + tag_len], tags)


_PEELED = 16  # distinct tags of one record length found by comparison before sorting


def _tag_ids(block: Any, tags: dict[str, int]) -> Any:
    """The id of each row's tag (the rows of ``block`` are its bytes), new tags added to
    ``tags`` (text -> id) in order of first appearance."""
    import numpy as np

    rows, width = block.shape
    if width == 0:
        return np.full(rows, _tag_id(b"", tags), dtype=np.int64)
    keys = np.ascontiguousarray(block).view(f"V{width}")[:, 0]  # compared as whole items
    ids = np.empty(rows, dtype=np.int64)
    left = np.arange(rows)
    for _ in range(_PEELED):
        if not len(left):
            return ids
        rest = keys if len(left) == rows else keys[left]
        same = rest == rest[0]
        ids[left[same]] = _tag_id(bytes(block[left[0]]), tags)
        left = left[~same]
    if len(left):  # many tags of one length: sort the rest
        _, first, inverse = np.unique(keys[left], return_index=True, return_inverse=True)
        found = np.array([_tag_id(bytes(block[left[i]]), tags) for i in first])
        ids[left] = found[inverse.reshape(-1)]
    return ids


def _tag_id(raw: bytes, tags: dict[str, int]) -> int:
    return tags.setdefault(raw.decode("utf-8", errors="replace"), len(tags))
