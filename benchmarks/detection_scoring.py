"""Labels, alarms and time-margin scoring for ``benchmarks/detection.py``.

A *label* says what happened in a run: an anomaly class, the metrics it shows in and its true
onset (a step, or a 0-based epoch index), or ``healthy``. An *alarm* is a detector's claim: a
metric and a 0-based position in that metric's logged series. An alarm *finds* the label when
its metric is one of the label's and its position lies within the class's time margin of the
onset (``MARGINS``, in points of that series); every other alarm is *stray*, and on a healthy
run every alarm is a false alarm.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CLASSES = ("spike_recovered", "spike_unrecovered", "nonfinite_single", "nan_sustained",
           "collapse", "stall", "slow_divergence", "overfit", "grad_spike")
SHARP = frozenset({"spike_recovered", "spike_unrecovered", "nonfinite_single", "nan_sustained",
                   "grad_spike"})
MARGIN_TEXT = (
    "an alarm counts when it is on a metric the anomaly shows in and within the margin of its "
    "true onset, in points of that metric's series (n points): spikes, non-finite points, "
    "grad-norm spikes 2 before to 3 after; collapse 3 before to max(5, n/20) after; stall "
    "max(5, n/10) either side; slow divergence max(3, n/20) before to max(10, n/4) after; "
    "overfitting max(2, n/8) before to max(3, n/4) after (n = eval points; a rise from a flat "
    "noisy floor has no sharper onset)"
)


def margin(kind: str, n: int) -> tuple[int, int]:
    """(points before, points after) the onset within which an alarm finds ``kind``."""
    if kind in SHARP:
        return 2, 3
    if kind == "collapse":
        return 3, max(5, n // 20)
    if kind == "stall":
        return max(5, n // 10), max(5, n // 10)
    if kind == "slow_divergence":
        return max(3, n // 20), max(10, n // 4)
    if kind == "overfit":
        return max(2, n // 8), max(3, n // 4)
    raise ValueError(f"no time margin for class {kind!r} (classes: {', '.join(CLASSES)})")


@dataclass(frozen=True)
class Label:
    """What happened: ``kind`` (a ``CLASSES`` name or ``"healthy"``), the metrics it shows in
    (an alarm on any of them counts), the onset as a step (``axis="step"``) or a 0-based epoch
    index (``axis="epoch"``), and the size grade."""

    kind: str
    metrics: tuple[str, ...]
    onset: float | None = None
    axis: str = "step"
    grade: str = ""


@dataclass(frozen=True)
class Alarm:
    """A detector fired on ``metric`` at ``position`` (0-based, in that metric's series)."""

    metric: str
    position: int
    kind: str = ""


@dataclass(frozen=True)
class Outcome:
    """One detector on one run: found the label or not, the delay of the earliest alarm that
    found it (points, negative when early), the stray alarms, the kind that found it and the
    kinds of the stray alarms."""

    found: bool
    delay: int | None
    stray: int
    kind: str = ""
    stray_kinds: tuple[str, ...] = ()


class Axes:
    """The step and 0-based epoch index of each point of each metric of a ``Run``, in the order
    ``Run.series`` returns them (the order the baselines read)."""

    def __init__(self, run) -> None:
        self._run = run
        self._cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def __contains__(self, metric: str) -> bool:
        return self._run.has(metric)

    def of(self, metric: str) -> tuple[np.ndarray, np.ndarray]:
        if metric not in self._cache:
            from reporter.ingest.run import epoch_index

            rows = self._run.series(metric)
            steps = rows["step"].to_numpy(dtype=float, na_value=np.nan)
            progress = self._run.meta.get("epoch_kind") == "progress"
            epochs = np.array([epoch_index(e, progress) if np.isfinite(e) else np.nan
                               for e in rows["epoch"].to_numpy(dtype=float)], dtype=float)
            self._cache[metric] = (steps, epochs)
        return self._cache[metric]

    def length(self, metric: str) -> int:
        return len(self.of(metric)[0])

    def position(self, metric: str, x: float, axis: str) -> int:
        """The point of ``metric`` at ``x``: the nearest step, or the last point of epoch
        ``x`` (the one a per-epoch view keeps); the nearest epoch when none is at ``x``."""
        steps, epochs = self.of(metric)
        if axis == "step" and np.isfinite(steps).any():
            return int(np.nanargmin(np.abs(steps - x)))
        if not np.isfinite(epochs).any():
            return int(np.nanargmin(np.abs(steps - x)))
        hits = np.nonzero(epochs == x)[0]
        if len(hits):
            return int(hits[-1])
        dist = np.abs(epochs - x)
        return int(np.nonzero(dist == np.nanmin(dist))[0][-1])


def score(alarms: list[Alarm], label: Label, axes: Axes | None) -> Outcome:
    """Match ``alarms`` against ``label`` (``axes`` places the onset in each metric)."""
    found: list[tuple[int, str]] = []
    stray: list[str] = []
    for alarm in alarms:
        if label.kind != "healthy" and alarm.metric in label.metrics and axes is not None \
                and alarm.metric in axes:
            q = axes.position(alarm.metric, label.onset, label.axis)
            before, after = margin(label.kind, axes.length(alarm.metric))
            delay = alarm.position - q
            if -before <= delay <= after:
                found.append((delay, alarm.kind))
                continue
        stray.append(alarm.kind)
    if not found:
        return Outcome(False, None, len(stray), "", tuple(stray))
    delay, kind = min(found)
    return Outcome(True, delay, len(stray), kind, tuple(stray))


@dataclass
class Tally:
    """Scores of one detector over one group of runs (a class, a grade, a family)."""

    runs: int = 0
    found: int = 0
    delays: list[int] | None = None
    stray: int = 0
    runs_with_stray: int = 0

    def add(self, outcome: Outcome) -> None:
        self.runs += 1
        self.found += outcome.found
        self.stray += outcome.stray
        self.runs_with_stray += outcome.stray > 0
        if outcome.delay is not None:
            self.delays = [*(self.delays or []), outcome.delay]

    @property
    def recall(self) -> float:
        return self.found / self.runs if self.runs else float("nan")

    @property
    def median_delay(self) -> float | None:
        return float(np.median(self.delays)) if self.delays else None

    @property
    def stray_per_run(self) -> float:
        return self.stray / self.runs if self.runs else float("nan")

    @property
    def share_with_stray(self) -> float:
        return self.runs_with_stray / self.runs if self.runs else float("nan")


def tally(outcomes: list[Outcome]) -> Tally:
    t = Tally()
    for o in outcomes:
        t.add(o)
    return t
