"""CSV reading shared by the CSV-family readers, keeping "not logged" apart from NaN.

Cells are parsed one by one (``reporter.ingest._table.parse_float``): an empty or ``NA`` cell
is *not logged* (no point), ``nan``/``inf`` are logged values. A row with fewer cells than the
header is the cut tail of a file still being written (or a crash): reading stops there with a
note naming the line.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from reporter.errors import LogFormatError
from reporter.ingest._sniff import read_text

csv.field_size_limit(1 << 24)


class CsvRows:
    """Header and data rows of a CSV file, with the 1-based line number of each row."""

    def __init__(self, path: Path, *, strip: bool = False) -> None:
        self.path = Path(path)
        self.notes: list[str] = []
        text = read_text(self.path)
        lines = text.splitlines(keepends=True)
        reader = csv.reader(lines, skipinitialspace=strip)
        try:
            header = next(reader)
        except StopIteration as err:  # pragma: no cover - read_text refuses blank files
            raise LogFormatError(self.path, "empty file") from err
        self.header = [h.strip() for h in header] if strip else header
        self.rows: list[tuple[int, list[str]]] = []
        self._read(reader, lines, strip, ends_with_newline=text.endswith(("\n", "\r")))

    def _read(self, reader: Iterator[list[str]], lines: list[str], strip: bool,
              ends_with_newline: bool) -> None:
        width = len(self.header)
        for row in reader:
            line = reader.line_num
            if not row or all(not cell.strip() for cell in row):
                continue
            if strip:
                row = [c.strip() for c in row]
                while len(row) > width and row[-1] == "":
                    row.pop()  # trailing commas (Ultralytics padding)
            if len(row) < width:
                last = line >= len(lines)
                why = "is cut short" if last else "has too few cells"
                self.notes.append(
                    f"stopped at line {line}: the row {why} ({len(row)} of {width} cells); "
                    f"read {len(self.rows)} rows before it"
                )
                return
            if len(row) > width:
                self.notes.append(
                    f"stopped at line {line}: the row has {len(row)} cells for a header of "
                    f"{width}; read {len(self.rows)} rows before it"
                )
                return
            self.rows.append((line, row))
        if self.rows and not ends_with_newline:
            self.notes.append(
                f"the last line ({self.rows[-1][0]}) has no line end: the writer may have "
                "been cut while writing it; it was kept"
            )

    def column(self, name: str) -> int | None:
        try:
            return self.header.index(name)
        except ValueError:
            return None
