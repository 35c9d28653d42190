"""The remedy catalog: concrete options derived from the run, each replayed exactly.

Three kinds, as in the hand-written reports users know: a faster plateau reaction with
tighter clipping, cosine annealing, and a lower learning rate. Every parameter is derived
from the run (and says how); every learning rate shown comes from ``replay``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

import replay
from reporter.config.semantics import is_plateau
from reporter.config.setup import TrainingSetup
from reporter.diagnose import Diagnosis, Finding
from reporter.report.filters import fmt_x

ASSUMED_LR = 1e-3
ACT_RATIO = 0.9  # an option "acts" if its LR at the spike is at most 90 % of the run's
COSINE_FLOOR = 0.01  # eta_min as a fraction of the base LR
LOWER_LR_FRACTION = 0.5  # of the LR in effect when the spike began
CLIP_QUANTILE = 0.9  # of the pre-spike grad norms
FAST_FACTOR = 0.5


@dataclass
class Plan:
    """What one training would use: the knobs the replay and the confirmation need."""

    learning_rate: float
    scheduler: Any
    early_stopping: Any | None
    clip_grad_norm: float | None
    epochs: int
    learning_rate_source: str = "config"
    # "the run's own schedule with every LR scaled by this": used when that schedule is not
    # replayable per epoch (an HF per-update schedule) or unknown
    observed_scale: float | None = None
    epochs_source: str = "config"


@dataclass(frozen=True)
class ReplayOutcome:
    """The replay of one plan over the recorded metrics.

    ``lr`` is the LR used in each recorded epoch; ``horizon`` the first epoch where it differs
    from the observed LR (after it, the recorded metrics describe another run, so metric-driven
    values are conditional). ``lr_at_onset_label`` is ``exact replay`` or ``conditional replay``.
    """

    lr: list[float]
    events: list[dict]
    horizon: int | None
    first_reduction: int | None
    first_reduction_label: str | None
    lr_at_onset: float | None
    lr_at_onset_label: str | None
    observed_lr_at_onset: float | None
    acted_before_spike: bool | None
    stop: int | None
    conditional_from: int | None = None
    clip_fraction_before: float | None = None
    clip_fraction_at_spike: float | None = None


@dataclass
class Option:
    """A remedy: its plan, the config changes, why, and what the replay says."""

    key: str
    title: str
    plan: Plan
    changes: dict[str, Any]
    rationale: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    outcome: ReplayOutcome | None = None


@dataclass
class Context:
    """The recorded series the options are derived from and replayed over."""

    metric: np.ndarray  # the series the plateau rule watches, per epoch
    metric_name: str
    observed_lr: np.ndarray | None  # LR used in each epoch (aligned), NaN where unknown
    grad_norm: np.ndarray | None
    onset: int | None
    best_at: int | None
    axis: str = "epoch"
    base_lr: float | None = None  # the run's base LR, when known
    onset_x: float | None = None  # the spike's epoch or step, as logged
    per_step_spec: Any = None  # a per-update schedule the logs were checked against (HF)
    framework: str = "unknown"  # whose semantics new specs should follow
    highest_lr: float | None = None  # the highest LR the log holds (any step)
    lr_at_spike: float | None = None  # logged LR at the spike's own step, when it lies
    # between the watched metric's points (a train-loss spike in a run evaluated every N steps)


def current_plan(setup: TrainingSetup, ctx: Context) -> Plan:
    """The run's own settings, filled from the logs where the config is silent."""
    lr, lr_source = setup.learning_rate, setup.source_of("learning_rate")
    logged = ctx.observed_lr[np.isfinite(ctx.observed_lr)] if ctx.observed_lr is not None else []
    if lr is None and ctx.highest_lr is not None:
        lr, lr_source = ctx.highest_lr, "the highest logged LR (observed; no config gives it)"
    elif lr is None and len(logged):
        lr, lr_source = float(logged[0]), "first logged LR (observed)"
    elif lr is None:
        lr, lr_source = ASSUMED_LR, (
            f"not in the logs or a config: {ASSUMED_LR:g} assumed (torch Adam's default), so "
            "the options' LR values only show ratios to it")
    epochs, epochs_source = setup.epochs, setup.source_of("epochs")
    if epochs is None:
        epochs = len(ctx.metric)
        epochs_source = f"not configured: the number of logged {ctx.axis} points (observed)"
    return Plan(
        learning_rate=lr,
        scheduler=setup.scheduler or replay.ConstantSchedule(),
        early_stopping=setup.early_stopping,
        clip_grad_norm=setup.clip_grad_norm,
        epochs=epochs,
        learning_rate_source=lr_source,
        epochs_source=epochs_source,
    )


