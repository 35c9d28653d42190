"""Turn spike episodes of a loss curve into findings with their evidence."""

from __future__ import annotations

from reporter.diagnose.findings import Finding
from reporter.diagnose.series import Curve
from reporter.diagnose.spikes import CRITERION, Spike, find_spikes
from reporter.report.filters import fmt_ratio


def spike_findings(curve: Curve) -> list[Finding]:
    """One finding per spike of ``curve``, found on its logged values (per step too)."""
    return [_finding(curve, spike) for spike in find_spikes(curve.y)]


def _title(curve: Curve, s: Spike) -> str:
    where = curve.label(s.onset)
    ratio = f"{fmt_ratio(s.ratio)} its best"
    if s.open_at_end:
        last = s.onset == len(curve) - 1
        at = "the last logged point" if last else "one point before the end of the log"
        return (f"{curve.metric} spiked at {where} ({ratio}), {at}; too late to tell whether "
                "it recovers")
    recovered = (
        f"recovered at {curve.label(s.end)}" if s.recovered else "did not recover before the end"
    )
    return f"{curve.metric} spiked at {where} ({ratio}), {recovered}"


def _severity(s: Spike) -> str:
    return "warning" if s.recovered or s.open_at_end else "critical"


def _caveats(curve: Curve, s: Spike) -> tuple[str, ...]:
    caveats = []
    if curve.smoothing and curve.metric == "train/loss":
        caveats.append(f"the log holds each training loss as a {curve.smoothing}, so short "
                       "spikes look smaller than they were")
    if s.open_at_end:
        caveats.append("the log ends right after the rise: it may be a one-point blip or the "
                       "start of a lasting spike; a longer log tells which")
    return tuple(caveats)


def _finding(curve: Curve, s: Spike) -> Finding:
    x = curve.x
    return Finding(
        kind="spike",
        severity=_severity(s),
        title=_title(curve, s),
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
            "open_at_end": s.open_at_end,
            "points_after_onset": len(curve) - 1 - s.onset,
            "level_before": s.level,
            "detected_at": float(x[s.detected_onset]) if s.detected_onset is not None else None,
            "noise": s.noise,
        },
        criterion=CRITERION,
        caveats=_caveats(curve, s),
    )
