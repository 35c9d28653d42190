"""Detectors over a Run's loss curves, each returning findings with evidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reporter.diagnose.coverage import Check
from reporter.diagnose.findings import Finding

if TYPE_CHECKING:
    from reporter.diagnose.selection import Selection
    from reporter.diagnose.series import Curve
    from reporter.ingest.run import Run

__all__ = ["Diagnosis", "Finding", "diagnose"]


@dataclass
class Diagnosis:
    """All findings for one run, most severe first, and the curves they were read from."""

    findings: list[Finding] = field(default_factory=list)
    curves: dict[str, Curve] = field(default_factory=dict)
    #: which checks ran on which curves, and why the others were skipped
    coverage: list[Check] = field(default_factory=list)
    #: the run's own best checkpoint and the metric it selects by (HF trainer state)
    selection: Selection | None = None

    def first(self, kind: str, metric: str | None = None) -> Finding | None:
        return next(
            (f for f in self.findings if f.kind == kind and (metric is None or f.metric == metric)),
            None,
        )

    @property
    def primary_spike(self) -> Finding | None:
        """The spike the report is about.

        One that did not recover comes first, then one open at the end of the log, then a
        recovered one; among those, validation loss first, then the largest (ratio to 0.1),
        then the latest.
        """
        spikes = [f for f in self.findings if f.kind == "spike"]
        if not spikes:
            return None
        return min(spikes, key=_spike_rank)

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


def _spike_rank(f: Finding) -> tuple:
    ev = f.evidence
    status = 2 if ev["recovered"] else (1 if ev.get("open_at_end") else 0)
    return (status, f.metric != "val/loss", -round(ev["ratio"], 1), -(f.start or 0.0))


def diagnose(run: Run) -> Diagnosis:
    """Run every detector over the run's loss curves."""
    from reporter.diagnose.coverage import coverage
    from reporter.diagnose.reaction import overfitting, slow_reaction
    from reporter.diagnose.selection import find_selection, with_selection
    from reporter.diagnose.series import LOSS_METRICS, curves, train_loss_parts

    found = curves(run)
    # a GAN's generator loss plays against the discriminator: its level need not fall, so
    # only the event rules (NaN, spike, collapse) judge it, not the trend rules
    adversarial = run.meta.get("train_loss_role") == "generator"
    findings: list[Finding] = []
    for metric in LOSS_METRICS:
        curve = found.get(metric)
        if curve is not None:
            findings.extend(_curve_findings(
                curve, trend=not (adversarial and metric == "train/loss")))
    from reporter.diagnose.grad_spikes import find_grad_spikes
    from reporter.diagnose.parts import part_findings

    findings.extend(find_grad_spikes(found.get("grad_norm"), found.get("train/loss")))
    beside = _event_curves(found, parts := train_loss_parts(run))
    for metric in beside:
        findings.extend(part_findings(found[metric], found.get("train/loss")) if metric in parts
                        else _event_findings(found[metric]))
    watched = found.get("val/loss") or found.get("train/loss")
    findings.extend(_context_findings(run, found, watched))
    diagnosis = Diagnosis(findings, found)
    spike = diagnosis.primary_spike
    stuck = spike is not None and not spike.evidence["recovered"] \
        and not spike.evidence.get("open_at_end")
    if stuck:
        ref = found.get(spike.metric)
        late = slow_reaction(spike, found.get("lr"), float(ref.x[-1]) if ref else 0.0)
        if late:
            findings.append(late)
    evals = tuple(found[name] for name in _validation_curves(found))
    diagnosis.selection = find_selection(run)
    for val in evals:
        over = overfitting(found.get("train/loss"), val, evals)
        if over and val.metric == "val/loss":
            over, diagnosis.selection = with_selection(over, diagnosis.selection, run, val)
        if over:
            findings.append(over)
    # after every rule on the curve; a GAN generator's loss need not fall (see above)
    if not (adversarial and watched is not None and watched.metric == "train/loss"):
        findings.extend(_flat_tail(findings, watched))
    losses = [m for m in LOSS_METRICS if m in found]
    diagnosis.coverage = coverage(
        run, found, [*losses, *beside], [c.metric for c in evals],
        trend=[m for m in losses if not (adversarial and m == "train/loss")],
        spike_stuck=stuck, tail_loss=watched.metric if watched is not None else None)
    order = {"critical": 0, "warning": 1, "info": 2}
    findings.sort(key=lambda f: (order[f.severity], f.start if f.start is not None else 0))
    from reporter.diagnose.events import link_events

    findings[:] = link_events(findings, found)
    return diagnosis


