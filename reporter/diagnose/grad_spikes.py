"""Gradient-norm spikes: the logged grad norm jumps far above its recent level.

A jump of the gradient norm is an update many times larger than its neighbours. Whether it
harmed the run shows in the loss: a loss that jumps at the same point reacted (the update went
through), one that did not may have been protected by gradient clipping, or the batch was an
outlier the optimiser absorbed. Either way it is worth knowing where it happened: repeated
grad-norm spikes often precede a loss spike or a divergence.
"""

from __future__ import annotations

import numpy as np

from reporter.diagnose.findings import Finding
from reporter.diagnose.series import Curve
from reporter.diagnose.spikes import LEVEL_POINTS, NOISE_MULTIPLE, SPIKE_RATIO, find_spikes
from reporter.report.filters import fmt_number, fmt_ratio

GRAD_RATIO = 3.0
GRAD_NOISE_MULTIPLE = 5.0
REACTION_POINTS = 2
CRITERION = (
    f"a logged gradient norm ≥ {GRAD_RATIO:g}× the median of the {LEVEL_POINTS} points before "
    f"it and ≥ {GRAD_NOISE_MULTIPLE:g}× the grad norm's own noise above it (the spike rule of "
    f"the loss, with {GRAD_RATIO:g}× in place of {SPIKE_RATIO:g}× and {GRAD_NOISE_MULTIPLE:g}× "
    f"in place of {NOISE_MULTIPLE:g}× the noise, and without the loss's tail test for a lone "
    "point: a grad norm's jump is wider than its noise suggests, is one step by nature, and is "
    "judged on its own, with the loss's reaction beside it); the "
    f"loss *reacted* when it is ≥ {SPIKE_RATIO:g}× the median of its {LEVEL_POINTS} points "
    f"before, within {REACTION_POINTS} logged points after the jump"
)


def find_grad_spikes(grad: Curve | None, loss: Curve | None) -> list[Finding]:
    """One warning per spike of the logged gradient norm, with the loss's reaction."""
    if grad is None or len(grad) < 3:
        return []
    return [_finding(grad, loss, s) for s in find_spikes(
        grad.y, ratio=GRAD_RATIO, noise_multiple=GRAD_NOISE_MULTIPLE, tail=False)]


def _finding(grad: Curve, loss: Curve | None, s) -> Finding:
    x = float(grad.x[s.onset])
    reaction = _reaction(loss, x)
    reacted = reaction is not None and reaction >= SPIKE_RATIO
    if reaction is None:
        what = "no loss was logged there to tell whether it reacted"
    elif reacted:
        what = f"the loss jumped with it (×{reaction:.3g} its level)"
    else:
        what = "the loss did not react"
    level = s.level or s.best_before
    ratio = s.peak_value / level if level else float("inf")
    return Finding(
        kind="grad_spike",
        severity="warning",
        title=f"grad_norm jumped to {fmt_number(s.peak_value)} ({fmt_ratio(ratio)} its level "
        f"{fmt_number(level)}) at {grad.label(s.onset)}; {what}",
        metric=grad.metric,
        start=x,
        end=float(grad.x[s.end]) if s.end is not None else None,
        evidence={
            "onset": x,
            "peak": float(grad.x[s.peak]),
            "peak_value": s.peak_value,
            "level_before": level,
            "ratio": ratio,
            "recovered": s.recovered,
            "loss_metric": loss.metric if loss is not None else None,
            "loss_ratio": reaction,
            "loss_reacted": reacted,
            "axis": grad.axis,
        },
        criterion=CRITERION,
        caveats=("Whether gradient clipping bounded the update cannot be read from the grad "
                 "norm alone (it is usually logged before clipping): compare the jump with "
                 "your max_grad_norm.",),
    )


def _reaction(loss: Curve | None, x: float) -> float | None:
    """The loss's largest ratio to its level before ``x``, within ``REACTION_POINTS`` after."""
    if loss is None or len(loss) < 2:
        return None
    i = int(np.searchsorted(loss.x, x))
    before = loss.y[max(i - LEVEL_POINTS, 0):i]
    before = before[np.isfinite(before)]
    after = loss.y[i:i + REACTION_POINTS + 1]
    after = after[np.isfinite(after)]
    if not len(before) or not len(after):
        return None
    level = float(np.median(before))
    return float(after.max() / level) if level > 0 else None
