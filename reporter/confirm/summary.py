"""Judge confirmation curves with the same detectors that judged the user's run."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from reporter.confirm.stats import BOOTSTRAP_RESAMPLES, bootstrap_median, wilson
from reporter.diagnose.collapse import find_collapse
from reporter.diagnose.series import Curve
from reporter.diagnose.spikes import find_spikes

#: a seed's outcome, worst first: the first that applies names it
OUTCOMES = ("diverged", "collapsed", "unrecovered_spike", "recovered_bump", "ok")
FAILURES = OUTCOMES[:3]


@dataclass(frozen=True)
class SeedOutcome:
    """One confirmation training, judged with the detectors that judged the run.

    ``outcome`` is the worst of :data:`OUTCOMES` that applies: ``diverged`` (a NaN or
    infinite loss), ``collapsed`` (a spike followed by a flat plateau at or above the first
    level, the run's collapse rule), ``unrecovered_spike`` (a spike not back to its level by
    the end, or too late to tell), ``recovered_bump`` (spikes that all recovered) or ``ok``.
    ``spike_epoch`` is the onset of the first spike and ``spike_onsets`` of every one;
    ``stopped_at`` the last epoch trained when early stopping ended the trial.
    """

    seed: int
    spiked: bool
    spike_epoch: int | None
    collapsed: bool
    diverged: bool
    best_val: float | None
    final_val: float | None
    epochs: int
    stopped_at: int | None
    outcome: str = "ok"
    spike_onsets: tuple[int, ...] = ()

    @property
    def failed(self) -> bool:
        return self.outcome in FAILURES


@dataclass(frozen=True)
class TrialSummary:
    """One setting over its seeds; every number measured.

    ``failed`` counts the seeds that diverged, collapsed or ended with an unrecovered spike
    (each seed once, under its worst outcome: ``diverged`` + ``collapsed`` +
    ``unrecovered_spike`` = ``failed``); ``recovered_bump`` the seeds whose every spike
    recovered (not failures); ``spiked`` every seed with any spike. ``failed_interval`` is the
    95% Wilson interval of the failure rate ``failed / n``; ``best_val_interval`` the 95%
    percentile-bootstrap interval (``bootstrap_resamples`` resamples, fixed seed) of the
    median best validation loss. ``early_stopped`` counts the seeds that early stopping
    ended, ``stopped_epochs`` the last epoch each of them trained (0-based, seed order).
    """

    seeds: tuple[SeedOutcome, ...]
    n: int
    spiked: int
    collapsed: int
    diverged: int
    failed: int
    median_best_val: float | None
    min_best_val: float | None
    max_best_val: float | None
    median_final_val: float | None
    median_epochs: float | None
    seconds: float
    unrecovered_spike: int = 0
    recovered_bump: int = 0
    failed_interval: tuple[float, float] = (0.0, 1.0)
    best_val_interval: tuple[float, float] | None = None
    bootstrap_resamples: int = BOOTSTRAP_RESAMPLES
    early_stopped: int = 0
    stopped_epochs: tuple[int, ...] = ()


if TYPE_CHECKING:
    from reporter.confirm import ConfirmationResult, SeedCurve


def judge_seed(curve: SeedCurve) -> SeedOutcome:
    """Spike, collapse and divergence of one seed's validation loss, plus its levels."""
    val = np.asarray(curve.val_loss, dtype=float)
    spikes = find_spikes(val)
    collapse = (
        find_collapse(
            Curve("val/loss", np.arange(len(val), dtype=float), val),
            start=spikes[-1].onset if spikes else None,
        )
        if spikes
        else None
    )
    finite = val[np.isfinite(val)]
    diverged, collapsed = bool(curve.diverged), collapse is not None
    outcome = _outcome(diverged, collapsed, [s.recovered for s in spikes])
    return SeedOutcome(
        seed=curve.seed,
        spiked=bool(spikes),
        spike_epoch=spikes[0].onset if spikes else None,
        collapsed=collapsed,
        diverged=diverged,
        best_val=float(finite.min()) if len(finite) else None,
        final_val=float(val[-1]) if len(val) else None,
        epochs=int(curve.epochs_trained),
        stopped_at=curve.stopped_at,
        outcome=outcome,
        spike_onsets=tuple(int(s.onset) for s in spikes),
    )


def _outcome(diverged: bool, collapsed: bool, recovered: list[bool]) -> str:
    if diverged:
        return "diverged"
    if collapsed:
        return "collapsed"
    if recovered and not all(recovered):
        return "unrecovered_spike"
    return "recovered_bump" if recovered else "ok"


def summarize_seeds(seeds: tuple[SeedOutcome, ...], seconds: float = 0.0) -> TrialSummary:
    """Counts over seeds, medians and their 95% intervals (Wilson, bootstrap)."""
    best = [s.best_val for s in seeds if s.best_val is not None]
    final = [s.final_val for s in seeds if s.final_val is not None and np.isfinite(s.final_val)]
    count = {kind: sum(s.outcome == kind for s in seeds) for kind in OUTCOMES}
    failed = sum(count[kind] for kind in FAILURES)
    stopped = tuple(s.stopped_at for s in seeds if s.stopped_at is not None)
    return TrialSummary(
        seeds=seeds,
        n=len(seeds),
        spiked=sum(s.spiked for s in seeds),
        collapsed=count["collapsed"],
        diverged=count["diverged"],
        failed=failed,
        median_best_val=statistics.median(best) if best else None,
        min_best_val=min(best) if best else None,
        max_best_val=max(best) if best else None,
        median_final_val=statistics.median(final) if final else None,
        median_epochs=statistics.median([s.epochs for s in seeds]) if seeds else None,
        seconds=seconds,
        unrecovered_spike=count["unrecovered_spike"],
        recovered_bump=count["recovered_bump"],
        failed_interval=wilson(failed, len(seeds)) if seeds else (0.0, 1.0),
        best_val_interval=bootstrap_median(best),
        early_stopped=len(stopped),
        stopped_epochs=stopped,
    )


def summarize(result: ConfirmationResult) -> dict[str, TrialSummary]:
    """Per trial: counts over seeds, medians and intervals, every number *measured*."""
    return {
        name: summarize_seeds(
            tuple(judge_seed(run) for run in trial.runs), sum(r.seconds for r in trial.runs)
        )
        for name, trial in result.trials.items()
    }