def _context_findings(run: Run, found: dict[str, Curve], watched: Curve | None) -> list[Finding]:
    """The log's fatal lines (a text log) and a long flat tail at the minimum LR."""
    from reporter.diagnose.crashes import crash_findings
    from reporter.diagnose.lr_tail import find_lr_floor_tail

    out = crash_findings(run, watched)
    tail = find_lr_floor_tail(found.get("lr"), watched)
    return [*out, tail] if tail else out


def _flat_tail(findings: list[Finding], watched: Curve | None) -> list[Finding]:
    """The info finding of a long stretch without gain, on a curve with no other finding."""
    from reporter.diagnose.lr_tail import find_flat_tail

    if watched is None or any(f.metric == watched.metric for f in findings):
        return []
    flat = find_flat_tail(watched)
    return [flat] if flat else []


def _validation_curves(found: dict[str, Curve]) -> list[str]:
    """``val/loss`` and every other evaluation set's loss among the curves."""
    from reporter.ingest.aliases import loss_kind

    return [name for name in found if name == "val/loss"
            or ((kind := loss_kind(name)) is not None and kind.role == "val")]


def _event_curves(found: dict[str, Curve], parts: tuple[str, ...]) -> list[str]:
    """The loss curves beside the analysed ones that the event rules read too: a GAN's
    discriminator loss (a spike or a NaN there is the same failure as on the generator's) and
    the parts a training loss is the sum of (a spike of one part is diluted in the total)."""
    from reporter.ingest.aliases import loss_kind

    return [name for name in found if name not in ("train/loss", "val/loss") and (
        name in parts or ((kind := loss_kind(name)) is not None
                          and kind.role == "discriminator"))]


def _event_findings(curve: Curve) -> list[Finding]:
    """The event rules alone (non-finite values, spikes) on a GAN's discriminator loss (its
    level may rise by design: no trend rule)."""
    from reporter.diagnose.divergence import find_divergence
    from reporter.diagnose.spike_findings import spike_findings

    div = find_divergence(curve)
    return [*([div] if div else []), *spike_findings(curve)]


def _curve_findings(curve: Curve, *, trend: bool = True) -> list[Finding]:
    """Divergence, spikes, the collapse after the last spike, and no progress for one curve.

    No progress is left out when the curve diverged, collapsed or has a spike that did not
    recover: those say why the loss ended high. ``trend=False`` leaves out the rules on the
    loss's level over time (no progress, stall, slow divergence).
    """
    from reporter.diagnose.collapse import find_collapse
    from reporter.diagnose.divergence import find_divergence
    from reporter.diagnose.no_progress import find_no_progress, find_slow_divergence, find_stall
    from reporter.diagnose.spike_findings import spike_findings

    out: list[Finding] = []
    div = find_divergence(curve)
    if div:
        out.append(div)
    spikes = spike_findings(curve)
    out.extend(spikes)
    col = find_collapse(curve, start=int(spikes[-1].evidence["onset_index"]) if spikes else 0)
    if col:
        out.append(col)
    stuck = any(not f.evidence["recovered"] and not f.evidence["open_at_end"] for f in spikes)
    if trend and not (div or col or stuck):
        # a training loss that fell and then climbed back above its first value did go down:
        # the slow climb is the finding, not "no progress"; a validation loss that levels off
        # while the training loss falls is the usual end of learning, not a stall: the stall
        # is read on the training loss
        train = curve.metric == "train/loss"
        trend_finding = (find_slow_divergence(curve) if train and not spikes else None) \
            or find_no_progress(curve) or (find_stall(curve) if train else None)
        if trend_finding:
            out.append(trend_finding)
    return out
