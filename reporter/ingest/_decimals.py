"""Numbers of many log lines at once, in numpy columns (issue 7, item 7).

``float`` costs about 0.2 µs a token, and a dense log holds 20,000 numbers a megabyte. Here a
*block* is a 2-D ``uint8`` array with one row per line, the number starting in column 0, and
the work is done a column at a time over all the rows that share a shape (digit count, point
position), so a chunk of 80,000 lines costs a handful of numpy operations per shape.

A token ``[-+]?\\d*\\.?\\d*`` with 1 to 15 digits is ``n / 10**k`` (``n`` its digits read as
an integer, ``k`` the digits after the point): both are exact doubles, so the quotient is the
correctly rounded double of the decimal, the one ``float`` returns (Clinger's fast path).
Other tokens (an exponent, ``nan``, more digits) are not read here: their row is flagged so
the caller reads it another way.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np

__all__ = ["MAX_DIGITS", "decimals", "integers", "kinds"]

MAX_DIGITS: Final = 15  # 10**15 < 2**53: every such integer is an exact double
_POINT, _MINUS = ord("."), ord("-")


def kinds(keys: Any) -> list[int]:
    """The distinct values of an array of small non-negative integers, ascending."""
    return np.flatnonzero(np.bincount(keys)).tolist() if len(keys) else []


def _token_bytes(block: Any) -> Any:
    """Where ``block`` holds a byte of ``[-+.0-9eE]`` (a few byte-wide operations: faster
    than a table lookup)."""
    near = (block - ord("+")) < ord("9") - ord("+") + 1  # + , - . / 0-9
    near &= (block != ord(",")) & (block != ord("/"))
    return near | ((block | 0x20) == ord("e"))


def integers(block: Any) -> Any:
    """The integer each row's digits spell (every byte of ``block`` a digit), as float64."""
    total = np.zeros(len(block), dtype=np.int64)
    for column in range(block.shape[1]):
        total = total * 10 + (block[:, column] - 48)
    return total.astype(np.float64)


def decimals(block: Any) -> tuple[Any, Any]:
    """``(ok, values)``: the number each row of ``block`` starts with, where ``ok``.

    The token is the longest run of ``[-+.0-9eE]`` bytes at the row's start; ``ok`` is
    False where it is not a plain decimal of 1 to ``MAX_DIGITS`` digits or does not end
    inside the block.
    """
    block = np.ascontiguousarray(block)  # byte-wide operations run faster on it
    rows = np.arange(len(block))
    inside = _token_bytes(block)
    end = inside.argmin(axis=1)
    closed = ~inside[rows, end]  # a byte after the token is in the block
    signed = (block[:, 0] == _MINUS) | (block[:, 0] == ord("+"))
    point = (block == _POINT).argmax(axis=1)
    point = np.where((block[rows, point] == _POINT) & (point < end), point, end)
    shape = (end * 2 + signed) * (block.shape[1] + 1) + point
    ok = np.zeros(len(block), dtype=bool)
    values = np.zeros(len(block), dtype=np.float64)
    keys = kinds(shape[closed])
    for key in keys:
        rest, at = divmod(key, block.shape[1] + 1)
        stop, sign = divmod(rest, 2)
        columns = [c for c in range(sign, stop) if c != at]
        if not 1 <= len(columns) <= MAX_DIGITS:
            continue
        every = len(keys) == 1 and bool(closed.all())
        chosen = slice(None) if every else np.flatnonzero(closed & (shape == key))
        digits = block[chosen][:, columns]
        good = ((digits - 48) < 10).all(axis=1)
        value = integers(digits) / 10.0 ** max(stop - at - 1, 0)
        if sign:
            value = np.where(block[chosen, 0] == _MINUS, -value, value)
        ok[chosen] = good
        values[chosen] = value
    return ok, values
