"""The remedy catalog: concrete options derived from the run, each replayed exactly.

Always, when there is a spike or a divergence to fix: a faster plateau reaction with tighter
clipping (:mod:`~reporter.remedies.plateau`), cosine annealing and a lower learning rate
(:mod:`~reporter.remedies.schedules`). Where the diagnosis calls for them
(:mod:`~reporter.remedies.extra`): a warm-up, adaptive clipping, rewind-and-skip. Every
parameter is derived from the run (and says how); every learning rate shown comes from
``replay``; each option says how to apply it in the run's framework
(:mod:`~reporter.remedies.apply`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

import replay
from reporter.config.setup import TrainingSetup
from reporter.diagnose import Diagnosis, Finding
from reporter.remedies.apply import code_lines
from reporter.remedies.extra import adaptive_clipping, rewind_and_skip, warmup
from reporter.remedies.outcome import ACT_RATIO, replay_plan
from reporter.remedies.plan import ASSUMED_LR, Context, Option, Plan, ReplayOutcome
from reporter.remedies.plateau import faster_plateau
from reporter.remedies.schedules import cosine, cosine_already, lower_lr, varies
from reporter.report.filters import fmt_x

__all__ = [
    "ACT_RATIO", "ASSUMED_LR", "Context", "Option", "Plan", "ReplayOutcome", "build_options",
    "context", "current_plan", "replay_plan",
]  # fmt: skip

FLOOR_WARNING = 0.01  # warn when an option's replay ends below 1 % of the base LR


def current_plan(setup: TrainingSetup, ctx: Context) -> Plan:
    """The run's own settings, filled from the logs where the config is silent."""
    lr, lr_source = setup.learning_rate, setup.source_of("learning_rate")
    logged = ctx.observed_lr[np.isfinite(ctx.observed_lr)] if ctx.observed_lr is not None else []
    assumed = False
    if lr is None and ctx.highest_lr is not None:
        lr, lr_source = ctx.highest_lr, "the highest logged LR (observed; no config gives it)"
    elif lr is None and len(logged):
        lr, lr_source = float(logged[0]), "first logged LR (observed)"
    elif lr is None:
        assumed = True
        lr, lr_source = ASSUMED_LR, (
            f"not in the logs or a config: {ASSUMED_LR:g} assumed (Adam's default in torch and "
            "Keras), so "
            "the options' LR values only show ratios to it")
    elif "default" in lr_source.lower() or "assumed" in lr_source.lower():
        assumed = True
    epochs, epochs_source = setup.epochs, setup.source_of("epochs")
    if epochs is None:
        epochs = len(ctx.metric)
        epochs_source = f"not configured: the number of logged {ctx.axis} points (observed)"
    # an LR that moves while no rule reproduces it is the run's own path as logged, never a
    # constant (issue 8, item 4); an option that sets its own schedule drops it
    unknown = (setup.scheduler is None and ctx.per_step_spec is None
               and varies(ctx.observed_lr))
    return Plan(
        learning_rate=lr,
        scheduler=setup.scheduler or replay.ConstantSchedule(),
        observed_scale=1.0 if unknown else None,
        early_stopping=setup.early_stopping,
        clip_grad_norm=setup.clip_grad_norm,
        epochs=epochs,
        learning_rate_source=lr_source,
        epochs_source=epochs_source,
        learning_rate_assumed=assumed,
    )


def build_options(
    setup: TrainingSetup, diagnosis: Diagnosis, ctx: Context, notes: list[str] | None = None
) -> list[Option]:
    """The options for this run, each with its replay and its code filled in.

    None when there is nothing to fix: no spike and no divergence.
    """
    if ctx.onset is None:
        return []
    base = current_plan(setup, ctx)
    if ctx.base_lr is None:
        ctx = replace(ctx, base_lr=base.learning_rate)
    options = [faster_plateau(base, ctx)]
    already = cosine_already(base.scheduler, ctx.per_step_spec)
    if already:
        if notes is not None:
            notes.append(f"Cosine annealing is not offered: the run already anneals with "
                         f"{already}.")
    else:
        options.append(cosine(base, ctx))
    options.append(lower_lr(base, ctx))
    options += [o for o in (warmup(base, ctx), adaptive_clipping(base, ctx),
                            rewind_and_skip(base, ctx)) if o is not None]
    own_low = _first_low(replay_plan(base, ctx).lr, base)
    for opt in options:
        opt.outcome = replay_plan(opt.plan, ctx)
        if opt.outcome.acted_before_spike is False and opt.plan.zclip is None:
            opt.warnings.append(_too_late_text(opt, ctx))
        floor = None if own_low is not None else _floor_warning(opt, base, ctx)
        if floor:
            opt.warnings.append(floor)
        opt.code = code_lines(opt, ctx)
    return options


