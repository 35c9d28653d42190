"""A text log read in large byte chunks, the plain lines in bulk (issue 7, item 7).

The line-by-line reader (``text_log._Parser`` over ``_lines.fragments``) costs a few
microseconds a line; a dense log holds 20,000 lines a megabyte. This module feeds it only
the lines that can change what it reads and handles the rest at C speed:

- nanoGPT optimizer-step lines ``iter N: loss X, time …`` with no ``:``/``=`` after the loss
  (so no ``lr=`` pair) are found from the chunk's line heads and their numbers read in numpy
  columns (``_decimals``: the same doubles as ``float``); a line whose loss token is not a
  plain decimal is read by ``float`` (the parser's number grammar where ``float`` reads it),
  else by the parser;
- a line is *neutral* when it holds none of the words the parser reacts to (``epoch``,
  ``step``, ``iter`` in any case, ``{``, the fatal-line words of ``_fatal``, ANSI escapes,
  backspaces) and, while the parser still collects lines that may be console-table rows
  before a header, does not start like one: the parser would read nothing from it, so it is
  skipped. The words are looked for only in the lines holding one of their rarer letters
  (``p``, ``c``, ``y``, ``w`` in any case, ``ITER`` for an upper-case ``iter``, the bytes
  above), found by one ``bytes.translate`` per chunk;
- every other line goes to the parser with its line number, in file order, as before.

The lines before the first point (the probe that decides between built-in shapes and mined
templates), the lines read while the parser is inside a traceback, a Keras epoch or a
console table, and the file's last line are read line by line. A run of bulk lines whose
step goes back (a new segment) is read line by line too, so both paths give the same points,
notes and line numbers. Files read with mined templates are read in bulk by
``_fast_templates``. A ``--pattern`` is read line by line: it is the user's regex, searched
in each line as ``fragments`` gives it, and over a chunk its ``^``, ``$``, ``\\s`` and ``.``
would match otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any, Final, Protocol

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from reporter.ingest._decimals import MAX_DIGITS, decimals, integers, kinds
from reporter.ingest._lines import fragments

__all__ = ["CHUNK_BYTES", "PROBE_STEP", "feed"]

CHUNK_BYTES = 1 << 22  # (not Final: the tests set small values to cross chunk edges)
PROBE_STEP = 256  # lines read one by one at a time until the parser has read a point
# a nanoGPT step line as the parser reads it (where ``float`` reads the loss token, it is
# what the parser's number regex reads); the vectorized path reads the same lines
_ROW: Final = re.compile(rb"iter (\d+): loss ([-+.0-9eE]+|[-+]?(?i:nan|inf(?:inity)?)"
                         rb"(?![A-Za-z]))")
_HEAD: Final = b"iter "
_HEAD_BYTES: Final = int.from_bytes(_HEAD, "little")  # the head as the low bytes of an int
_HEAD_MASK: Final = (1 << 8 * len(_HEAD)) - 1
_LOSS: Final = np.frombuffer(b": loss ", np.uint8)
# ``: loss `` and the byte after it, read as one little-endian 8-byte integer
_LOSS_BYTES: Final = int.from_bytes(b": loss \x00", "little")
_LOSS_MASK: Final = (1 << 56) - 1
_TOKEN_WIDTH: Final = MAX_DIGITS + 4  # a sign, digits, a point and the byte after them
_WIDTH: Final = MAX_DIGITS + 1 + len(_LOSS) + _TOKEN_WIDTH  # the bytes after ``iter ``
# words (in a lower-cased line) that make a line worth the parser's attention; the last
# ones are UTF-8 letters that match ``s``/``i``/``k`` in the parser's case-insensitive regexes
_WORDS: Final = (b"epoch", b"step", b"traceback (most", b"emory", b"nccl", b"verflow",
                 b"dataloader w", b"{", b"\x1b", b"\x08", b"\xc4\xb0", b"\xc4\xb1", b"\xc5\xbf",
                 b"\xe2\x84\xaa")
# one byte of each word above, and the upper-case letters of ``iter``: a line with none of
# them holds none of the words, nor ``iter`` in another case than the lower one
_LETTERS: Final = b"pPcCyYwW{\x1b\x08\xc4\xc5\xe2ITER"
_IS_LETTER: Final = np.zeros(256, dtype=bool)
_IS_LETTER[list(_LETTERS)] = True
# every byte but these is deleted: the letters, and what finds the bulk lines whose rest
# holds ``:``, ``=`` or ``\r``
_NOT_KEPT: Final = bytes(b for b in range(256) if b not in b"\n:=\r" + _LETTERS)
_LOWER: Final = bytes.maketrans(bytes(range(65, 91)), bytes(range(97, 123)))
# the first byte of a line (or of a ``\r`` state) that may become a console-table row before
# a header: a digit or another non-letter, ``Class``/``all``, or a letter a capture prefix
# starts with
_ORPHAN_START: Final = np.array([not (chr(b).isascii() and chr(b).isalpha()) or chr(b)
                                 in "rDIWETClta" for b in range(256)])
_ORPHAN_START[[0, 10]] = False


class Parser(Protocol):
    """What ``feed`` needs of ``text_log._Parser``."""

    number: int
    table: Any

    def line(self, text: str, number: int) -> None: ...
    def bulk_ready(self) -> bool: ...
    def orphans_open(self) -> bool: ...
    def bulk_iter(self, steps: Any, values: Any) -> bool: ...


def feed(handle: Any, parser: Parser, *, probe_lines: int | None, ranks: bool = False) -> bool:
    """Read the binary ``handle`` into ``parser``; False when the probe gave up (no point in
    the first ``probe_lines`` lines)."""
    first = 1  # the number of the chunk's first line
    for chunk, last in _chunks(handle):
        data = chunk if chunk.endswith(b"\n") else chunk + b"\n"
        at = 0
        while probe_lines is not None and not len(parser.table) and at < len(data):
            cut = _offset_of_line(data, at, PROBE_STEP)  # line by line until a point
            if not _slow(parser, data[at:cut], first + data.count(b"\n", 0, at), probe_lines,
                         ranks):
                return False
            at = cut
        if at < len(data):
            _Chunk(parser, data[at:], first + data.count(b"\n", 0, at), last, ranks).read()
        first += data.count(b"\n")
    return True


def _chunks(handle: Any) -> Iterator[tuple[bytes, bool]]:
    """Blocks of about ``CHUNK_BYTES`` of whole lines, True with the last one (which holds
    the file's last line, with or without its newline)."""
    carry, pending = b"", None
    while block := handle.read(CHUNK_BYTES):
        block = carry + block
        cut = block.rfind(b"\n") + 1
        carry = block[cut:]
        if cut:  # else one long line: keep reading
            if pending is not None:
                yield pending, False
            pending = block[:cut]
    pending = carry if pending is None else pending + carry
    if pending:
        yield pending, True


def _offset_of_line(data: bytes, at: int, lines: int) -> int:
    """The offset ``lines`` lines after ``at`` in ``data`` (its length if fewer)."""
    for _ in range(lines):
        at = data.find(b"\n", at) + 1
        if not at:
            return len(data)
    return at


def _slow(parser: Parser, data: bytes, first: int, probe_lines: int | None,
          ranks: bool) -> bool:
    """``data``'s lines through the parser; False when the probe gives up."""
    lines = data.decode("utf-8", "replace").split("\n")[:-1]
    for number, text in fragments(lines, start=first, ranks=ranks):
        parser.number = number
        parser.line(text, number)
        if probe_lines is not None and number >= probe_lines and not len(parser.table):
            return False
    return True


def _offsets(text: bytes, word: bytes) -> Any:
    """The offset of each occurrence of ``word`` in ``text``."""
    if word not in text:
        return np.zeros(0, dtype=np.int64)
    return np.asarray([m.start() for m in re.finditer(re.escape(word), text)], dtype=np.int64)


def _outside(lines: Any, heads: Any) -> set[int]:
    """The ``lines`` (an array) that are not in the sorted array ``heads``."""
    if not len(heads):
        return set(lines.tolist())
    at = np.minimum(np.searchsorted(heads, lines), len(heads) - 1)
    return set(lines[heads[at] != lines].tolist())


def _runs(lines: list[int]) -> Iterator[tuple[int, int]]:
    """``[start, stop)`` of each run of consecutive numbers in the sorted ``lines``."""
    start = None
    for a, b in zip(lines, [*lines[1:], None], strict=False):
        start = a if start is None else start
        if b != a + 1:
            yield start, a + 1
            start = None


class _Chunk:
    """One chunk of whole lines: bulk lines, skipped lines and parser lines, in order."""

    def __init__(self, parser: Parser, chunk: bytes, first: int, last: bool,
                 ranks: bool) -> None:
        self.parser = parser
        self.chunk = b"\n" + chunk  # every line led by a newline
        self.first = first
        self.last = last
        self.ranks = ranks
        self.starts = np.flatnonzero(np.frombuffer(self.chunk, np.uint8) == 10)  # line heads
        self.lines = len(self.starts) - 1
        self._lowered: bytes | None = None

    @property
    def lowered(self) -> bytes:
        if self._lowered is None:
            self._lowered = self.chunk.translate(_LOWER)
        return self._lowered

    def read(self) -> None:
        if not self.parser.bulk_ready() or b"\x00" in self.chunk:
            self._slow_lines(0, self.lines)
            return
        heads, unread, rows, steps, values = self._rows()
        wanted = self._wanted(heads, rows) | set(unread.tolist())
        if wanted:
            keep = np.ones(self.lines + 1, dtype=bool)
            keep[list(wanted)] = False
            keep = keep[rows]
            rows, steps, values = rows[keep], steps[keep], values[keep]

        def bulk(first: int, stop: int, done: int, line: int) -> None:
            if not self._bulk(steps[first:stop], values[first:stop], line):
                self._slow_lines(done, line)

        self._in_order(wanted, rows, bulk)

    def _in_order(self, wanted: set[int], rows: Any,
                  bulk: Callable[[int, int, int, int], None]) -> None:
        """Every line in file order: before each run of ``wanted`` lines (which the parser
        reads), ``bulk(first, stop, done, line)`` reads the bulk rows ``first:stop`` of
        ``rows`` (their sorted line indexes), those before ``line``, the lines from ``done``
        read or skipped; once the parser is inside a traceback, a Keras epoch or a table,
        the rest line by line."""
        done = taken = 0  # lines and bulk rows before these are read
        for start, stop in [*_runs(sorted(wanted)), (self.lines, self.lines)]:
            upto = int(np.searchsorted(rows, start))  # bulk rows before the run
            bulk(taken, upto, done, start)
            taken = upto
            self._slow_lines(start, stop)
            done = stop
            if not self.parser.bulk_ready():
                self._slow_lines(done, self.lines)
                return

    def _rows(self) -> tuple[Any, Any, Any, Any, Any]:
        """The lines that start with ``iter ``: all, those whose numbers are not read, and
        the bulk rows with their steps and losses."""
        starts = self.starts[:-1] + 1
        padded = np.frombuffer(self.chunk + b"\n" * (len(_HEAD) + _WIDTH), np.uint8)
        window = sliding_window_view(padded, len(_HEAD) + _WIDTH)[starts]
        lead = np.ascontiguousarray(window[:, :8]).view("<u8")[:, 0] & _HEAD_MASK
        head = lead == _HEAD_BYTES
        ok, steps, values = _iter_numbers(window[:, len(_HEAD):])  # every line: no copy
        ok &= head
        for index in np.flatnonzero(head & ~ok).tolist():  # not plain: ``float`` or parser
            match = _ROW.match(self.chunk, int(starts[index]))
            try:
                steps[index], values[index] = float(match[1]), float(match[2])  # type: ignore[index]
                ok[index] = True
            except (TypeError, ValueError):
                pass
        rows = np.flatnonzero(ok)
        return np.flatnonzero(head), np.flatnonzero(head & ~ok), rows, steps[rows], values[rows]

    def _wanted(self, heads: Any, rows: Any) -> set[int]:
        """The lines the parser must see (see the module docstring)."""
        kept = np.frombuffer(self.chunk.translate(None, _NOT_KEPT), np.uint8)
        letter = _IS_LETTER[kept]
        wanted = self._with_pairs(rows, kept[~letter]) | self._word_lines(kept, letter, heads)
        if self.chunk.count(b"iter") != len(heads):  # 'iter' elsewhere than at a head
            wanted |= _outside(self._line_of(_offsets(self.lowered, b"iter")), heads)
        if self.parser.orphans_open():
            data = np.frombuffer(self.chunk, np.uint8)
            wanted.update(np.flatnonzero(_ORPHAN_START[data[self.starts[:-1] + 1]]).tolist())
            if b"\r" in self.chunk:
                states = np.flatnonzero(data == 13)
                wanted.update(self._line_of(states[_ORPHAN_START[data[states + 1]]]).tolist())
        if self.last:
            wanted |= self._tail()
        return {i for i in wanted if 0 <= i < self.lines}

    def _word_lines(self, kept: Any, letter: Any, heads: Any) -> set[int]:
        """The lines holding one of ``_WORDS``, or ``iter`` but not as a head (any case);
        ``kept`` is the chunk with only newlines, ``_LETTERS`` and a few more bytes. The
        words are looked for in the lines holding a letter, or in the whole chunk when these
        lines make most of it."""
        if not letter.any():
            return set()
        candidates = np.unique(np.cumsum(kept == 10)[letter] - 1)
        if (self.starts[candidates + 1] - self.starts[candidates]).sum() * 2 > len(self.chunk):
            text, line_of = self.lowered, self._line_of
        else:
            pieces = [self._bytes(i, i + 1) for i in candidates.tolist()]
            text = b"".join(pieces).lower()
            ends = np.cumsum([len(piece) for piece in pieces])
            line_of = lambda at: candidates[np.searchsorted(ends, at, side="right")]  # noqa: E731
        found = {i for word in _WORDS for i in line_of(_offsets(text, word)).tolist()}
        return found | _outside(line_of(_offsets(text, b"iter")), heads)

    def _with_pairs(self, rows: Any, kept: Any) -> set[int]:
        """The bulk rows whose line goes on with ``:``, ``=`` or ``\r`` (the parser reads
        them: an ``lr=`` pair, a progress bar); ``kept``: the chunk with only these bytes
        and newlines."""
        if not len(rows):
            return set()
        at = np.flatnonzero(kept == 10)[rows]
        bad = (kept[at + 1] != ord(":")) | (kept[at + 2] != 10)
        return set(rows[bad].tolist())

    def _line_of(self, positions: Any) -> Any:
        """The 0-based line index of each offset in the chunk."""
        return np.searchsorted(self.starts, positions, side="right") - 1

    def _tail(self) -> set[int]:
        """The file's last lines, up to the last one the parser would see (its state at the
        end, e.g. the fatal-line count, is set by that line)."""
        tail: set[int] = set()
        for index in range(self.lines - 1, -1, -1):
            tail.add(index)
            text = self._bytes(index, index + 1).decode("utf-8", "replace")
            if any(True for _ in fragments([text], ranks=self.ranks)):
                break
        return tail

    def _bytes(self, start: int, stop: int) -> bytes:
        return self.chunk[self.starts[start] + 1:self.starts[stop] + 1]

    def _slow_lines(self, start: int, stop: int) -> None:
        if stop > start:
            _slow(self.parser, self._bytes(start, stop), self.first + start, None, self.ranks)

    def _bulk(self, steps: Any, values: Any, stop: int) -> bool:
        """Bulk rows before line ``stop``; False: read those lines line by line instead."""
        if not len(steps):
            return True
        if not self.parser.bulk_iter(steps, values):
            return False
        self.parser.number = self.first + stop - 1
        return True


def _iter_numbers(window: Any) -> tuple[Any, Any, Any]:
    """``(ok, steps, losses)`` of rows ``N: loss X…`` (the bytes after ``iter ``)."""
    digits = (window[:, :MAX_DIGITS + 1] - 48) < 10
    size = digits.argmin(axis=1)  # the step's digits (0: none, or more than MAX_DIGITS)
    ok = np.zeros(len(window), dtype=bool)
    steps = np.zeros(len(window), dtype=np.float64)
    values = np.zeros(len(window), dtype=np.float64)
    widths = kinds(size[size > 0])
    for width in widths:
        chosen = slice(None) if widths == [width] and size.all() else size == width
        block = window[chosen]
        loss = width + len(_LOSS)
        read, values[chosen] = decimals(block[:, loss:loss + _TOKEN_WIDTH])
        head = np.ascontiguousarray(block[:, width:loss + 1]).view("<u8")[:, 0]
        ok[chosen] = read & ((head & _LOSS_MASK) == _LOSS_BYTES)
        steps[chosen] = integers(block[:, :width])
    return ok, steps, values
