"""Detectors over a Run's loss curves, each returning findings with evidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reporter.diagnose.findings import Finding

if TYPE_CHECKING:
    from reporter.diagnose.series import Curve
    from reporter.ingest.run import Run

__all__ = ["Diagnosis", "Finding", "diagnose"]


@dataclass
class Diagnosis:
    """All findings for one run, most severe first, and the curves they were read from."""

    findings: list[Finding] = field(default_factory=list)
    curves: dict[str, Curve] = field(default_factory=dict)

    def first(self, kind: str, metric: str | None = None) -> Finding | None:
        return next(
            (f for f in self.findings if f.kind == kind and (metric is None or f.metric == metric)),
            None,
        )

    @property
    def primary_spike(self) -> Finding | None:
        """The spike the report is about: one that did not recover first, then the largest
        (validation loss preferred), then the earliest."""
        spikes = [f for f in self.findings if f.kind == "spike"]
        if not spikes:
            return None
        return min(spikes, key=lambda f: (f.evidence["recovered"], f.metric != "val/loss",
                                          -round(f.evidence["ratio"], 1), f.start))

    @property
    def primary_collapse(self) -> Finding | None:
        """The collapse on the primary spike's metric, else any."""
        spike = self.primary_spike
        return self.first("collapse", spike.metric if spike else None) or self.first("collapse")

    @property
    def severity(self) -> str:
        order = {"critical": 2, "warning": 1, "info": 0}
        return max((f.severity for f in self.findings), key=order.get, default="info")

    def to_dict(self) -> dict:
        spike, collapse = self.primary_spike, self.primary_collapse
        return {
            "severity": self.severity,
            "findings": [f.to_dict() for f in self.findings],
            "primary_spike": spike.to_dict() if spike else None,
            "primary_collapse": collapse.to_dict() if collapse else None,
        }


def diagnose(run: Run) -> Diagnosis:
    """Run every detector over the run's loss curves."""
    from reporter.diagnose.collapse import find_collapse
    from reporter.diagnose.divergence import find_divergence
    from reporter.diagnose.reaction import overfitting, slow_reaction
    from reporter.diagnose.series import LOSS_METRICS, curves
    from reporter.diagnose.spike_findings import spike_findings

    found = curves(run)
    findings: list[Finding] = []
    for metric in LOSS_METRICS:
        curve = found.get(metric)
        if curve is None:
            continue
        div = find_divergence(curve)
        if div:
            findings.append(div)
        spikes = spike_findings(curve)
        findings.extend(spikes)
        after = int(spikes[-1].evidence["onset_index"]) if spikes else None
        col = find_collapse(curve, start=after) if spikes else None
        if col:
            findings.append(col)
    diagnosis = Diagnosis(findings, found)
    spike = diagnosis.primary_spike
    if spike is not None:
        ref = found.get(spike.metric)
        late = None
        if not spike.evidence["recovered"]:
            late = slow_reaction(spike, found.get("lr"), float(ref.x[-1]) if ref else 0.0)
        if late:
            findings.append(late)
    over = overfitting(found.get("train/loss"), found.get("val/loss"))
    if over and spike is None:
        findings.append(over)
    order = {"critical": 0, "warning": 1, "info": 2}
    findings.sort(key=lambda f: (order[f.severity], f.start if f.start is not None else 0))
    return diagnosis