def build_options(
    setup: TrainingSetup, diagnosis: Diagnosis, ctx: Context, notes: list[str] | None = None
) -> list[Option]:
    """The three options for this run, each with its replay filled in.

    None when there is nothing to fix: no spike and no divergence.
    """
    if ctx.onset is None:
        return []
    base = current_plan(setup, ctx)
    options = [_faster_plateau(base, ctx)]
    already = _cosine_already(base.scheduler, ctx.per_step_spec)
    if already:
        if notes is not None:
            notes.append(f"Cosine annealing is not offered: the run already anneals with "
                         f"{already}.")
    else:
        options.append(_cosine(base, ctx))
    options.append(_lower_lr(base, ctx))
    for opt in options:
        opt.outcome = replay_plan(opt.plan, ctx)
        if opt.outcome.acted_before_spike is False:
            opt.warnings.append(_too_late_text(opt, ctx))
    return options


def replay_plan(plan: Plan, ctx: Context) -> ReplayOutcome:
    """Replay a plan's LR schedule, early stop and clipping over the recorded metrics."""
    n = len(ctx.metric)
    metric_driven = is_plateau(plan.scheduler)
    if plan.observed_scale is not None and ctx.observed_lr is not None:
        return _scaled_observed(plan, ctx)
    metrics = ctx.metric if metric_driven else None
    observed = ctx.observed_lr
    if observed is not None and np.isfinite(observed).any():
        cf = replay.counterfactual(plan.scheduler, plan.learning_rate, ctx.metric, observed)
        traj, horizon = cf.trajectory, cf.horizon
    else:
        traj, horizon = replay.lr_trajectory(plan.scheduler, plan.learning_rate, n, metrics), 0
    lr = np.asarray(traj.lr, dtype=float)
    first = next((e for e in traj.events if e.kind == "reduce"), None)
    onset = ctx.onset
    out = ReplayOutcome(
        lr=lr.tolist(),
        events=[e.to_dict() for e in traj.events],
        horizon=horizon,
        first_reduction=first.index if first else None,
        first_reduction_label=_label(first.index + 1, horizon, metric_driven) if first else None,
        lr_at_onset=float(lr[onset]) if onset is not None and onset < len(lr) else None,
        lr_at_onset_label=_label(onset, horizon, metric_driven) if onset is not None else None,
        observed_lr_at_onset=_observed_lr(ctx),
        acted_before_spike=None,
        stop=_stop(plan, ctx.metric),
        conditional_from=horizon + 1 if metric_driven and horizon is not None else None,
    )
    if onset is not None:
        # "acted" = a clearly lower LR than the run really had when the spike began
        ref = out.observed_lr_at_onset
        if ref is None:
            ref = ctx.base_lr if ctx.base_lr is not None else plan.learning_rate
        out = replace(out, acted_before_spike=(
            out.lr_at_onset is not None and out.lr_at_onset <= ACT_RATIO * ref))
    if plan.clip_grad_norm and ctx.grad_norm is not None and onset is not None:
        clip = replay.clip_scale(ctx.grad_norm, plan.clip_grad_norm)
        mask = np.asarray(clip.clipped, dtype=bool)
        out = replace(out, clip_fraction_at_spike=float(mask[onset]),
                      clip_fraction_before=float(mask[:onset].mean()) if onset > 0 else None)
    return out


def _scaled_observed(plan: Plan, ctx: Context) -> ReplayOutcome:
    """The run's own LR times ``plan.observed_scale``: exact for schedules that multiply the
    base LR (HF's LambdaLR schedules, which the per-update check identified); otherwise it
    assumes the unknown schedule scales with the base LR."""
    lr = np.asarray(ctx.observed_lr, dtype=float) * plan.observed_scale
    label = "exact replay" if ctx.per_step_spec is not None else "conditional replay"
    observed = _observed_lr(ctx)
    at = observed * plan.observed_scale if observed is not None else None
    return ReplayOutcome(
        lr=lr.tolist(), events=[], horizon=0, first_reduction=None, first_reduction_label=None,
        lr_at_onset=at, lr_at_onset_label=label,
        observed_lr_at_onset=observed,
        acted_before_spike=at is not None and plan.observed_scale <= ACT_RATIO,
        stop=_stop(plan, ctx.metric))


def _observed_lr(ctx: Context) -> float | None:
    """The LR the run had when the spike began: at the spike's own step when known."""
    if ctx.lr_at_spike is not None:
        return ctx.lr_at_spike
    return _observed_at(ctx.observed_lr, ctx.onset)


def _label(index: int | None, horizon: int | None, metric_driven: bool) -> str:
    """``exact replay`` when the value only depends on what was really recorded."""
    if not metric_driven or index is None or horizon is None or index <= horizon:
        return "exact replay"
    return "conditional replay"


def _observed_at(observed: np.ndarray | None, i: int | None) -> float | None:
    if observed is None or i is None or i >= len(observed) or not np.isfinite(observed[i]):
        return None
    return float(observed[i])


