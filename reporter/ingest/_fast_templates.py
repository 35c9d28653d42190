"""A text log read with mined line templates, the template lines in bulk (issue 7, item 7).

``text_log`` reads a file whose lines no built-in shape knows with the templates
``_templates.mine`` found in it (mlx-lm ``Iter 75: Train loss 3.316, …``). One line at a time
that costs tens of microseconds (the prefix stripping of ``_lines.fragments``, a regex, a
``float`` and a table row per number). Here each template's ``bulk_regex`` runs over a whole
chunk of bytes and the lines it matches are read in bulk, when the line as printed is the
line the parser would see:

- the line is printable ASCII (no ``\\r`` state, ANSI code, backspace, control or non-ASCII
  byte: ``fragments`` would change it, or ``\\s``/``\\d`` would read it differently), and
  matches from its first byte to its last (no space around it);
- no capture prefix (timestamp, level, rank) starts it, as ``_lines._PREFIX`` reads it;
- no template listed earlier matches it (the parser takes the first that does) and it holds
  none of the words of ``_fatal`` (those lines go to the parser).

Every other line holding a template's first word or a fatal word, and the file's last line,
go to the parser in file order; the rest hold nothing the parser reads and are skipped. A
run of bulk lines whose counter goes back (a new segment) or is out of range is read line by
line, so both paths give the same points, notes and line numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from operator import itemgetter
from typing import Any, Final, Protocol

import numpy as np

from reporter.ingest._decimals import kinds
from reporter.ingest._fast_text import _Chunk, _chunks, _offsets
from reporter.ingest._lines import _PREFIX, fragments
from reporter.ingest._table import AXIS_LIMIT

__all__ = ["TemplateRows", "feed_templates", "numbers_of", "template_rows"]

# every byte but these (printable ASCII, tab) is kept: with the newlines, the lines to read
# one by one
_PLAIN: Final = bytes([9, *range(32, 127)])
# what ``_fatal.FatalLines.see`` looks for in a line before anything else
_FATAL_WORDS: Final = (b"Traceback (most", b"emory", b"NCCL", b"verflow", b"VERFLOW",
                       b"DataLoader w")


@lru_cache(maxsize=8)
def _combined(templates: tuple[Any, ...]) -> tuple[re.Pattern[bytes], list[int]]:
    """One regex for every line of a chunk: the whole lines of ``templates`` (tried in
    order, as the parser does) that no capture prefix starts, or any other line; and the
    index of each template's marker group (the line's first byte when that template
    matched, else empty; its slots' groups follow it). ``findall`` gives one tuple a line,
    in order, and an empty one before the chunk's first newline and after its last."""
    marks, alternatives, group = [], [], 0
    for template in templates:
        marks.append(group)
        alternatives.append(r"(?=([^\n]))" + template.line_pattern + r"(?=\n)")
        group += 1 + len(template.names)
    prefix = _PREFIX.pattern.removeprefix("^")  # every way it matches takes a byte or more
    pattern = "(?m)^(?:(?!" + prefix + ")(?:" + "|".join(alternatives) + r")|[^\n]*)"
    return re.compile(pattern.encode()), marks


class TemplateParser(Protocol):
    """What ``feed_templates`` needs of ``text_log._Parser``."""

    number: int
    table: Any

    def template_line(self, templates: list[Any], text: str, number: int) -> None: ...
    def bulk_ready(self) -> bool: ...
    def bulk_templates(self, templates: list[Any], which: Any, numbers: Any) -> bool: ...


def feed_templates(handle: Any, parser: TemplateParser, templates: list[Any], *,
                   ranks: bool = False) -> None:
    """Read the binary ``handle`` into ``parser`` with ``templates``."""
    first = 1
    for chunk, last in _chunks(handle):
        data = chunk if chunk.endswith(b"\n") else chunk + b"\n"
        _TemplateChunk(parser, data, first, last, ranks, templates).read()
        first += data.count(b"\n")


