"""Decode a W&B transaction log ``run-<id>.wandb`` without the wandb package (formats.md §7).

Layout: a 7-byte header (``:W&B``, uint16 magic 0xBEE1, uint8 version 0), then LevelDB-log
style 32 KiB blocks of chunks ``uint32 crc | uint16 length | uint8 type | payload`` (type 1
FULL, 2 FIRST, 3 MIDDLE, 4 LAST; the crc is zlib CRC-32 of the type byte and the payload;
block tails shorter than a chunk header are zero-filled). Each record is a protobuf
``wandb.internal.Record``: field 2 ``history`` = ``HistoryRecord{1 repeated HistoryItem{1 key,
2 repeated nested_key, 16 value_json}, 2 step{1 num}}``.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from reporter.errors import LogFormatError
from reporter.ingest._protobuf import LENGTH, VARINT, WireError, fields

HEADER = b":W&B\xe1\xbe\x00"
BLOCK = 32768
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4
_CHUNK = struct.Struct("<IHB")


def records(buf: bytes, notes: list[str], name: str) -> Iterator[bytes]:
    if not buf.startswith(HEADER[:4]):
        raise LogFormatError(name, "not a W&B transaction log (no :W&B header)")
    pos, size, pending = len(HEADER), len(buf), bytearray()
    count = 0
    while pos + _CHUNK.size <= size:
        left = BLOCK - pos % BLOCK
        if left < _CHUNK.size:
            pos += left
            continue
        crc, length, kind = _CHUNK.unpack_from(buf, pos)
        if crc == 0 and length == 0 and kind == 0:
            pos += left  # zero-filled block tail
            continue
        start = pos + _CHUNK.size
        payload = buf[start:start + length]
        if start + length > size:
            notes.append(f"{name}: the last record is cut short at byte {pos}; read {count} "
                         "records")
            return
        if zlib.crc32(bytes([kind]) + payload) & 0xFFFFFFFF != crc:
            notes.append(f"{name}: record {count} (byte {pos}) fails its checksum; read the "
                         f"{count} records before it")
            return
        pos = start + length
        if kind == FULL:
            count += 1
            yield payload
        elif kind == FIRST:
            pending = bytearray(payload)
        elif kind in (MIDDLE, LAST):
            pending += payload
            if kind == LAST:
                count += 1
                yield bytes(pending)


def history_rows(record: bytes) -> dict[str, Any] | None:
    """The history row in a Record, as ``{key: value}`` (``_step`` included), or None."""
    for number, wire, value in fields(record):
        if number == 2 and wire == LENGTH:
            return _history(value)
    return None


def _history(buf: bytes) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for number, wire, value in fields(buf):
        if number == 1 and wire == LENGTH:
            key, nested, raw = "", [], None
            for inner, inner_wire, item in fields(value):
                if inner == 1 and inner_wire == LENGTH:
                    key = item.decode("utf-8", errors="replace")
                elif inner == 2 and inner_wire == LENGTH:
                    nested.append(item.decode("utf-8", errors="replace"))
                elif inner == 16 and inner_wire == LENGTH:
                    raw = item.decode("utf-8", errors="replace")
            name = "/".join(nested) if nested else key
            if raw is not None:
                try:
                    row[name] = json.loads(raw)
                except (ValueError, RecursionError):  # also 4300+ digit numbers, deep nesting
                    continue
        elif number == 2 and wire == LENGTH:
            step = next((v for n, w, v in fields(value) if n == 1 and w == VARINT), 0)
            row.setdefault("_step", step)
    return row


def read_history(path: Path, notes: list[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(record number, history row) for every history record of the log."""
    data = Path(path).read_bytes()
    for index, record in enumerate(records(data, notes, str(path))):
        try:
            row = history_rows(record)
        except WireError as err:
            notes.append(f"{Path(path).name}: record {index} does not decode ({err}); "
                         "read the records before it")
            return
        if row:
            yield index, row
