"""MLflow tracking data: the file store and the SQLite store (formats.md §6).

File store: ``mlruns/<experiment>/<run>/metrics/<key>``, one ``<timestamp ms> <value>
<step>`` line per logged value, ``/`` in a key made sub-folders (``metrics/train/loss``),
``nan``/``inf`` spelled out. A run folder (with or without ``meta.yaml``), its ``metrics/``
folder or one metric file of it reads the whole run. A metric file outside a ``metrics/``
folder (copied out, attached to an issue) is a run of its own: its one series is named by
the file. A ``params/<key>`` file is a setting, not a series: refused with what it holds.
A metric logged several times at most of its steps (each batch's loss logged at the epoch's
step) keeps every value (``_repeats``).

SQLite store (the default since MLflow 3.7): table ``metrics(key, value, timestamp, run_uuid,
step, is_nan)``, read with the standard ``sqlite3`` in read-only mode. NaN is stored as 0.0
with ``is_nan=1`` and +-inf as +-1.7976931348623157e308: both are mapped back. A database
with several runs is read through its latest run, with a note naming the others.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from reporter.errors import LogFormatError
from reporter.ingest._repeats import finish_keeping_batches
from reporter.ingest._sniff import head, head_text
from reporter.ingest._table import ScalarTable, as_float, check_axis_at, epoch_from_metric

ID = "mlflow"
_LINE = re.compile(r"^(\d+) (\S+)(?: (-?\d+))?$")
# a metric file on its own: a timestamp in ms (10+ digits), a number, an integer step
_ALONE = re.compile(r"^\d{10,} [-+]?(?:[\d.]+(?:[eE][-+]?\d+)?|nan|inf|-inf|Infinity|NaN)"
                    r" -?\d+$")
_TEXT_SUFFIXES = (".txt", ".log", ".tsv")
_SQLITE = b"SQLite format 3\x00"
_FLOAT_MAX = 1.7976931348623157e308
_STATUS = {"1": "RUNNING", "2": "SCHEDULED", "3": "FINISHED", "4": "FAILED", "5": "KILLED"}


def detect(path: Path) -> float:
    if path.is_dir():
        if path.name == "metrics" and _metric_files(path):
            return 0.9
        if (path / "metrics").is_dir() and (_metric_files(path / "metrics")
                                            or (path / "meta.yaml").is_file()):
            return 0.95
        return 0.0
    if head(path, 16) == _SQLITE:
        return 0.95 if _is_mlflow_db(path) else 0.0
    if not _under(path, ("metrics", "params")):
        return 0.9 if _alone(path) else 0.0
    if path.suffix:
        return 0.0
    lines = head_text(path, 512).splitlines()
    if _under(path, ("params",)):
        return 0.8
    return 0.9 if lines and _LINE.match(lines[0].strip()) else 0.0


def _alone(path: Path) -> bool:
    """A metric file outside a run folder: every complete line of its head is a point."""
    text = head_text(path)
    lines = text.splitlines()
    if len(text) >= 4096 and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut by the sniff
    lines = [line.strip() for line in lines if line.strip()]
    return bool(lines) and all(_ALONE.match(line) for line in lines)


def _under(path: Path, names: tuple[str, ...]) -> bool:
    return any(parent.name in names for parent in list(path.parents)[:4])


def _metric_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))


def _is_mlflow_db(path: Path) -> bool:
    import sqlite3

    try:
        with _connect(path) as db:
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.Error:
        return False
    return {"metrics", "runs"} <= tables


def _connect(path: Path):
    import sqlite3

    return sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)


def read(path: Path):
    if path.is_file() and head(path, 16) == _SQLITE:
        return _read_db(path)
    if path.is_file() and _under(path, ("params",)) and not _under(path, ("metrics",)):
        value = head_text(path, 200).strip()
        raise LogFormatError(path, f"an MLflow parameter ({path.name} = {value}), not a metric "
                                   "series; the run's metrics are in its metrics/ folder")
    if path.is_file() and not _under(path, ("metrics",)):
        return _read_alone(path)
    folder = _metrics_folder(path)
    table = ScalarTable()
    notes: list[str] = []
    for file in _metric_files(folder):
        _read_metric(file, file.relative_to(folder).as_posix(), table, notes)
    run_dir = folder.parent
    meta = {"framework": "unknown", "lr_timing": "unknown", "store": "file",
            **_run_meta(run_dir / "meta.yaml")}
    frame, step_kind = _epochs(table)
    run = finish_keeping_batches(path, ID, frame, step_kind=step_kind, notes=notes,
                                 meta=meta)
    run.name = meta.get("run_name") or run_dir.name
    return run


def _read_alone(path: Path):
    """One metric file on its own: a run whose one series is named by the file."""
    key = path.name[:-len(path.suffix)] if path.suffix.lower() in _TEXT_SUFFIXES else path.name
    table = ScalarTable()
    notes = [f"a single MLflow metric file: the run holds one series, {key}"]
    _read_metric(path, key, table, notes)
    meta = {"framework": "unknown", "lr_timing": "unknown", "store": "file", "metric_file": key}
    frame, step_kind = _epochs(table)
    return finish_keeping_batches(path, ID, frame, step_kind=step_kind, notes=notes,
                                 meta=meta)


def _metrics_folder(path: Path) -> Path:
    if path.is_dir():
        return path if path.name == "metrics" else path / "metrics"
    for parent in path.parents:
        if parent.name == "metrics":
            return parent
    raise LogFormatError(path, "not inside an MLflow metrics/ folder")


def _read_metric(file: Path, key: str, table: ScalarTable, notes: list[str]) -> None:
    from reporter.ingest.aliases import canonical_name

    name = canonical_name(key)
    with open(file, encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, 1):
            point = _point(line.strip())
            if point is None:
                if line.strip():
                    notes.append(f"metrics/{key}: stopped at line {number} ({line.strip()[:40]!r}"
                                 " is not '<timestamp> <value> <step>')")
                    return
                continue
            wall_time, value, step = point
            check_axis_at(file, step, line=number)
            table.add(name, value, step=step, wall_time=wall_time)


def _point(text: str) -> tuple[float, float, int] | None:
    """``(wall time in s, value, step)`` of a metric file line, or None if it is not one."""
    match = _LINE.match(text)
    if match is None:
        return None
    try:
        return int(match[1]) / 1000, float(match[2]), int(match[3] or 0)
    except (ValueError, OverflowError):  # a value that is no number; a 4300+ digit integer
        return None


def _run_meta(meta_yaml: Path) -> dict[str, str]:
    """``run_name``, ``status`` and ``start_time`` from a run's meta.yaml (plain scalars)."""
    out: dict[str, str] = {}
    if not meta_yaml.is_file():
        return out
    for line in meta_yaml.read_text(errors="replace").splitlines():
        key, _, value = line.partition(":")
        if key in ("run_name", "status", "start_time", "experiment_id") and value.strip():
            out[key] = value.strip().strip("'\"")
    if "status" in out:
        out["status"] = _STATUS.get(out["status"], out["status"])
    return out


