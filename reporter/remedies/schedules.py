"""Two options on the LR itself: cosine annealing and a lower learning rate."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

import replay
from reporter.remedies.outcome import observed_lr
from reporter.remedies.plan import Context, Option, Plan, Relative
from reporter.remedies.rounding import round_sig

COSINE_FLOOR = 0.01  # eta_min as a fraction of the base LR
LOWER_LR_FRACTION = 0.5  # of the LR in effect when the spike began
YOUR_LR = "the learning rate you used"
SLOWER = "a lower LR also slows early training; measure how much before adopting it"


def cosine(base: Plan, ctx: Context) -> Option:
    """Cosine annealing over the run's epochs down to 1% of the base LR."""
    if isinstance(base.scheduler, replay.UltralyticsSchedule) and not base.learning_rate_assumed:
        return _ultralytics_cosine(base, base.scheduler)
    t_max = base.epochs
    eta_min = round_sig(base.learning_rate * COSINE_FLOOR)
    spec = replay.CosineAnnealingLR(T_max=t_max, eta_min=eta_min)
    configured = "not configured" not in (base.epochs_source or "")
    where = "the configured number of epochs" if configured else "the number of logged epochs"
    rationale = [f"T_max = {t_max} ({where}), so the LR reaches its floor at the end"]
    changes: dict[str, Any] = {"scheduler": spec}
    if base.learning_rate_assumed:
        rationale += [
            f"eta_min = {COSINE_FLOOR:g} × {YOUR_LR} (the base LR is only assumed, so the floor "
            "is written relative to yours)",
            f"the base LR stays {YOUR_LR}",
        ]
        changes = {"scheduler": replace(spec, eta_min=0.0),
                   "scheduler.eta_min": Relative(COSINE_FLOOR, YOUR_LR)}
    else:
        rationale += [
            f"eta_min = {eta_min:g} ({COSINE_FLOOR:.0%} of the base LR)",
            f"the base LR stays {base.learning_rate:g}: raising it would make the early epochs "
            "riskier",
        ]
    plan = replace(base, scheduler=spec, observed_scale=None)
    return Option("cosine", "Cosine annealing", plan, changes, rationale)


def _ultralytics_cosine(base: Plan, spec: replay.UltralyticsSchedule) -> Option:
    """The trainer's own ``cos_lr``: one_cycle from lr0 to ``lrf * lr0`` over its epochs,
    after the same per-batch warm-up (replayed exactly, warm-up included)."""
    cos = replace(spec, kind="cos", lrf=COSINE_FLOOR)
    rationale = [
        f"cos_lr: the trainer's own cosine over its {cos.epochs} epochs, after the same warm-up",
        f"lrf = {COSINE_FLOOR:g}: the LR ends at {COSINE_FLOOR:.0%} of lr0 "
        f"{base.learning_rate:g}",
        f"lr0 stays {base.learning_rate:g}: raising it would make the early epochs riskier",
    ]
    plan = replace(base, scheduler=cos, observed_scale=None)
    return Option("cosine", "Cosine annealing", plan, {"scheduler": cos}, rationale)


def lower_lr(base: Plan, ctx: Context) -> Option:
    """Half the LR the run had when the spike began (relative when the LR is assumed)."""
    if base.learning_rate_assumed:
        return _relative_lr(base)
    if ctx.per_step_spec is not None or _multiplies_lr0(base) or (
        isinstance(base.scheduler, replay.ConstantSchedule) and varies(ctx.observed_lr)
    ):
        return _scaled_base(base, ctx)
    at = observed_lr(ctx)
    ref = at if at is not None else base.learning_rate
    lr = round_sig(ref * LOWER_LR_FRACTION)
    source = "the observed LR when the spike began" if at is not None else "the base LR"
    rationale = [
        f"{lr:g} = {LOWER_LR_FRACTION:.0%} of {source} ({ref:g}); the scheduler is unchanged"
    ]
    plan = replace(base, learning_rate=lr)
    return Option("lower_lr", "Lower learning rate", plan, {"learning_rate": lr}, rationale,
                  [SLOWER])


def _relative_lr(base: Plan) -> Option:
    """Halve whatever LR the run used: reporter only assumed one, so no absolute value."""
    scale = LOWER_LR_FRACTION
    rationale = [
        f"halve {YOUR_LR}: neither the logs nor a config give it ({base.learning_rate_source}), "
        "so an absolute value could even raise it; the replay below shows ratios to the "
        "assumed value, which hold for any base LR"
    ]
    plan = replace(base, learning_rate=base.learning_rate * scale)
    changes = {"learning_rate": Relative(scale, YOUR_LR)}
    return Option("lower_lr", "Lower learning rate", plan, changes, rationale, [SLOWER])


def _multiplies_lr0(base: Plan) -> bool:
    """An Ultralytics schedule: every LR it sets (warm-up included) is lr0 times a factor,
    so a lower lr0 scales the whole run's LR (the bias warm-up's start excepted)."""
    return isinstance(base.scheduler, replay.UltralyticsSchedule)


def varies(lr: np.ndarray | None) -> bool:
    """True when the logged LR takes more than one value."""
    finite = lr[np.isfinite(lr)] if lr is not None else np.array([])
    return len(finite) > 1 and float(finite.max()) > float(finite.min()) * (1 + 1e-9)


def _scaled_base(base: Plan, ctx: Context) -> Option:
    """Halve the base LR and keep the run's own schedule (which reporter may only know from
    the log): every LR of the run is halved."""
    lr = round_sig(base.learning_rate * LOWER_LR_FRACTION)
    scale = lr / base.learning_rate
    known = ctx.per_step_spec is not None or _multiplies_lr0(base)
    rationale = [
        f"{lr:g} = {LOWER_LR_FRACTION:.0%} of the base LR {base.learning_rate:g}; the schedule "
        "stays as it is, so every LR it sets is scaled by the same factor"
        + ("" if known else " (assuming the run's schedule multiplies the base LR)")
    ]
    plan = replace(base, learning_rate=lr, observed_scale=scale)
    return Option("lower_lr", "Lower learning rate", plan, {"learning_rate": lr}, rationale,
                  [SLOWER])


def cosine_already(scheduler: Any, per_step: Any) -> str | None:
    """The run's own cosine schedule as text, when it already anneals with one."""
    for spec in (scheduler, per_step):
        name = type(spec).__name__
        kind = getattr(spec, "lr_scheduler_type", "") or getattr(spec, "kind", "")
        if name.startswith("Cosine") or "cosine" in str(kind) or kind == "cos":
            return replay.spec_text(spec)
    return None
