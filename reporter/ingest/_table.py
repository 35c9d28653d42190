"""Shared by every reader: collect scalar points, resolve restarts, build the ``Run``.

Restart rule (formats.md §0 and §1.6): a segment that starts at step ``S`` supersedes every
point that earlier segments logged at steps ``>= S`` (what TensorBoard's ``SessionLog.START``
purge does, and what a resumed or re-started run means); inside one segment a metric logged
twice at the same step keeps its last value. Superseded points are kept on
``Run.superseded`` and counted in a note, never dropped silently.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from reporter.errors import LogFormatError
from reporter.ingest.run import SCALAR_COLUMNS, Run
from reporter.report.filters import fmt_x

# File names that say nothing about the run: the run is named after their folder.
GENERIC_NAMES = frozenset({
    "metrics", "trainer_state", "results", "history", "training_log", "training_history",
    "log", "logs", "output", "summary", "scalars", "events", "train", "validation",
    "checkpoint", "model", "last", "best", "ckpt", "lightning_logs", "runs", "outputs",
})
# Steps go to an Int64 column and epochs to integer indices: beyond this they cannot be read.
AXIS_LIMIT = 2.0**63


class AxisRangeError(ValueError):
    """A step or epoch that is infinite or beyond ``AXIS_LIMIT``; the reader adds the location."""


def check_axis(step: float | None, epoch: float | None) -> None:
    """Raise ``AxisRangeError`` for a step or epoch no index can hold (NaN means not known)."""
    for what, x in (("step", step), ("epoch", epoch)):
        if x is not None and abs(x) >= AXIS_LIMIT:
            shown = f"{x:g}" if isinstance(x, float) else f"of {len(str(abs(x)))} digits"
            raise AxisRangeError(f"the {what} {shown} is out of range (a step or epoch is a "
                                 "finite number below 2**63)")


def check_axis_at(path: Path, step: float | None = None, epoch: float | None = None, *,
                  line: int | None = None, record: int | None = None) -> None:
    """``check_axis`` where the reader knows the place: the error names the line or record."""
    try:
        check_axis(step, epoch)
    except AxisRangeError as err:
        raise LogFormatError(path, str(err), line=line, record=record) from err


class ScalarTable:
    """Column lists for the points of one run, in the order they were logged."""

    def __init__(self) -> None:
        self.metric: list[str] = []
        self.step: list[float | None] = []
        self.epoch: list[float | None] = []
        self.wall_time: list[float | None] = []
        self.value: list[float] = []
        self.segment: list[int] = []
        #: the log counted epochs from 1 and the reader shifted them to 0-based
        self.epochs_shifted = False

    def __len__(self) -> int:
        return len(self.value)

    def add(
        self,
        metric: str,
        value: float,
        *,
        step: float | None = None,
        epoch: float | None = None,
        wall_time: float | None = None,
        segment: int = 0,
    ) -> None:
        if (step is not None and abs(step) >= AXIS_LIMIT) or (
                epoch is not None and abs(epoch) >= AXIS_LIMIT):
            check_axis(step, epoch)
        self.metric.append(metric)
        self.value.append(float(value))
        self.step.append(step)
        self.epoch.append(epoch)
        self.wall_time.append(wall_time)
        self.segment.append(segment)

    def frame(self) -> Any:
        import pandas as pd

        frame = pd.DataFrame({
            "metric": pd.Series(self.metric, dtype=object),
            "step": pd.array([_int_or_none(s) for s in self.step], dtype="Int64"),
            "epoch": pd.Series(self.epoch, dtype="float64"),
            "wall_time": pd.Series(self.wall_time, dtype="float64"),
            "value": pd.Series(self.value, dtype="float64"),
            "segment": pd.Series(self.segment, dtype="int64"),
        })
        return frame[list(SCALAR_COLUMNS)]


def _int_or_none(step: float | None) -> int | None:
    if step is None or (isinstance(step, float) and math.isnan(step)):
        return None
    return int(step)


def run_name(path: Path) -> str:
    """A readable run name: the file stem, or the folder for generic file names."""
    path = Path(path).resolve()
    if path.is_dir():
        return path.parent.name if path.name.lower() in GENERIC_NAMES else path.name
    stem = path.name.split(".")[0]
    if stem.lower() in GENERIC_NAMES or stem.lower().startswith("events"):
        parent = path.parent
        if parent.name.startswith("version_") and parent.parent.name:
            return f"{parent.parent.name}/{parent.name}"
        return parent.name or stem
    return stem


def finish_run(
    path: Path,
    format_id: str,
    table: ScalarTable | Any,
    *,
    step_kind: str,
    notes: list[str] | None = None,
    meta: dict[str, Any] | None = None,
    starts: dict[int, float] | None = None,
) -> Run:
    """Build the ``Run``: resolve restarts and duplicates.

    ``table`` is a ``ScalarTable`` or a DataFrame with the ``SCALAR_COLUMNS``; ``starts``
    gives a segment's explicit restart step (TensorBoard ``SessionLog.START``) when it is
    lower than the segment's first logged step. Whether the run has a loss is checked by
    ``registry.read_run``, after ``--loss`` is known.
    """
    notes = list(notes or [])
    frame = table.frame() if hasattr(table, "frame") else _canonical_frame(table)
    if frame.empty:
        raise LogFormatError(path, "no metric values in the file")
    frame, superseded = resolve_segments(frame, notes, starts)
    run = Run(
        name=run_name(path),
        source=Path(path),
        format=format_id,
        scalars=frame,
        step_kind=step_kind,
        notes=notes,
        meta=dict(meta or {}),
    )
    if getattr(table, "epochs_shifted", False):
        run.meta["epochs_shifted"] = True
    run.superseded = superseded
    return run


def epoch_from_metric(table: Any, name: str) -> tuple[Any, bool]:
    """Fill ``epoch`` from a logged epoch metric (Lightning/HF/user ``epoch``) by step.

    Returns the table without that metric, and whether the epoch equals the step everywhere
    (the script logged the epoch as the step). Logged epochs that no index can hold (infinite,
    beyond ``AXIS_LIMIT``) mark nothing.
    """
    import pandas as pd

    is_epoch = table["metric"] == name
    marks = table.loc[is_epoch, ["step", "value"]].drop_duplicates("step", keep="last")
    marks = marks[marks["value"].abs() < AXIS_LIMIT].dropna().sort_values("step")
    rest = table[~is_epoch].reset_index(drop=True)
    if marks.empty or rest.empty:
        return rest, False
    same = bool((marks["step"].astype("float64") == marks["value"]).all())
    known = rest["step"].notna()
    order = rest.loc[known, "step"].astype("int64").sort_values(kind="stable")
    merged = pd.merge_asof(order.rename("step").reset_index(),
                           marks.astype({"step": "int64"}).rename(columns={"value": "_e"}),
                           on="step", direction="nearest")
    epoch = pd.Series(merged["_e"].to_numpy(), index=merged["index"].to_numpy()).sort_index()
    return rest.assign(epoch=rest["epoch"].fillna(epoch)), same


def _canonical_frame(frame: Any) -> Any:
    """A reader's own DataFrame with the canonical column order and dtypes."""
    return frame.astype({"metric": object, "step": "Int64", "epoch": "float64",
                         "wall_time": "float64", "value": "float64", "segment": "int64"}
                        )[list(SCALAR_COLUMNS)].reset_index(drop=True)


