"""Ultralytics ``results.csv`` (formats.md §5.1; YOLOv8/v11 and YOLOv5).

One row per epoch. Old writers (8.0-8.2, YOLOv5) pad headers and cells with spaces; current
ones add a ``time`` column (seconds since the start, kept as a metric). ``epoch`` is 1-based
in current versions and 0-based in the oldest: ``step`` keeps the number as written and
``epoch`` is the 0-based index. Loss components are summed into ``train/loss`` and
``val/loss`` and ``lr/pg1`` is the run's ``lr`` (see ``_ultralytics``). A resume appends to
the same file: an epoch that goes back starts a new segment.
"""

from __future__ import annotations

from pathlib import Path

from reporter.errors import LogFormatError
from reporter.ingest._csv import CsvRows
from reporter.ingest._sniff import first_line, suffix
from reporter.ingest._table import ScalarTable, check_axis_at, finish_run, parse_float
from reporter.ingest._ultralytics import is_ultralytics, ultralytics_frame

ID = "ultralytics_csv"


def detect(path: Path) -> float:
    if path.is_dir() or suffix(path) != ".csv":
        return 0.0
    header = [h.strip() for h in first_line(path).split(",")]
    if not is_ultralytics(header):
        return 0.0
    return 0.95 if path.name == "results.csv" else 0.9


def read(path: Path):
    rows = CsvRows(path, strip=True)
    header = rows.header
    epoch_col = rows.column("epoch")
    if epoch_col is None:
        raise LogFormatError(path, f"no 'epoch' column (columns: {', '.join(header)})", line=1)
    notes = rows.notes
    table = ScalarTable()
    base = None
    segment, last = 0, None
    for line, row in rows.rows():
        number = parse_float(row[epoch_col])
        if number is None:
            continue
        check_axis_at(path, number, line=line)
        if base is None:
            base = 0.0 if number == 0 else 1.0
        if last is not None and number <= last:
            segment += 1
            notes.append(f"line {line}: the epoch goes back from {int(last)} to {int(number)} "
                         "(a resumed or restarted run appended rows); a new segment starts")
        last = number
        for col, cell in enumerate(row):
            value = parse_float(cell)
            if col != epoch_col and value is not None:
                table.add(header[col], value, step=number, epoch=number - base,
                          segment=segment)
    frame, meta = ultralytics_frame(table.frame(), notes)
    if base == 0.0:
        notes.append("epoch numbers start at 0 (an early Ultralytics 8.0 writer)")
    return finish_run(path, ID, frame, step_kind="epoch", notes=notes, meta=meta)
