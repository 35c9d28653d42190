"""How early a live check would have caught each finding, and the live guards replayed.

An *online* check reads the log as it grows. Our spike rule tests each point against the points
before it (its level and its noise come from earlier points only, except for a spike in the
first ``EARLY_SPIKE_POINTS`` points, whose noise is also measured after it), so run live it
fires at the spike's onset; a non-finite loss fires where it appears. For each finding at
warning or above with a worse point after its onset (a spike's peak, a divergence's first
non-finite value), :func:`early_warnings` gives the lead: how far before that point the check
fired. :func:`live_guards` replays the guards of :mod:`reporter.diagnose.guards` over the
training loss and scores them against the findings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from reporter.diagnose.guards import GuardReplay, Window, replay_guards
from reporter.diagnose.spikes import NOISE_PREFIX_RESIDUALS, NOISE_WINDOW

if TYPE_CHECKING:
    from reporter.diagnose import Diagnosis, Finding
    from reporter.diagnose.series import Curve

__all__ = ["EarlyWarning", "LiveGuards", "early_warnings", "live_guards"]

ALARM_SEVERITIES = ("warning", "critical")
#: findings whose onset is followed by a worse point an early stop would have avoided
EVENT_KINDS = ("spike", "divergence", "collapse")
#: below this position a spike's noise is also measured after it (spikes._noise: fewer than
#: NOISE_PREFIX_RESIDUALS full windows before it), so the rule does not run live as it is
EARLY_SPIKE_POINTS = NOISE_PREFIX_RESIDUALS + 2 * (NOISE_WINDOW // 2)


@dataclass(frozen=True)
class EarlyWarning:
    """One finding's lead time: where our rule, run live, fires and the worse point after it.

    ``worst`` names that point (``"first non-finite value"``, ``"peak"``, ``"plateau"``);
    ``lead`` is ``worst_at - fired_at`` in the curve's own units (steps or epochs), and
    ``lead_points`` the logged points between them.
    """

    kind: str
    metric: str
    axis: str
    fired_at: float
    worst: str
    worst_at: float
    lead: float
    lead_points: int
    exact: bool


@dataclass(frozen=True)
class LiveGuards:
    """The live guards over the training loss: what each would have done on this run.

    ``per_point`` is the median step between logged points: the callbacks see every batch, so
    above 1 their windows span more steps here than in the run, and ``exact`` is False.
    """

    metric: str
    axis: str
    points: int
    per_point: float
    exact: bool
    replays: tuple[GuardReplay, ...]


def _index(curve: Curve, x: float | None) -> int | None:
    if x is None:
        return None
    i = int(np.searchsorted(curve.x, x, side="left"))
    return min(i, len(curve) - 1)


def _worst(f: Finding) -> tuple[str, float | None]:
    ev = f.evidence
    if f.kind == "divergence":
        return "first non-finite value", ev.get("first_nonfinite")
    if f.kind == "spike":
        return "peak", ev.get("peak")
    return "plateau", f.start


def _fired_at(f: Finding, findings: list[Finding], worst_at: float) -> float | None:
    """Where our rule, live, first fires on the way to ``worst_at``: the finding's own start,
    or an earlier spike on the same curve still unrecovered at that point."""
    starts = [f.start] if f.start is not None else []
    for other in findings:
        ev = other.evidence
        if other.kind != "spike" or other.metric != f.metric or other.start is None:
            continue
        back = ev.get("recovered_at")
        if other.start <= worst_at and (back is None or back >= worst_at):
            starts.append(other.start)
    return min(starts) if starts else None


def early_warnings(diagnosis: Diagnosis) -> tuple[EarlyWarning, ...]:
    """The lead time of every spike, divergence and collapse at warning or above."""
    out = []
    for f in diagnosis.findings:
        curve = diagnosis.curves.get(f.metric)
        if f.kind not in EVENT_KINDS or f.severity not in ALARM_SEVERITIES or curve is None:
            continue
        worst, worst_at = _worst(f)
        fired = _fired_at(f, diagnosis.findings, worst_at) if worst_at is not None else None
        if fired is None or worst_at is None:
            continue
        i, j = _index(curve, fired), _index(curve, worst_at)
        early = f.kind == "spike" and i is not None and i < EARLY_SPIKE_POINTS
        out.append(EarlyWarning(
            kind=f.kind, metric=f.metric, axis=curve.axis, fired_at=float(fired),
            worst=worst, worst_at=float(worst_at), lead=float(worst_at - fired),
            lead_points=int((j or 0) - (i or 0)), exact=not early,
        ))
    return tuple(out)


def _windows(diagnosis: Diagnosis, curve: Curve) -> list[Window]:
    """The span of each finding at warning or above on ``curve``, by position."""
    out = []
    for f in diagnosis.findings:
        if f.metric != curve.metric or f.severity not in ALARM_SEVERITIES or f.start is None:
            continue
        _what, worst_at = _worst(f)
        start = _index(curve, f.start) or 0
        worst = _index(curve, worst_at if worst_at is not None else f.start) or start
        back = f.evidence.get("recovered_at") if f.kind == "spike" else f.end
        end = _index(curve, back) if back is not None else len(curve) - 1
        out.append(Window(start, max(worst, start), max(end or 0, worst, start)))
    return out


def live_guards(diagnosis: Diagnosis, metric: str = "train/loss") -> LiveGuards | None:
    """Every guard of :data:`reporter.diagnose.guards.GUARDS` over the run's training loss."""
    curve = diagnosis.curves.get(metric)
    if curve is None or len(curve) < 2:
        return None
    grad = diagnosis.curves.get("grad_norm")
    aligned = grad.y if grad is not None and np.array_equal(grad.x, curve.x) else None
    steps = np.diff(curve.x)
    per_point = float(np.median(steps)) if len(steps) else 1.0
    replays = replay_guards(curve.x, curve.y, _windows(diagnosis, curve), metric=metric,
                            axis=curve.axis, grad_norm=aligned)
    return LiveGuards(metric=metric, axis=curve.axis, points=len(curve), per_point=per_point,
                      exact=curve.axis == "step" and per_point == 1.0, replays=replays)
