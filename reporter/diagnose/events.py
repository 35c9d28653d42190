"""One event seen on two curves: a validation spike that a training spike had already begun.

A validation loss is evaluated every few steps, so a spike that starts between two
evaluations shows there only at the next one. When a spike on another loss curve begins in
that gap and has not recovered by the evaluation that shows it, both findings are one event:
the later one says where the event began (``evidence["began_in"]``, ``["began_at"]``), and the
report names the event by that start.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from reporter.diagnose.findings import Finding
    from reporter.diagnose.series import Curve


def link_events(findings: list[Finding], found: dict[str, Curve]) -> list[Finding]:
    """``findings`` with each spike that another curve's spike began marked with its start."""
    spikes = [f for f in findings if f.kind == "spike"]
    out = []
    for f in findings:
        first = began_earlier(f, spikes, found.get(f.metric)) if f.kind == "spike" else None
        if first is not None:
            f = replace(f, evidence={**f.evidence, "began_in": first.metric,
                                     "began_at": first.evidence["onset"]})
        out.append(f)
    return out


def began_earlier(spike: Finding, spikes: list[Finding], curve: Curve | None) -> Finding | None:
    """The earliest spike on another curve of the same axis that began after ``curve``'s last
    point before ``spike``'s onset, before that onset, and was not over by it."""
    if curve is None:
        return None
    onset = float(spike.evidence["onset"])
    earlier = curve.x[curve.x < onset]
    gap_start = float(np.max(earlier)) if earlier.size else -np.inf
    axis = spike.evidence.get("axis")
    candidates = [
        g for g in spikes
        if g.metric != spike.metric and g.evidence.get("axis") == axis
        and gap_start < float(g.evidence["onset"]) < onset
        and (not g.evidence.get("recovered") or float(g.evidence["recovered_at"]) >= onset)
    ]
    return min(candidates, key=lambda g: float(g.evidence["onset"]), default=None)
