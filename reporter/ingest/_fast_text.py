"""A text log read in large byte chunks, the plain lines in bulk (issue 7, item 7).

The line-by-line reader (``text_log._Parser`` over ``_lines.fragments``) costs a few
microseconds a line; a dense log holds 20,000 lines a megabyte. This module feeds it only
the lines that can change what it reads and handles the rest at C speed:

- nanoGPT optimizer-step lines ``iter N: loss X, time …`` with no ``:``/``=`` after the loss
  (so no ``lr=`` pair) are found by one bytes regex per chunk and their numbers converted
  together (``float`` over the joined tokens, straight into numpy arrays);
- a line is *neutral* when it holds none of the words the parser reacts to (``epoch``,
  ``step``, ``iter`` in any case, ``{``, the fatal-line words of ``_fatal``, ANSI escapes,
  backspaces) and, while the parser still collects lines that may be console-table rows
  before a header, does not start like one: the parser would read nothing from it, so it is
  skipped;
- every other line goes to the parser with its line number, in file order, as before.

The lines before the first point (the probe that decides between built-in shapes and mined
templates), the lines read while the parser is inside a traceback, a Keras epoch or a
console table, and the file's last line are read line by line. A run of bulk lines whose
step goes back (a new segment) or whose numbers ``float`` cannot read is read line by line
too, so both paths give the same points, notes and line numbers. Files read with mined
templates (``_templates``) and ``--pattern`` are read line by line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Final, Protocol

import numpy as np

from reporter.ingest._lines import fragments

__all__ = ["CHUNK_BYTES", "PROBE_STEP", "feed"]

CHUNK_BYTES = 1 << 22  # (not Final: the tests set small values to cross chunk edges)
PROBE_STEP = 256  # lines read one by one at a time until the parser has read a point
_NUM: Final = (rb"[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?"
               rb"|(?i:nan|infinity|inf)(?![A-Za-z]))")
# a nanoGPT step line's head, led by the newline before it: ``N: loss X``. Where ``float``
# reads the loss token, it is what the parser's regex reads (the same number grammar); where
# it does not, the lines are read by the parser. The rest of the line must hold no ``:``/``=``
# (no ``lr=`` pair) and no ``\r``.
_ITER: Final = re.compile(rb"\niter (\d+: loss (?:[-+.0-9eE]+|[-+]?(?i:nan|inf(?:inity)?)"
                          rb"(?![A-Za-z])))")
_HEAD: Final = np.frombuffer(b"iter ", np.uint8)
_MARK: Final = b"\n\x00"  # what replaces a bulk line's head in the chunk's remainder
# every byte but these is deleted to find the bulk lines whose rest holds ``:``, ``=``, ``\r``
_OTHER_BYTES: Final = bytes(b for b in range(256) if b not in b"\n\x00:=\r")
# words (in a lower-cased chunk) that make a line worth the parser's attention; the last
# ones are UTF-8 letters that match ``s``/``i``/``k`` in the parser's case-insensitive regexes
_WORDS: Final = (b"epoch", b"step", b"traceback (most", b"emory", b"nccl", b"verflow",
                 b"dataloader w")
_RARE: Final = (b"{", b"\x1b", b"\x08", b"\xc4\xb0", b"\xc4\xb1", b"\xc5\xbf", b"\xe2\x84\xaa")
# every byte but the first of a ``_RARE`` word is deleted to skip them all in one pass
_NOT_RARE: Final = bytes(b for b in range(256) if b not in b"{\x1b\x08\xc4\xc5\xe2")
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


def _offsets(data: bytes, word: bytes) -> Any:
    """The offset of every occurrence of ``word`` in ``data`` (split: no Python loop)."""
    pieces = data.split(word)
    if len(pieces) == 1:
        return np.zeros(0, dtype=np.int64)
    lengths = np.fromiter(map(len, pieces), np.int64, len(pieces))[:-1] + len(word)
    return np.cumsum(lengths) - len(word)


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
        self.heads = self.starts  # the line heads of the buffer searched (``_line_of``)

    def read(self) -> None:
        if not self.parser.bulk_ready() or b"\x00" in self.chunk:
            self._slow_lines(0, len(self.starts) - 1)
            return
        rows = _ITER.findall(self.chunk)
        lowered = self.chunk.lower()
        if lowered.count(b"iter") == len(rows):  # every 'iter' heads a bulk row
            buffer, marks = self.chunk, self._iter_lines()
        else:  # the bulk rows blanked out, to find the other lines that hold 'iter'
            buffer = _ITER.sub(_MARK, self.chunk) if rows else self.chunk
            lowered = buffer.lower()
            self.heads = np.flatnonzero(np.frombuffer(buffer, np.uint8) == 10)
            marks = self._line_of(np.flatnonzero(np.frombuffer(buffer, np.uint8) == 0), buffer)
        wanted = sorted(self._wanted(buffer, lowered, marks) | self._with_pairs(buffer, marks))
        done = 0  # lines before this one are read
        taken = 0  # bulk rows before this one are read
        for line in [*wanted, len(self.starts) - 1]:
            upto = int(np.searchsorted(marks, line))  # bulk rows before the line
            if not self._bulk(rows[taken:upto], line):
                self._slow_lines(done, line)
            taken = upto + (1 if upto < len(marks) and marks[upto] == line else 0)
            if line < len(self.starts) - 1:
                self._slow_lines(line, line + 1)
            done = line + 1
            if not self.parser.bulk_ready():
                self._slow_lines(done, len(self.starts) - 1)
                return

    def _iter_lines(self) -> Any:
        """The index of each line that starts with ``iter ``."""
        data = np.frombuffer(self.chunk, np.uint8)
        heads = self.starts[:-1] + 1
        found = np.ones(len(heads), dtype=bool)
        for offset, byte in enumerate(_HEAD):
            found &= data[np.minimum(heads + offset, len(data) - 1)] == byte
        return np.flatnonzero(found)

    def _with_pairs(self, buffer: bytes, marks: Any) -> set[int]:
        """The bulk rows whose line goes on with ``:``, ``=`` or ``\r`` (the parser reads
        them: an ``lr=`` pair, a progress bar)."""
        kept = np.frombuffer(buffer.translate(None, _OTHER_BYTES), np.uint8)
        heads = np.flatnonzero(kept == 10)[marks]
        bad = kept[heads + 2] != 10  # a row keeps its ':' after the step, or the blank mark
        if buffer is self.chunk:
            bad |= kept[heads + 1] != ord(":")
        return {int(i) for i in marks[bad]}

    def _line_of(self, positions: Any, buffer: bytes) -> Any:
        """The 0-based line index of each offset in ``buffer`` (the chunk or its copy with
        the bulk rows blanked out: the same lines)."""
        return np.searchsorted(self.heads, positions, side="right") - 1

    def _wanted(self, buffer: bytes, lowered: bytes, marks: Any) -> set[int]:
        """The lines the parser must see (see the module docstring)."""
        leads = buffer.translate(None, _NOT_RARE)  # the lead bytes of the rare words present
        rare = [word for word in _RARE if word[:1] in leads] if leads else []
        hits = [_offsets(lowered, word) for word in (*_WORDS, *rare)]
        wanted = {int(i) for i in np.unique(self._line_of(np.concatenate(hits), buffer))}
        if self.parser.orphans_open():
            data = np.frombuffer(buffer, np.uint8)
            wanted.update(int(i) for i in np.flatnonzero(_ORPHAN_START[data[self.heads[:-1] + 1]]))
            if b"\r" in buffer:
                states = np.flatnonzero(data == 13)
                wanted.update(int(i) for i in self._line_of(
                    states[_ORPHAN_START[data[states + 1]]], buffer))
        if self.last:
            wanted |= self._tail()
        return {i for i in wanted if 0 <= i < len(self.starts) - 1}

    def _tail(self) -> set[int]:
        """The file's last lines, up to the last one the parser would see (its state at the
        end, e.g. the fatal-line count, is set by that line)."""
        tail: set[int] = set()
        for index in range(len(self.starts) - 2, -1, -1):
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

    def _bulk(self, rows: list[bytes], stop: int) -> bool:
        """Bulk rows before line ``stop``; False: read those lines line by line instead."""
        if not rows:
            return True
        tokens = b" ".join(rows).replace(b": loss ", b" ").split()  # step, loss, step, ...
        try:
            numbers = np.fromiter(map(float, tokens), np.float64, len(tokens))
        except ValueError:
            return False
        if not self.parser.bulk_iter(numbers[0::2], numbers[1::2]):
            return False
        self.parser.number = self.first + stop - 1
        return True