def resolve_segments(frame: Any, notes: list[str],
                     starts: dict[int, float] | None = None) -> tuple[Any, Any]:
    """Apply the restart rule; return ``(kept, superseded)`` frames.

    Works on numpy arrays and copies the frame only when something is dropped, so large
    runs are resolved in little more memory than the frame itself.
    """
    import numpy as np

    if not starts and _steps_rise(frame):  # the usual case, in a few bytes a point
        return frame, frame.iloc[:0]
    x = frame["step"].to_numpy(dtype="float64", na_value=np.nan)
    missing = np.isnan(x)
    if missing.any():
        x[missing] = frame["epoch"].to_numpy()[missing]
    segment = frame["segment"].to_numpy()
    drop = _superseded_by_restarts(x, segment, starts, notes)
    dup = _logged_twice(frame["metric"], x, drop)
    if dup.any():
        notes.append(
            f"{int(dup.sum())} points were logged twice for the same metric and step; "
            "the last value was kept"
        )
    drop |= dup
    if not drop.any():
        return frame, frame.iloc[:0]
    return frame[~drop].reset_index(drop=True), frame[drop].reset_index(drop=True)


def _steps_rise(frame: Any, most_metrics: int = 16, block: int = 1 << 20) -> bool:
    """Whether the frame has one segment and every metric's steps are all there and rise
    in row order (no restart to resolve, no point logged twice). Read ``block`` rows at a
    time: a few megabytes whatever the frame's length."""
    import numpy as np
    import pandas as pd

    segment, step, metric = frame["segment"].to_numpy(), frame["step"], frame["metric"]
    if not len(frame) or segment.min() != segment.max():
        return False
    categorical = isinstance(metric.dtype, pd.CategoricalDtype)
    if not categorical:
        metric = pd.Series(pd.factorize(metric)[0])
    last: dict[int, Any] = {}
    for at in range(0, len(frame), block):
        steps = step.iloc[at:at + block]
        if steps.isna().any():
            return False
        steps = steps.to_numpy(dtype=getattr(step.dtype, "numpy_dtype", None))
        codes = metric.iloc[at:at + block]
        codes = (codes.cat.codes if categorical else codes).to_numpy()
        single = codes.min() == codes.max()
        if codes.min() < 0:
            return False
        for code in [int(codes[0])] if single else np.flatnonzero(np.bincount(codes)).tolist():
            rows = steps if single else steps[codes == code]
            if (code in last and rows[0] <= last[code]) or not (rows[1:] > rows[:-1]).all():
                return False
            last[code] = rows[-1]
        if len(last) > most_metrics:
            return False
    return True


