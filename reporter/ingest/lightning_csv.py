"""Lightning ``CSVLogger`` files: ``<name>/version_<N>/metrics.csv`` (formats.md §3), and any
other long CSV with a ``step`` column (then without Lightning semantics).

One row per ``log_metrics`` call, so rows are sparse: an empty cell was not logged, ``nan`` is
a logged NaN. ``step`` is the 0-based optimizer step; ``epoch`` (0-based) is empty on
``LearningRateMonitor`` rows and is filled from the rows of the same step, else from the next
row. ``name_step`` / ``name_epoch`` pairs (``self.log(on_step=True, on_epoch=True)``) keep
the epoch value under the canonical name and the step value as ``<canonical>_step``. Given
a folder with ``version_<N>`` children, each version is a segment, in N order (a resumed
run is a new version). ``lr-<Optimizer>`` is the LR used for that step or epoch.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from reporter.errors import LogFormatError
from reporter.ingest._compact import CompactTable
from reporter.ingest._csv import CsvRows
from reporter.ingest._sniff import first_line, suffix
from reporter.ingest._table import check_axis_at, finish_run, parse_float
from reporter.ingest.aliases import canonical_name, split_granularity

ID = "lightning_csv"
FILE_NAME = "metrics.csv"
_VERSION = re.compile(r"^version_(\d+)$")


def detect(path: Path) -> float:
    if path.is_dir():
        return 0.9 if _files(path) else 0.0
    if suffix(path) != ".csv":
        return 0.0
    header = [h.strip() for h in first_line(path).split(",")]
    if "step" not in header:
        return 0.0
    if path.name == FILE_NAME:
        return 0.95 if _VERSION.match(path.parent.name) else 0.9
    return 0.5 if "epoch" in header else 0.3


def _files(folder: Path) -> list[Path]:
    """``metrics.csv`` of the folder itself, else of its ``version_N`` children in N order."""
    own = folder / FILE_NAME
    if own.is_file() and "step" in first_line(own).split(","):
        return [own]
    return version_files(folder)


def version_files(folder: Path) -> list[Path]:
    """``version_N/metrics.csv`` files of a ``lightning_logs`` folder, in N order."""
    versions = []
    try:
        children = list(folder.iterdir())
    except OSError:
        return []
    for child in children:
        match = _VERSION.match(child.name)
        if match and (child / FILE_NAME).is_file():
            versions.append((int(match[1]), child / FILE_NAME))
    return [p for _, p in sorted(versions)]


def first_step(file: Path) -> float | None:
    """The step of the first data row (a resumed version starts above 0)."""
    from reporter.ingest._sniff import head_text

    lines = head_text(file).splitlines()
    if len(lines) < 2:
        return None
    header = lines[0].split(",")
    if "step" not in header:
        return None
    cells = lines[1].split(",")
    index = header.index("step")
    return parse_float(cells[index]) if index < len(cells) else None


def read(path: Path):
    files = _files(path) if path.is_dir() else [path]
    if not files:
        raise LogFormatError(path, f"no {FILE_NAME} here or in version_N folders")
    notes: list[str] = []
    table = CompactTable()
    granularity: dict[str, str] = {}
    headers: list[str] = []
    for segment, file in enumerate(files):
        rows = CsvRows(file)
        headers += rows.header
        _read_file(file, rows, table, segment, granularity)
        if len(files) > 1:
            notes.extend(f"{file.parent.name}: {n}" for n in rows.notes)
            notes.append(f"segment {segment} is {file.parent.name}")
        else:
            notes.extend(rows.notes)
    lightning = (any(f.name == FILE_NAME for f in files) or bool(granularity)
                 or any(h.startswith("lr-") for h in headers))
    has_lr = any(canonical_name(h) == "lr" for h in headers)
    meta = {"framework": "lightning" if lightning else "unknown", "granularity": granularity,
            "lr_timing": "used" if has_lr and lightning else "unknown"}
    return finish_run(path, ID, table, step_kind="optimizer_step", notes=notes, meta=meta)


def metric_names(header: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """Canonical name per column, and the granularity of the names that had a suffix."""
    bases = {h: split_granularity(h) for h in header}
    canon = {h: canonical_name(b) if g else canonical_name(h) for h, (b, g) in bases.items()}
    names: dict[str, str] = {}
    granularity: dict[str, str] = {}
    for column, (_, gran) in bases.items():
        name = canon[column]
        if gran == "step" and name != column and f"{column[:-5]}_epoch" in canon:
            name = f"{name}_step"
        names[column] = name
        if gran:
            granularity[name] = gran
    return names, granularity


def _read_file(file: Path, rows: CsvRows, table: Any, segment: int,
               granularity: dict[str, str]) -> None:
    """Stream one metrics.csv into ``table``; fill the epochs the LR-monitor rows lack."""
    from array import array

    step_col, epoch_col = rows.column("step"), rows.column("epoch")
    if step_col is None:
        raise LogFormatError(file, "no 'step' column", line=1)
    names, gran = metric_names(rows.header)
    granularity.update(gran)
    columns = [(col, names[h]) for col, h in enumerate(rows.header)
               if col not in (step_col, epoch_col)]
    steps: list[float | None] = []
    epochs: list[float | None] = []
    first = len(table)
    row_of_point = array("i")
    for line, row in rows.rows():
        step = parse_float(row[step_col])
        epoch = parse_float(row[epoch_col]) if epoch_col is not None else None
        check_axis_at(file, step, epoch, line=line)
        steps.append(step)
        epochs.append(epoch)
        for col, name in columns:
            value = parse_float(row[col])
            if value is not None:
                table.add(name, value, step=step, epoch=None, segment=segment)
                row_of_point.append(len(steps) - 1)
    filled = _fill_epochs(steps, epochs)
    for offset, index in enumerate(row_of_point):
        epoch = filled[index]
        table.epoch[first + offset] = math.nan if epoch is None else epoch


def _fill_epochs(steps: list[float | None], epochs: list[float | None]) -> list[float | None]:
    """Epoch for rows that lack it: same step's epoch, else the next row's, else the last."""
    by_step = {s: e for s, e in zip(steps, epochs, strict=True) if s is not None and e is not None}
    filled = [e if e is not None else by_step.get(s) for s, e in zip(steps, epochs, strict=True)]
    following = None
    for i in range(len(filled) - 1, -1, -1):
        if filled[i] is None:
            filled[i] = following
        else:
            following = filled[i]
    previous = None
    for i, epoch in enumerate(filled):
        if epoch is None:
            filled[i] = previous
        else:
            previous = epoch
    return filled
