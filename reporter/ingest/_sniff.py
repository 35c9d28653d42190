"""Cheap looks at a file for detection: never more than a few KB."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from reporter.errors import LogFormatError

SNIFF_BYTES = 4096
_LONG_NUMBER = re.compile(r"\d{4301}")


def head(path: Path, size: int = SNIFF_BYTES) -> bytes:
    """The first ``size`` bytes of a file (empty for a folder or an unreadable file)."""
    try:
        with open(path, "rb") as handle:
            return handle.read(size)
    except OSError:
        return b""


def head_text(path: Path, size: int = SNIFF_BYTES) -> str:
    """The first bytes as text, BOM removed, undecodable bytes replaced."""
    return head(path, size).decode("utf-8", errors="replace").lstrip("\ufeff")


def first_line(path: Path) -> str:
    return head_text(path).splitlines()[0] if head_text(path).strip() else ""


def suffix(path: Path) -> str:
    return Path(path).suffix.lower()


def read_text(path: Path) -> str:
    """The whole file as text; an empty (or blank) file is an error naming it."""
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        raise LogFormatError(path, f"cannot read the file ({err.strerror})") from err
    text = data.decode("utf-8", errors="replace").lstrip("\ufeff")
    if not text.strip():
        raise LogFormatError(path, "empty file")
    return text


def load_json(path: Path) -> Any:
    """Parse one JSON document (bare ``NaN``/``Infinity`` allowed, as Python writes them).

    A document cut short raises ``truncated JSON`` with the line where it stops; any other
    syntax error names its line and column.
    """
    text = read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        if err.pos >= len(text.rstrip()) - 1 and _looks_cut(err.msg):
            raise LogFormatError(
                path, "truncated JSON: the file ends inside a value", line=err.lineno
            ) from err
        raise LogFormatError(
            path, f"invalid JSON: {err.msg} (column {err.colno})", line=err.lineno
        ) from err
    except ValueError as err:  # int() reads at most 4300 digits (sys.get_int_max_str_digits)
        long = _LONG_NUMBER.search(text)
        line = text.count("\n", 0, long.start()) + 1 if long else None
        raise LogFormatError(path, "a number with more than 4300 digits, more than Python "
                                   "reads as an integer", line=line) from err
    except RecursionError as err:
        raise LogFormatError(path, "JSON nested too deeply to read") from err


def _looks_cut(message: str) -> bool:
    return message.startswith(("Expecting", "Unterminated")) or "delimiter" in message
