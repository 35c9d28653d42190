"""Weights & Biases local files (formats.md §7).

- the binary transaction log ``run-<id>.wandb`` (LevelDB-log blocks of protobuf ``Record``s;
  ``_wandb_log`` decodes it without the wandb package): the full history;
- ``wandb-history.jsonl`` (pre-2021 run folders): one JSON row per step;
- a CSV exported from the UI (``Step``, ``<run> - <metric>``, ``__MIN``/``__MAX`` columns) or
  from ``run.history()`` (``_step`` column);
- a run folder ``wandb/run-<date>-<id>/`` (or ``offline-run-…``): the best of the above;
- ``wandb-summary.json`` alone holds only the final values: refused with what it holds.

The x-axis is ``_step`` (a row counter unless the script passed ``step=``), ``_timestamp``
becomes ``wall_time``; ``_runtime`` and other ``_``-keys are dropped.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from reporter.errors import LogFormatError
from reporter.ingest._sniff import first_line, head, suffix
from reporter.ingest._table import ScalarTable, as_float, check_axis_at, finish_run
from reporter.ingest.aliases import canonical_name

ID = "wandb"
MAGIC = b":W&B"
_EXPORT_COLUMN = re.compile(r"^(?P<run>.+) - (?P<metric>.+?)(?P<agg>__MIN|__MAX)?$")
_RUN_DIR = re.compile(r"^(offline-)?run-\d{8}_\d{6}-\w+$")


def detect(path: Path) -> float:
    if path.is_dir():
        if _RUN_DIR.match(path.name) or list(path.glob("*.wandb")):
            return 0.95
        files = path / "files"
        return 0.9 if (files / "wandb-history.jsonl").is_file() or (
            (files / "output.log").is_file() and (files / "wandb-summary.json").is_file()) \
            else 0.0
    name = path.name
    if name.endswith(".wandb") or head(path, 4) == MAGIC:
        return 1.0
    if name in ("wandb-history.jsonl", "wandb-summary.json"):
        return 0.95
    if suffix(path) == ".csv":
        header = [h.strip().strip('"') for h in first_line(path).split(",")]
        if header and header[0] in ("Step", "_step") and (
                header[0] == "_step" or any(_EXPORT_COLUMN.match(h) for h in header[1:])):
            return 0.9
    return 0.0


def _sources(folder: Path) -> list[Path]:
    """History sources of a run folder, best first; the console log ``output.log`` last."""
    found = sorted(folder.glob("*.wandb")) + sorted(folder.glob("files/wandb-history.jsonl"))
    found += sorted(folder.glob("wandb-history.jsonl"))
    found += sorted(folder.glob("files/output.log"))
    return found


def read(path: Path):
    if path.is_dir():
        sources = _sources(path)
        if not sources:
            summary = next(iter(path.glob("**/wandb-summary.json")), None)
            if summary is not None:
                _refuse_summary(summary)
            raise LogFormatError(path, "a W&B run folder without a history (no run-*.wandb, "
                                       "no wandb-history.jsonl)")
        if sources[0].name == "output.log":
            return _read_console(path, sources[0])
        run = read(sources[0])
        run.source = path
        return run
    if path.name == "wandb-summary.json":
        history = [p for p in _sources(path.parent) + _sources(path.parent.parent)]
        if history:
            return read(history[0])
        _refuse_summary(path)
    if path.name.endswith(".wandb") or head(path, 4) == MAGIC:
        from reporter.ingest._wandb_log import read_history

        notes: list[str] = []
        rows = read_history(path, notes)
        return _finish(path, rows, notes, by_line=False)
    if suffix(path) == ".csv":
        return _read_csv(path)
    return _finish(path, _jsonl_rows(path), [], by_line=True)


def _read_console(folder: Path, log: Path):
    """A run folder whose only history is the console capture ``files/output.log``."""
    from reporter.ingest import text_log

    run = text_log.read(log)
    run.source, run.format = folder, ID
    run.notes.insert(0, "no history file in this W&B run folder: read the console capture "
                        "files/output.log")
    summary = folder / "files" / "wandb-summary.json"
    if summary.is_file():
        try:
            data = json.loads(summary.read_text(errors="replace"))
        except (ValueError, RecursionError):
            data = {}
        data = data if isinstance(data, dict) else {}
        run.meta["summary"] = {k: v for k, v in data.items() if isinstance(v, (int, float))
                               and not isinstance(v, bool) and not k.startswith("_")}
    return run


def _refuse_summary(path: Path) -> None:
    from reporter.ingest._sniff import load_json

    summary = load_json(path)
    if not isinstance(summary, dict):
        raise LogFormatError(path, f"a W&B run summary holding a {type(summary).__name__}, "
                                   "not an object")
    numbers = {k: as_float(v) for k, v in summary.items() if not k.startswith("_") and
               isinstance(v, (int, float)) and not isinstance(v, bool)}
    shown = ", ".join(f"{k} = {v:.4g}" for k, v in list(numbers.items())[:3])
    step = summary.get("_step")
    raise LogFormatError(path, f"a W&B run summary: the final values only ({shown}"
                               f"{', ...' if len(numbers) > 3 else ''}"
                               f"{f' at step {step}' if step is not None else ''}), no history; "
                               "read the run's run-*.wandb file or wandb-history.jsonl instead")


def _jsonl_rows(path: Path):
    with open(path, encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                try:
                    yield number, json.loads(line)
                except (ValueError, RecursionError):  # also 4300+ digit numbers, deep nesting
                    yield number, None
                    return


_GLOBAL_STEP = ("trainer/global_step", "train/global_step")  # Lightning, HF integrations


def _finish(path: Path, rows, notes: list[str], *, by_line: bool):
    """Points of the history rows; ``by_line``: rows are numbered by line, else by record."""
    table = ScalarTable()
    last_step = None
    axis = None
    for number, row in rows:
        if not isinstance(row, dict):
            notes.append(f"stopped at line {number}: not a JSON object (a cut or corrupt line)")
            break
        axis = axis or next((k for k in _GLOBAL_STEP if k in row), None)
        step = as_float(row.get(axis)) if axis in row else as_float(row.get("_step"))
        epoch = as_float(row.get("epoch"))
        wall = as_float(row.get("_timestamp"))
        check_axis_at(path, step, epoch, line=number if by_line else None,
                      record=None if by_line else number)
        if step is not None and last_step is not None and step < last_step:
            notes.append(f"row {number}: _step goes back from {int(last_step)} to {int(step)}")
        last_step = step if step is not None else last_step
        for key, raw in row.items():
            if key.startswith("_") or key in _GLOBAL_STEP or key == "epoch":
                continue
            value = _value(raw)
            if value is not None:
                table.add(canonical_name(key), value, step=step, epoch=epoch, wall_time=wall)
    meta: dict[str, Any] = {"framework": "unknown", "lr_timing": "unknown"}
    if axis == "train/global_step":
        meta.update(framework="hf", epoch_kind="progress")
    elif axis == "trainer/global_step":
        meta.update(framework="lightning")
    if axis:
        notes.append(f"x-axis: {axis} (W&B's _step counts log calls)")
    return finish_run(path, ID, table, step_kind="optimizer_step" if axis else "row",
                      notes=notes, meta=meta)


def _value(raw: Any) -> float | None:
    if isinstance(raw, str) and raw in ("NaN", "Infinity", "-Infinity"):
        return float(raw.replace("Infinity", "inf"))
    return as_float(raw) if not isinstance(raw, str) else None


def _read_csv(path: Path):
    from reporter.ingest._csv import CsvRows

    rows = CsvRows(path)
    header = [h.strip() for h in rows.header]
    table = ScalarTable()
    names: dict[int, str] = {}
    runs = set()
    for col, title in enumerate(header[1:], 1):
        match = _EXPORT_COLUMN.match(title)
        if match and match["agg"]:
            continue  # __MIN / __MAX: the UI's bucket envelope, not points
        if match:
            runs.add(match["run"])
            names[col] = canonical_name(match["metric"])
        elif not title.startswith("_"):
            names[col] = canonical_name(title)
    notes = list(rows.notes)
    if len(runs) > 1:
        notes.append(f"the export holds {len(runs)} runs; their columns were all read: "
                     f"{', '.join(sorted(runs))}")
    for line, row in rows.rows():
        step = as_float(row[0])
        check_axis_at(path, step, line=line)
        for col, name in names.items():
            value = _value(row[col]) if row[col] in ("NaN", "Infinity") else as_float(row[col])
            if value is not None:
                table.add(name, value, step=step)
    meta = {"framework": "unknown", "lr_timing": "unknown", "export": "csv"}
    return finish_run(path, ID, table, step_kind="row", notes=notes, meta=meta)
