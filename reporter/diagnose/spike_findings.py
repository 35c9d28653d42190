"""Turn spike episodes of a loss curve into findings with their evidence."""

from __future__ import annotations

from reporter.diagnose.findings import Finding, fmt_ratio
from reporter.diagnose.series import Curve
from reporter.diagnose.spikes import CRITERION, Spike, find_spikes

STEP_WINDOW = 5


def spike_findings(curve: Curve) -> list[Finding]:
    """One finding per spike of ``curve``; per-step curves are compared as rolling medians."""
    window = STEP_WINDOW if curve.axis == "step" else 1
    out = []
    for spike in find_spikes(curve.y, window=window):
        out.append(_finding(curve, spike, window))
    return out


def _finding(curve: Curve, s: Spike, window: int) -> Finding:
    x = curve.x
    where = curve.label(s.onset)
    recovered = (
        f"recovered at {curve.label(s.end)}" if s.recovered else "did not recover before the end"
    )
    caveats = []
    if window > 1:
        caveats.append(f"compared as a rolling median over {window} logged points")
    if curve.smoothing and curve.metric == "train/loss":
        caveats.append(f"the log holds each training loss as a {curve.smoothing}, so short "
                       "spikes look smaller than they were")
    return Finding(
        kind="spike",
        severity="critical" if not s.recovered else "warning",
        title=f"{curve.metric} spiked at {where} ({fmt_ratio(s.ratio)} its best), {recovered}",
        metric=curve.metric,
        start=float(x[s.onset]),
        end=float(x[s.end]) if s.end is not None else None,
        evidence={
            "onset": float(x[s.onset]),
            "onset_index": s.onset,
            "onset_value": s.onset_value,
            "peak": float(x[s.peak]),
            "peak_value": s.peak_value,
            "best_before": s.best_before,
            "best_at": float(x[s.best_index]),
            "ratio": s.ratio,
            "recovered": s.recovered,
            "recovered_at": float(x[s.end]) if s.end is not None else None,
            "axis": curve.axis,
        },
        criterion=CRITERION,
        caveats=tuple(caveats),
    )