def _read_db(path: Path):
    import sqlite3

    from reporter.ingest.aliases import canonical_name

    notes: list[str] = []
    try:
        with _connect(path) as db:
            runs = db.execute("SELECT run_uuid, name, start_time, status FROM runs "
                              "ORDER BY start_time").fetchall()
            if not runs:
                raise LogFormatError(path, "an MLflow database with no runs")
            run_uuid, run_name, _, status = runs[-1]
            if len(runs) > 1:
                others = ", ".join(str(r[1] or r[0]) for r in runs[:-1][:5])
                notes.append(f"the database holds {len(runs)} runs; read the latest "
                             f"({run_name or run_uuid}); the others: {others}")
            rows = db.execute("SELECT key, value, timestamp, step, is_nan FROM metrics "
                              "WHERE run_uuid = ? ORDER BY timestamp, step", (run_uuid,))
            table = ScalarTable()
            damaged = 0
            for index, (key, value, timestamp, step, is_nan) in enumerate(rows):
                value, step, wall = as_float(value), as_float(step), as_float(timestamp)
                if value is None or not isinstance(key, str):
                    damaged += 1  # SQLite keeps any type in any column
                    continue
                check_axis_at(path, step, record=index)
                table.add(canonical_name(key), _decode(value, is_nan), step=step,
                          wall_time=wall / 1000 if wall is not None else None)
    except sqlite3.Error as err:
        raise LogFormatError(path, f"cannot read the MLflow database ({err})") from err
    if damaged:
        notes.append(f"{damaged} rows of the metrics table have a key or value of the wrong "
                     "type (a damaged database); they were skipped")
    meta = {"framework": "unknown", "lr_timing": "unknown", "store": "sqlite",
            "run_id": run_uuid, "run_name": run_name, "status": status}
    frame, step_kind = _epochs(table)
    run = finish_keeping_batches(path, ID, frame, step_kind=step_kind, notes=notes,
                                 meta=meta)
    run.name = str(run_name or run_uuid)
    return run


def _epochs(table: ScalarTable) -> tuple[Any, str]:
    """A logged ``epoch`` metric becomes the epoch column; the step kind follows from it."""
    frame = table.frame()
    if "epoch" not in set(table.metric):
        return frame, "optimizer_step"
    frame, same = epoch_from_metric(frame, "epoch")
    return frame, "epoch" if same else "optimizer_step"


def _decode(value: float, is_nan: int) -> float:
    """The SQL store's sentinels back to NaN and infinities."""
    if is_nan:
        return math.nan
    if value >= _FLOAT_MAX:
        return math.inf
    if value <= -_FLOAT_MAX:
        return -math.inf
    return value
