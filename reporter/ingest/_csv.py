"""CSV reading shared by the CSV-family readers, keeping "not logged" apart from NaN.

Cells are parsed one by one (``reporter.ingest._table.parse_float``): an empty or ``NA`` cell
is *not logged* (no point), ``nan``/``inf`` are logged values. The file is streamed: rows
come one at a time from ``CsvRows.rows()``. A row with fewer cells than the header is the
cut tail of a file still being written (or a crash): reading stops there with a note naming
the line.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from reporter.errors import LogFormatError

csv.field_size_limit(1 << 24)


class CsvRows:
    """The header of a CSV file, and its data rows streamed with their 1-based line number."""

    def __init__(self, path: Path, *, strip: bool = False) -> None:
        self.path = Path(path)
        self.strip = strip
        self.notes: list[str] = []
        self._last_raw = ""
        self._exhausted = False
        with self._open() as handle:
            first = next(csv.reader(self._lines(handle), skipinitialspace=strip), None)
        if first is None:
            raise LogFormatError(self.path, "empty file")
        self.header = [h.strip() for h in first] if strip else [h.lstrip("\ufeff") for h in first]

    def _open(self):
        try:
            return open(self.path, encoding="utf-8", errors="replace", newline="")
        except OSError as err:
            raise LogFormatError(self.path, f"cannot read the file ({err.strerror})") from err

    def _lines(self, handle) -> Iterator[str]:
        started = False
        for raw in handle:
            if not started:
                started = True
                raw = raw.lstrip("\ufeff")
                if not raw.strip():
                    continue
            self._last_raw = raw
            yield raw
        self._exhausted = True

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        width = len(self.header)
        count = 0
        with self._open() as handle:
            lines = self._lines(handle)
            reader = csv.reader(lines, skipinitialspace=self.strip)
            next(reader, None)  # the header
            for row in reader:
                line = reader.line_num
                if not row or all(not cell.strip() for cell in row):
                    continue
                if self.strip:
                    row = [c.strip() for c in row]
                    while len(row) > width and row[-1] == "":
                        row.pop()  # trailing commas (padded writers)
                if len(row) != width:
                    self._stop(line, row, width, count, lines)
                    return
                count += 1
                yield line, row
            if count and not self._last_raw.endswith(("\n", "\r")):
                self.notes.append(
                    f"the last line ({line}) has no line end: the writer may have been cut "
                    "while writing it; it was kept")

    def _stop(self, line: int, row: list[str], width: int, count: int,
              lines: Iterator[str]) -> None:
        if len(row) > width:
            why = f"has {len(row)} cells for a header of {width}"
        else:
            last = next(lines, None) is None
            why = (f"is cut short ({len(row)} of {width} cells)" if last
                   else f"has too few cells ({len(row)} of {width} cells)")
        self.notes.append(f"stopped at line {line}: the row {why}; read {count} rows before it")

    def column(self, name: str) -> int | None:
        try:
            return self.header.index(name)
        except ValueError:
            return None
