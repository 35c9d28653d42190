"""Rewinding the confirmation to the user's checkpoint from before the failure.

With ``--resume CHECKPOINT --resume-epoch K`` (or ``resume`` in what the entry point
returns, :mod:`reporter.confirm.entry`), every setting trains from the state saved after K
epochs instead of from scratch: the practitioner's own experiment of going back to before
the spike and re-running the window under a change. :func:`plan_rewind` decides how far
the trials train (:data:`HORIZON_RULE`) and turns each setting's :class:`TrialSpec` into a
rewound one; :func:`rewind_info` says, per setting, where its scheduler stood at K and in
how many seeds the run's failure came back within the horizon, judged by the run's own
spike and collapse rules over the run's logged validation losses before K followed by the
trial's.

Nothing here imports torch.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from replay import ConstantSchedule, ReduceLROnPlateau, spec_text
from reporter.diagnose.collapse import find_collapse
from reporter.diagnose.series import Curve
from reporter.diagnose.spikes import find_spikes
from reporter.errors import UsageError

if TYPE_CHECKING:
    from reporter.confirm.spec import ConfirmationResult, EntryTask, TrialSpec
    from reporter.diagnose import Diagnosis

MIN_AFTER = 3  # epochs trained after the failure's epoch, at the least
HORIZON_RULE = (
    "the trials train through the run's logged end and at least as many epochs after the "
    f"failure as from the checkpoint up to it (at least {MIN_AFTER}), never past the "
    "configured epochs"
)


@dataclass(frozen=True)
class RewindPlan:
    """Where the rewound trials start and end, and what the run did before the checkpoint.

    ``epoch`` is K (the trials train epochs K, K+1, …, 0-based) and ``end`` the epoch they
    stop before (the entry point's ``max_epochs`` may stop them sooner); ``failure`` is the
    run's failure kind (``spike``, ``divergence``, ``collapse``; empty: none found) and
    ``failure_epoch`` its first epoch (None: not on an epoch axis). ``history`` holds the
    run's logged validation losses of epochs 0 … K-1 (empty when the log lacks one).
    """

    epoch: int
    end: int
    failure: str
    failure_epoch: int | None
    logged_epochs: int | None
    history: tuple[float, ...]
    rule: str
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class RewindInfo:
    """The confirmation's rewind, as the report states it; every count measured.

    Each setting trained from ``checkpoint`` (how it was given, and what it restored),
    saved after ``epoch`` (K) epochs, for at most ``epochs`` (N) epochs: epochs K to
    K + N - 1, 0-based. ``failure`` / ``failure_epoch`` are the run's failure and its first
    epoch; ``horizon`` the epochs trained after that epoch (None: unknown) and ``rule``
    how the length was chosen. Per setting: ``schedulers`` says how its scheduler was put at
    epoch K, ``lr_at_start`` the LR of its first epoch, ``recurred`` in how many of ``n``
    seeds the failure came back (a spike that did not recover, a collapse or a divergence
    at epoch K or later) and ``bumps`` how many had only a spike that recovered.
    """

    epoch: int
    epochs: int
    checkpoint: str
    failure: str
    failure_epoch: int | None
    horizon: int | None
    rule: str
    schedulers: dict[str, str]
    lr_at_start: dict[str, float]
    recurred: dict[str, int]
    bumps: dict[str, int]
    n: int
    notes: tuple[str, ...] = ()


def plan_rewind(task: EntryTask, diagnosis: Diagnosis | None, configured: int,
                cap: int) -> RewindPlan:
    """How far trials rewound to ``task.resume_epoch`` train (see :data:`HORIZON_RULE`).

    ``configured`` is the run's configured epochs, ``cap`` the most epochs a trial may train
    after the checkpoint. Raises :class:`UsageError` when K is at or past the configured end.
    """
    k = int(task.resume_epoch or 0)
    if k >= configured:
        raise UsageError(f"--resume-epoch {k}: the run is configured for {configured} epochs, "
                         "so no epoch is left to train after the checkpoint")
    watched = _watched(diagnosis)
    kind, failure = _failure(diagnosis)
    logged = int(watched.x[-1]) + 1 if watched is not None and len(watched.x) else None
    notes: list[str] = []
    if failure is None:
        end, rule = configured, ("the trials train through the configured epochs (the run's "
                                 "failure has no epoch to train past)")
    else:
        after = max(failure + 1 - k, MIN_AFTER)
        end, rule = max(logged or 0, failure + 1 + after), HORIZON_RULE
        if failure < k:
            notes.append(f"the checkpoint (after {k} epochs) is later than the run's {kind} "
                         f"(epoch {failure}, 0-based): the trials start past it")
    end = min(end, configured, k + cap)
    history = _history(diagnosis, k)
    if not history:
        notes.append(f"the log has no validation loss for every epoch before the checkpoint: "
                      f"a plateau scheduler and early stopping start afresh at epoch {k}")
    return RewindPlan(k, end, kind, failure, logged, history, rule, tuple(notes))


def rewind_trials(trials: dict[str, TrialSpec], plan: RewindPlan) -> dict[str, TrialSpec]:
    """Every setting's spec trained from the checkpoint: epochs ``plan.epoch`` … ``end``-1."""
    return {name: replace(spec, epochs=plan.end, start_epoch=plan.epoch, history=plan.history)
            for name, spec in trials.items()}


def rewind_info(plan: RewindPlan, task: EntryTask, result: ConfirmationResult) -> RewindInfo:
    """What the rewound trials did: per setting, the scheduler at K and the recurrences."""
    schedulers, lr_at_start, recurred, bumps = {}, {}, {}, {}
    trained = 0
    for name, trial in result.trials.items():
        schedulers[name] = _positioned(trial.spec.scheduler, plan)
        firsts = [float(run.lr[0]) for run in trial.runs if len(run.lr)]
        if firsts:
            lr_at_start[name] = firsts[0]
        outcomes = [_recurrence(run, plan) for run in trial.runs]
        recurred[name] = outcomes.count("recurred")
        bumps[name] = outcomes.count("bump")
        trained = max([trained, *(run.epochs_trained for run in trial.runs)])
    epochs = max(trained, min(plan.end, plan.epoch + (task.max_epochs or plan.end)) - plan.epoch)
    horizon = None
    if plan.failure_epoch is not None:
        horizon = max(plan.epoch + epochs - 1 - plan.failure_epoch, 0)
    return RewindInfo(
        epoch=plan.epoch, epochs=epochs, checkpoint=task.resume_from, failure=plan.failure,
        failure_epoch=plan.failure_epoch, horizon=horizon,
        rule=plan.rule + _capped(task, plan), schedulers=schedulers, lr_at_start=lr_at_start,
        recurred=recurred, bumps=bumps, n=len(result.seeds), notes=plan.notes,
    )


def _capped(task: EntryTask, plan: RewindPlan) -> str:
    if task.max_epochs is not None and plan.epoch + task.max_epochs < plan.end:
        return f"; your entry point's max_epochs ({task.max_epochs}) stops them sooner"
    return ""


def _watched(diagnosis: Diagnosis | None) -> Any:
    if diagnosis is None:
        return None
    curve = diagnosis.curves.get("val/loss") or diagnosis.curves.get("train/loss")
    return curve if curve is not None and curve.axis == "epoch" else None


def _failure(diagnosis: Diagnosis | None) -> tuple[str, int | None]:
    """The run's failure and its first epoch (0-based), on an epoch axis only."""
    if diagnosis is None:
        return "", None
    found = [("spike", diagnosis.primary_spike), ("divergence", diagnosis.first("divergence")),
             ("collapse", diagnosis.primary_collapse)]
    for kind, finding in found:
        if finding is None:
            continue
        curve = diagnosis.curves.get(finding.metric)
        if curve is None or curve.axis != "epoch" or finding.start is None:
            return kind, None
        return kind, int(finding.start)
    return "", None


def _history(diagnosis: Diagnosis | None, k: int) -> tuple[float, ...]:
    """The logged validation losses of epochs 0 … k-1, or () when one is missing."""
    curve = diagnosis.curves.get("val/loss") if diagnosis is not None else None
    if curve is None or curve.axis != "epoch":
        return ()
    by_epoch = {int(x): float(y) for x, y in zip(curve.x, curve.y, strict=True)
                if float(x).is_integer()}
    values = [by_epoch.get(epoch) for epoch in range(k)]
    if any(v is None or not np.isfinite(v) for v in values):
        return ()
    return tuple(values)


def _positioned(scheduler: Any, plan: RewindPlan) -> str:
    """How a setting's scheduler was put at epoch K, in words."""
    k = plan.epoch
    if scheduler is None or isinstance(scheduler, ConstantSchedule):
        return "no scheduler: the setting's LR from the checkpoint on"
    if isinstance(scheduler, ReduceLROnPlateau):
        if plan.history:
            return (f"{spec_text(scheduler)} stepped with your logged val losses of the {k} "
                    f"epochs before the checkpoint, as it would have run over them")
        return (f"{spec_text(scheduler)} started afresh at the checkpoint: its state there "
                "(best loss, bad epochs, reductions) cannot be rebuilt without the logged "
                "val losses")
    return f"{spec_text(scheduler)} stepped {k} times, to where it stands after {k} epochs"


def _recurrence(run: Any, plan: RewindPlan) -> str:
    """``recurred``, ``bump`` or ``""`` for one rewound seed.

    The run's spike and collapse rules read the run's logged validation losses before the
    checkpoint followed by the seed's, so a spike is judged against the level the run had
    reached; only spikes from epoch K on count.
    """
    if run.diverged:
        return "recurred"
    offset = len(plan.history)
    val = np.concatenate([np.asarray(plan.history, dtype=float),
                          np.asarray(run.val_loss, dtype=float)])
    spikes = [s for s in find_spikes(val) if s.onset >= offset]
    if any(not s.recovered for s in spikes):
        return "recurred"
    if spikes and find_collapse(Curve("val/loss", np.arange(len(val), dtype=float), val),
                                start=spikes[-1].onset) is not None:
        return "recurred"
    return "bump" if spikes else ""