class _TemplateChunk(_Chunk):
    """One chunk of whole lines: template lines in bulk, the others as ``_Chunk`` does."""

    def __init__(self, parser: Any, chunk: bytes, first: int, last: bool, ranks: bool,
                 templates: list[Any]) -> None:
        super().__init__(parser, chunk, first, last, ranks)
        self.templates = templates

    def read(self) -> None:
        if self.ranks or not self.parser.bulk_ready() or b"\x00" in self.chunk:
            self._slow_lines(0, self.lines)
            return
        matched = self._matched()
        wanted = self._template_wanted(matched)
        rows = np.asarray(sorted(line for line in matched if line not in wanted), np.int64)

        def bulk(first: int, stop: int, done: int, line: int) -> None:
            self._bulk_rows([(i, *matched[i]) for i in rows[first:stop].tolist()], done, line)

        self._in_order(wanted, rows, bulk)

    def _matched(self) -> dict[int, tuple[int, tuple[bytes, ...]]]:
        """Line -> (template index, the numbers' bytes) of the lines a template matches
        whole (the first template in the list that does) with no capture prefix."""
        regex, marks = _combined(tuple(self.templates))
        found = regex.findall(self.chunk)
        if len(found) != self.lines + 2:  # (not expected: then no line is read in bulk)
            return {}
        matched: dict[int, tuple[int, tuple[bytes, ...]]] = {}
        for index, (mark, template) in enumerate(zip(marks, self.templates, strict=True)):
            lines = np.flatnonzero(np.fromiter(map(len, map(itemgetter(mark), found)),
                                               np.int64, len(found)))
            numbers = itemgetter(*range(mark + 1, mark + 1 + len(template.names)))
            for line in lines.tolist():
                row = numbers(found[line])
                matched[line - 1] = (index, row if isinstance(row, tuple) else (row,))
        return matched

    def _template_wanted(self, matched: dict[int, Any]) -> set[int]:
        """The lines the parser must see (see the module docstring)."""
        kept = np.frombuffer(self.chunk.translate(None, _PLAIN), np.uint8)
        newline = kept == 10
        wanted = set(np.unique(np.cumsum(newline)[~newline] - 1).tolist())
        heads = {t.head.encode() for t in self.templates}
        if sum(self.chunk.count(head) for head in heads) != len(matched):
            wanted.update(i for head in heads for i in self._line_of(
                _offsets(self.chunk, head)).tolist() if i not in matched)
        for word in _FATAL_WORDS:
            wanted.update(self._line_of(_offsets(self.chunk, word)).tolist())
        if self.last:
            wanted |= self._tail()
        return {i for i in wanted if 0 <= i < self.lines}

    def _bulk_rows(self, rows: list[tuple[int, int, tuple[bytes, ...]]], done: int,
                   stop: int) -> None:
        """Bulk lines before line ``stop``, all at once; if the parser refuses them, the
        lines from ``done`` to ``stop`` are read one by one."""
        if not rows:
            return
        which = np.fromiter((row[1] for row in rows), np.int64, len(rows))
        if self.parser.bulk_templates(self.templates, which, [row[2] for row in rows]):
            self.parser.number = self.first + rows[-1][0]
        else:
            self._slow_lines(done, stop)

    def _slow_lines(self, start: int, stop: int) -> None:
        if stop <= start:
            return
        lines = self._bytes(start, stop).decode("utf-8", "replace").split("\n")[:-1]
        for number, text in fragments(lines, start=self.first + start, ranks=self.ranks):
            self.parser.number = number
            self.parser.template_line(self.templates, text, number)


def numbers_of(rows: list[tuple[bytes, ...]]) -> Any:
    """The rows' number tokens as a float64 matrix (``float`` reads each, as the parser)."""
    width = len(rows[0])
    flat = np.fromiter(map(float, chain.from_iterable(rows)), np.float64, len(rows) * width)
    return flat.reshape(len(rows), width)


@dataclass
class TemplateRows:
    """The points of many template lines, in line order (``template_rows``)."""

    names: list[str]  # metric names as the templates give them
    metric: Any  # per point, an index into ``names``
    values: Any
    steps: Any  # per point: the line's step, else its epoch
    epochs: Any  # per point, or None when no template has an epoch
    ends: dict[str, tuple[float, float]]  # axis -> its first and last value
    counts: dict[str, int]  # axis -> lines
    used: list[int]  # the templates read
    one_based: bool | None  # what the first epoch says, when it was not known


def template_rows(templates: list[Any], which: Any, numbers: list[tuple[bytes, ...]],
                  one_based: bool | None, skip: frozenset[str] = frozenset()
                  ) -> TemplateRows | None:
    """The points of lines of ``templates`` as ``text_log._Parser.template_line`` adds them
    (``one_based``: whether epochs count from 1, None when no epoch was read yet); None
    when an axis goes back or is beyond ``AXIS_LIMIT``."""
    used = kinds(which)
    values = {t: numbers_of([numbers[r] for r in np.flatnonzero(which == t).tolist()])
              for t in used}
    with_epoch = [t for t in used if templates[t].epoch_slot is not None]
    if one_based is None and with_epoch:
        first = min(with_epoch, key=lambda t: int(np.argmax(which == t)))
        one_based = bool(values[first][0, templates[first].epoch_slot] == 1)
        found: bool | None = one_based
    else:
        found = None
    steps = np.empty(len(which))
    epochs = np.full(len(which), np.nan)
    on_step = np.zeros(len(which), dtype=bool)
    counts = np.zeros(len(which), dtype=np.int64)
    names: list[str] = []
    parts = []
    for t in used:
        template, rows = templates[t], np.flatnonzero(which == t)
        epoch = None if template.epoch_slot is None else values[t][:, template.epoch_slot]
        if epoch is not None and one_based:
            epoch = epoch - 1
        x = epoch if template.step_slot is None else values[t][:, template.step_slot]
        if any((np.abs(a) >= AXIS_LIMIT).any() for a in (x, epoch) if a is not None):
            return None
        steps[rows], on_step[rows] = x, template.step_slot is not None
        if epoch is not None:
            epochs[rows] = epoch
        slots = [i for i, name in enumerate(template.names)
                 if name is not None and name not in skip]
        counts[rows] = len(slots)
        parts.append((rows, values[t][:, slots], [len(names) + i for i in range(len(slots))]))
        names += [template.names[i] for i in slots]
    ends, lines = {}, {}
    for axis, mask in (("step", on_step), ("epoch", ~on_step)):
        x = steps[mask]
        if len(x):
            if (x[1:] < x[:-1]).any():
                return None
            ends[axis], lines[axis] = (float(x[0]), float(x[-1])), len(x)
    offsets = np.cumsum(counts) - counts
    metric = np.empty(int(counts.sum()), dtype=np.int64)
    points = np.empty(len(metric))
    for rows, block, indexes in parts:
        at = offsets[rows][:, None] + np.arange(len(indexes))
        metric[at] = indexes
        points[at] = block
    return TemplateRows(names, metric, points, np.repeat(steps, counts),
                        np.repeat(epochs, counts) if with_epoch else None, ends, lines,
                        used, found)
