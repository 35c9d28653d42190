"""A part of a summed training loss (Ultralytics box, cls and dfl losses): its own spikes and
slow rises, which the total dilutes.

Ultralytics logs no total; the reader sums the parts into ``train/loss`` and records them in
``meta["loss_parts"]``. A part that jumps 1.5× while the others hold moves the total by far
less, below the spike rule's ratio, yet it is the same failure. Each part is read by the spike
and slow-divergence rules; a finding is kept only when the part *owns* the rise: at least
``OWN_SHARE`` of the total's rise over the same points is the part's own (when every part
rises together, say at an epoch boundary where a per-batch running mean restarts, the total
is the curve to judge, and the total's own rules do).
"""

from __future__ import annotations

import numpy as np

from reporter.diagnose.findings import Finding
from reporter.diagnose.series import Curve
from reporter.diagnose.spikes import LEVEL_POINTS

OWN_SHARE = 0.5
OWN_TEXT = (f"kept when the part owns the rise: at least {OWN_SHARE:.0%} of the total's rise "
            "over the same points (from the level before it, the median of the "
            f"{LEVEL_POINTS} points before a spike; from the lowest level for a slow rise) "
            "is this part's")


def part_findings(part: Curve, total: Curve | None) -> list[Finding]:
    """Non-finite values, spikes and (without a spike) a slow rise of one part of ``total``,
    each kept when the part owns the rise (``OWN_SHARE``)."""
    from reporter.diagnose.divergence import find_divergence
    from reporter.diagnose.no_progress import find_slow_divergence
    from reporter.diagnose.spike_findings import spike_findings

    div = find_divergence(part)
    spikes = [f for f in spike_findings(part) if _owns_spike(f, part, total)]
    rise = None if div or spikes else find_slow_divergence(part)
    if rise is not None and not _owns_rise(rise, part, total):
        rise = None
    return [f for f in (div, *spikes, rise) if f is not None]


def _aligned(part: Curve, total: Curve | None) -> bool:
    return total is not None and len(total) == len(part) and np.array_equal(total.x, part.x)


def _owns(rise_part: float, rise_total: float) -> bool:
    """The part's rise is at least ``OWN_SHARE`` of the total's (any rise owns a total that
    did not rise)."""
    return rise_total <= 0 or rise_part >= OWN_SHARE * rise_total


def _owns_spike(f: Finding, part: Curve, total: Curve | None) -> bool:
    if not _aligned(part, total):
        return True
    i = int(f.evidence["onset_index"])
    before = total.y[max(i - LEVEL_POINTS, 0):i]
    before = before[np.isfinite(before)]
    if not len(before) or not np.isfinite(total.y[i]):
        return True
    part_rise = f.evidence["onset_value"] - (f.evidence["level_before"] or 0.0)
    return _owns(part_rise, float(total.y[i] - np.median(before)))


def _owns_rise(f: Finding, part: Curve, total: Curve | None) -> bool:
    if not _aligned(part, total):
        return True
    from reporter.diagnose.spikes import centred_median

    ev = f.evidence
    low = int(np.searchsorted(part.x, ev["lowest_at"]))
    smooth = centred_median(total.y, ev["smoothing_points"])
    end = float(np.nanmedian(total.y[-ev["tail_points"]:]))
    return _owns(ev["end_level"] - ev["lowest_level"], end - float(smooth[low]))
