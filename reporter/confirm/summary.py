"""Judge confirmation curves with the same detectors that judged the user's run."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from reporter.diagnose.collapse import find_collapse
from reporter.diagnose.series import Curve
from reporter.diagnose.spikes import find_spikes


@dataclass(frozen=True)
class SeedOutcome:
    """One confirmation training, judged with the detectors that judged the run."""

    seed: int
    spiked: bool
    spike_epoch: int | None
    collapsed: bool
    diverged: bool
    best_val: float | None
    final_val: float | None
    epochs: int
    stopped_at: int | None


@dataclass(frozen=True)
class TrialSummary:
    """One setting over its seeds; every number measured."""

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
    return SeedOutcome(
        seed=curve.seed,
        spiked=bool(spikes),
        spike_epoch=spikes[0].onset if spikes else None,
        collapsed=collapse is not None,
        diverged=bool(curve.diverged),
        best_val=float(finite.min()) if len(finite) else None,
        final_val=float(val[-1]) if len(val) else None,
        epochs=int(curve.epochs_trained),
        stopped_at=curve.stopped_at,
    )


def summarize(result: ConfirmationResult) -> dict[str, TrialSummary]:
    """Per trial: counts over seeds and medians, every number labelled *measured*."""
    out: dict[str, TrialSummary] = {}
    for name, trial in result.trials.items():
        seeds = tuple(judge_seed(run) for run in trial.runs)
        best = [s.best_val for s in seeds if s.best_val is not None]
        final = [s.final_val for s in seeds
                 if s.final_val is not None and np.isfinite(s.final_val)]
        out[name] = TrialSummary(
            seeds=seeds,
            n=len(seeds),
            spiked=sum(s.spiked for s in seeds),
            collapsed=sum(s.collapsed for s in seeds),
            diverged=sum(s.diverged for s in seeds),
            failed=sum(s.spiked or s.collapsed or s.diverged for s in seeds),
            median_best_val=statistics.median(best) if best else None,
            min_best_val=min(best) if best else None,
            max_best_val=max(best) if best else None,
            median_final_val=statistics.median(final) if final else None,
            median_epochs=statistics.median([s.epochs for s in seeds]) if seeds else None,
            seconds=sum(r.seconds for r in trial.runs),
        )
    return out