def _superseded_by_restarts(x: Any, segment: Any, starts: dict[int, float] | None,
                            notes: list[str]) -> Any:
    import numpy as np

    drop = np.zeros(len(x), dtype=bool)
    segments = sorted(set(np.unique(segment).tolist()) | set(starts or ()))
    if len(segments) < 2:
        return drop
    begin = {k: _segment_start(x[segment == k], (starts or {}).get(k)) for k in segments}
    cut = math.inf
    purged: list[str] = []
    for k in reversed(segments):
        over = (segment == k) & (x >= cut)
        if over.any():
            drop |= over
            purged.insert(0, f"segment {k}: {int(over.sum())} points at steps >= {fmt_x(cut)} "
                             "were superseded by a later segment that restarted there (last "
                             "segment wins)")
        if not math.isnan(begin[k]):
            cut = min(cut, begin[k])
    notes.extend(purged)
    return drop


def _logged_twice(metric: Any, x: Any, dropped: Any) -> Any:
    """Rows whose (metric, x) appears again later among the rows not dropped."""
    import numpy as np
    import pandas as pd

    codes, _ = pd.factorize(metric)
    keep = np.flatnonzero(~dropped)
    order = keep[np.lexsort((keep, x[keep], codes[keep]))]
    same_next = (codes[order][:-1] == codes[order][1:]) & (
        (x[order][:-1] == x[order][1:]) | (np.isnan(x[order][:-1]) & np.isnan(x[order][1:])))
    dup = np.zeros(len(x), dtype=bool)
    dup[order[:-1][same_next]] = True
    return dup


def _segment_start(x: Any, explicit: float | None) -> float:
    """The lowest step of a segment, or its explicit restart step if lower; NaN if none."""
    candidates: list[float] = []
    if len(x):
        import numpy as np

        finite = x[~np.isnan(x)]
        candidates = [float(finite.min())] if len(finite) else []
    if explicit is not None:
        candidates.append(float(explicit))
    return min(candidates) if candidates else math.nan



def parse_float(text: str) -> float | None:
    """A logged number, or None for an empty / ``NA`` cell (not logged).

    NaN and infinity spellings (``nan``, ``NaN``, ``inf``, ``Infinity``, ``-inf``) are logged
    values and stay NaN / inf.
    """
    text = text.strip()
    if not text or text in ("NA", "N/A", "None", "null"):
        return None
    try:
        return float(text)
    except ValueError:
        return None


def as_float(value: Any) -> float | None:
    """A JSON / pickle value as a float, or None when it is not a number."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        try:
            return float(value)
        except OverflowError:  # an integer beyond float range (JSON 1e400 reads as inf too)
            return math.inf if value > 0 else -math.inf
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return parse_float(value)
    item = getattr(value, "item", None)  # numpy scalars, 0-dim / 1-element tensors
    if callable(item):
        try:
            out = item()
        except (ValueError, RuntimeError):
            return None
        return as_float(out)
    return None