def _stop(plan: Plan, metric: np.ndarray) -> int | None:
    if plan.early_stopping is None:
        return None
    ev = replay.early_stop(plan.early_stopping, metric)
    return ev.index if ev else None


def _faster_plateau(base: Plan, ctx: Context) -> Option:
    current = base.scheduler if is_plateau(base.scheduler) else None
    start = current or (
        replay.KerasReduceLROnPlateau() if ctx.framework == "keras" else replay.ReduceLROnPlateau()
    )
    factor = min(start.factor, FAST_FACTOR)
    rationale: list[str] = []
    patience = _earliest_acting_patience(base, start, factor, ctx)
    whose = "the current" if current is not None else (
        "Keras' default" if ctx.framework == "keras" else "torch's default")
    if patience is not None:
        rationale.append(
            f"patience {patience} is the largest patience below {whose} {start.patience} "
            f"whose exact replay over the recorded {ctx.metric_name} lowers the LR before the "
            "spike"
        )
    else:
        patience = max(1, start.patience // 2)
        rationale.append(
            f"no patience could lower the LR before the spike; patience {patience} (half of "
            f"{whose} {start.patience}) at least reacts sooner afterwards"
        )
    if factor != start.factor:
        rationale.append(
            f"factor {factor:g} instead of {start.factor:g}: each reduction halves the LR"
        )
    spec = replace(start, patience=patience, factor=factor)
    changes: dict[str, Any] = {"scheduler.patience": patience}
    if current is None:
        changes = {"scheduler": spec}
    elif factor != start.factor:
        changes["scheduler.factor"] = factor
    clip, clip_why = _tighter_clip(base, ctx)
    if clip is not None:
        changes["clip_grad_norm"] = clip
        rationale.append(clip_why)
    plan = replace(
        base, scheduler=spec, clip_grad_norm=clip if clip is not None else base.clip_grad_norm
    )
    if current is not None:
        title = "Faster plateau reaction"
    elif ctx.per_step_spec is not None or not isinstance(base.scheduler, replay.ConstantSchedule):
        title = "Switch to a plateau rule"
    else:
        title = "Add a plateau rule"
    title += " and tighter clipping" if base.clip_grad_norm else " and gradient clipping"
    return Option("faster_plateau", title, plan, changes, rationale)


def _earliest_acting_patience(
    base: Plan, start: Any, factor: float, ctx: Context
) -> int | None:
    if ctx.onset is None:
        return None
    for p in range(start.patience - 1, -1, -1):
        spec = replace(start, patience=p, factor=factor)
        traj = replay.lr_trajectory(spec, base.learning_rate, len(ctx.metric), ctx.metric)
        first = traj.first("reduce")
        if first is not None and first.index + 1 <= ctx.onset:
            return p if p >= 1 else None
    return None


def _tighter_clip(base: Plan, ctx: Context) -> tuple[float | None, str]:
    g = ctx.grad_norm
    if g is not None and ctx.onset is not None and ctx.onset >= 3:
        before = g[: ctx.onset]
        before = before[np.isfinite(before)]
        if len(before) >= 3:
            clip = _round_sig(float(np.quantile(before, CLIP_QUANTILE)))
            if base.clip_grad_norm is None or clip < base.clip_grad_norm:
                return clip, (
                    f"max_norm {clip:g} = the {CLIP_QUANTILE:.0%} quantile of the logged gradient "
                    "norm before the spike: it leaves most earlier updates alone, bounds outliers"
                )
    if base.clip_grad_norm:
        clip = _round_sig(base.clip_grad_norm / 2)
        return clip, (
            f"max_norm {clip:g} = half the current {base.clip_grad_norm:g}; no usable "
            "gradient-norm log, so this value is a rule of thumb, not derived from the run"
        )
    return (
        1.0,
        "max_norm 1.0: the run did not clip; 1.0 is the common default (not derived from the run)",
    )


def _cosine(base: Plan, ctx: Context) -> Option:
    t_max = base.epochs
    eta_min = _round_sig(base.learning_rate * COSINE_FLOOR)
    spec = replay.CosineAnnealingLR(T_max=t_max, eta_min=eta_min)
    configured = "not configured" not in (base.epochs_source or "")
    where = "the configured number of epochs" if configured else "the number of logged epochs"
    rationale = [
        f"T_max = {t_max} ({where}), so the LR reaches its floor at the end",
        f"eta_min = {eta_min:g} ({COSINE_FLOOR:.0%} of the base LR)",
        f"the base LR stays {base.learning_rate:g}: raising it would make the early epochs riskier",
    ]
    plan = replace(base, scheduler=spec)
    return Option("cosine", "Cosine annealing", plan, {"scheduler": spec}, rationale)


def _lower_lr(base: Plan, ctx: Context) -> Option:
    if ctx.per_step_spec is not None or (
        isinstance(base.scheduler, replay.ConstantSchedule) and _varies(ctx.observed_lr)
    ):
        return _scaled_base(base, ctx)
    at = _observed_lr(ctx)
    ref = at if at is not None else base.learning_rate
    lr = _round_sig(ref * LOWER_LR_FRACTION)
    source = "the observed LR when the spike began" if at is not None else "the base LR"
    rationale = [
        f"{lr:g} = {LOWER_LR_FRACTION:.0%} of {source} ({ref:g}); the scheduler is unchanged"
    ]
    warnings = ["a lower LR also slows early training; measure how much before adopting it"]
    plan = replace(base, learning_rate=lr)
    return Option(
        "lower_lr", "Lower learning rate", plan, {"learning_rate": lr}, rationale, warnings
    )


def _cosine_already(scheduler: Any, per_step: Any) -> str | None:
    for spec in (scheduler, per_step):
        name = type(spec).__name__
        kind = getattr(spec, "lr_scheduler_type", "")
        if name.startswith("CosineAnnealing") or "cosine" in str(kind):
            from replay import spec_text

            return spec_text(spec)
    return None


def _varies(lr: np.ndarray | None) -> bool:
    finite = lr[np.isfinite(lr)] if lr is not None else np.array([])
    return len(finite) > 1 and float(finite.max()) > float(finite.min()) * (1 + 1e-9)


def _scaled_base(base: Plan, ctx: Context) -> Option:
    """Halve the base LR and keep the run's own schedule (which reporter may only know from
    the log): every LR of the run is halved."""
    lr = _round_sig(base.learning_rate * LOWER_LR_FRACTION)
    scale = lr / base.learning_rate
    known = ctx.per_step_spec is not None
    rationale = [
        f"{lr:g} = {LOWER_LR_FRACTION:.0%} of the base LR {base.learning_rate:g}; the schedule "
        "stays as it is, so every LR it sets is scaled by the same factor"
        + ("" if known else " (assuming the run's schedule multiplies the base LR)")
    ]
    warnings = ["a lower LR also slows early training; measure how much before adopting it"]
    plan = replace(base, learning_rate=lr, observed_scale=scale)
    return Option("lower_lr", "Lower learning rate", plan, {"learning_rate": lr}, rationale,
                  warnings)


def _too_late_text(opt: Option, ctx: Context) -> str:
    o = opt.outcome
    if o and o.lr_at_onset is not None and o.observed_lr_at_onset:
        ratio = o.lr_at_onset / o.observed_lr_at_onset
        how = "higher than" if ratio > 1 + 1e-6 else "the same as"
        if ratio < 1 - 1e-6:
            how = f"only {ratio:.2f}× of"
        return (f"This option does not give a clearly lower LR when the spike began "
                f"({ctx.axis} {fmt_x(ctx.onset_x)}): {o.lr_at_onset:.4g}, {how} the "
                f"{o.observed_lr_at_onset:.4g} the run had. It cannot be expected to prevent "
                "this spike by lowering the LR.")
    when = (
        f"its first reduction comes after {ctx.axis} {o.first_reduction}"
        if o and o.first_reduction is not None
        else f"it never lowers the LR over the recorded {ctx.axis}s"
    )
    return (
        f"This option could not have acted before the spike at {ctx.axis} {fmt_x(ctx.onset_x)}: "
        f"{when}. "
        "It can only limit the damage afterwards."
    )


def _round_sig(x: float, digits: int = 2) -> float:
    if x == 0 or not math.isfinite(x):
        return x
    return round(x, -math.floor(math.log10(abs(x))) + digits - 1)


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
    grad = curves.get("grad_norm")
    return Context(
        metric=watched.y,
        metric_name=watched.metric,
        observed_lr=aligned_lr,
        grad_norm=_align(grad, watched) if grad is not None else None,
        onset=_position(watched.x, spike.start if spike is not None else div.start)
        if spike is not None or div is not None else None,
        best_at=_position(watched.x, spike.evidence["best_at"]) if spike is not None else None,
        axis=watched.axis,
        base_lr=base_lr,
        per_step_spec=per_step_spec,
        framework=framework,
        highest_lr=_highest(curves.get("lr")),
        lr_at_spike=_lr_at(curves.get("lr"), spike.start)
        if spike is not None and spike.metric != watched.metric else None,
        onset_x=(spike.start if spike is not None else div.start)
        if spike is not None or div is not None else None,
    )


def _align(curve, ref) -> np.ndarray:
    lookup = dict(zip(curve.x.tolist(), curve.y.tolist(), strict=False))
    return np.array([lookup.get(x, np.nan) for x in ref.x.tolist()], dtype=float)


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