def _first_low(lr: list[float], base: Plan) -> int | None:
    """The first point before the last where the LR is below 1 % of the base, or None."""
    path = np.asarray(lr, dtype=float)
    low = np.nonzero(np.isfinite(path) & (path < FLOOR_WARNING * base.learning_rate))[0]
    return int(low[0]) if len(low) and low[0] < len(path) - 1 else None


def _floor_warning(opt: Option, base: Plan, ctx: Context) -> str | None:
    """A warning when the option's replayed LR falls below 1 % of the base before the run's
    end (not said when the run's own settings already do so: that is not the option's doing)."""
    lr = opt.outcome.lr if opt.outcome else []
    first = _first_low(lr, base)
    if first is None:
        return None
    return (f"The replayed LR falls below 1% of the base from {ctx.axis} "
            f"{fmt_x(_x(ctx, first))} ({lr[first]:.3g}); the {ctx.axis}s after that barely "
            "train: set a floor (min_lr / eta_min) if that is not intended.")


def _x(ctx: Context, i: int) -> float:
    return float(ctx.x[i]) if ctx.x is not None and i < len(ctx.x) else float(i)


def _too_late_text(opt: Option, ctx: Context) -> str:
    o = opt.outcome
    if o and o.lr_at_onset is not None and o.observed_lr_at_onset:
        ratio = o.lr_at_onset / o.observed_lr_at_onset
        how = "higher than" if ratio > 1 + 1e-6 else "the same as"
        if ratio < 1 - 1e-6:
            how = f"only {ratio:.2f}× of"
        return (f"This option does not give a clearly lower LR when the spike began "
                f"({ctx.at(ctx.onset_x)}): {o.lr_at_onset:.4g}, {how} the "
                f"{o.observed_lr_at_onset:.4g} the run had. It cannot be expected to prevent "
                "this spike by lowering the LR.")
    when = (
        f"its first reduction comes after {ctx.at(o.first_reduction)}"
        if o and o.first_reduction is not None
        else f"it never lowers the LR over the recorded {ctx.axis}s"
    )
    return (
        f"This option could not have acted before the spike at {ctx.at(ctx.onset_x)}: "
        f"{when}. "
        "It can only limit the damage afterwards."
    )


def context(
    diagnosis: Diagnosis,
    aligned_lr: np.ndarray | None,
    *,
    base_lr: float | None = None,
    per_step_spec: Any = None,
    framework: str = "unknown",
) -> Context:
    """Pick the watched metric (val loss, else train loss) and the spike to aim at."""
    curves = diagnosis.curves
    watched = curves.get("val/loss") or curves.get("train/loss")
    if watched is None:
        raise ValueError("no loss curve to derive options from")
    spike: Finding | None = diagnosis.primary_spike
    div = diagnosis.first("divergence", watched.metric) or diagnosis.first("divergence")
    event = spike if spike is not None else div
    grad = curves.get("grad_norm")
    return Context(
        metric=watched.y,
        metric_name=watched.metric,
        observed_lr=aligned_lr,
        grad_norm=_align(grad, watched) if grad is not None else None,
        onset=_position(watched.x, event.start) if event is not None else None,
        best_at=_position(watched.x, spike.evidence["best_at"]) if spike is not None else None,
        axis=watched.axis,
        base=watched.base,
        base_lr=base_lr,
        per_step_spec=per_step_spec,
        framework=framework,
        highest_lr=_highest(curves.get("lr")),
        lr_at_spike=_lr_at(curves.get("lr"), spike.start)
        if spike is not None and spike.metric != watched.metric else None,
        onset_x=event.start if event is not None else None,
        x=np.asarray(watched.x, dtype=float),
        grad_norm_steps=_finite(grad),
        spike=spike,
    )


def _finite(curve) -> tuple[np.ndarray, np.ndarray] | None:
    if curve is None:
        return None
    ok = np.isfinite(curve.y) & np.isfinite(curve.x)
    return (np.asarray(curve.x[ok], dtype=float), np.asarray(curve.y[ok], dtype=float))


def _align(curve, ref) -> np.ndarray:
    from reporter.diagnose.series import values_at

    return values_at(curve, ref.x)  # a sorted search: no dictionary of a million points


def _highest(curve) -> float | None:
    """The base LR as the log shows it: the highest logged value (after any warm-up)."""
    if curve is None:
        return None
    finite = curve.y[np.isfinite(curve.y)]
    return float(finite.max()) if len(finite) else None


def _lr_at(lr, x: float | None) -> float | None:
    """The last LR logged at or before ``x``."""
    if lr is None or x is None:
        return None
    ok = np.nonzero((lr.x <= x) & np.isfinite(lr.y))[0]
    return float(lr.y[ok[-1]]) if len(ok) else None


def _position(x: np.ndarray, value: float | None) -> int | None:
    """Position of the first ``x >= value`` (the spike's epoch in the watched series)."""
    if value is None:
        return None
    hits = np.nonzero(x >= value)[0]
    return int(hits[0]) if len(hits) else None
