"""Replay one plan over the recorded metrics: its LR path, first reduction, early stop and
clipping, each labelled exact or conditional."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

import replay
from reporter.config.semantics import is_plateau
from reporter.remedies.plan import Context, Plan, ReplayOutcome

ACT_RATIO = 0.9  # an option "acts" if its LR at the spike is at most 90 % of the run's
MATERIAL_CLIP = 0.9  # adaptive clipping "acts" if it scales a spike gradient to <= 90 %


def replay_plan(plan: Plan, ctx: Context) -> ReplayOutcome:
    """Replay a plan's LR schedule, warm-up, early stop and clipping over the recorded metrics."""
    if plan.observed_scale is not None and ctx.observed_lr is not None:
        return _clipping(plan, ctx, _warmed(plan, ctx, _scaled_observed(plan, ctx)))
    n = len(ctx.metric)
    metric_driven = is_plateau(plan.scheduler)
    metrics = ctx.metric if metric_driven else None
    observed = ctx.observed_lr
    if observed is not None and np.isfinite(observed).any():
        cf = replay.counterfactual(plan.scheduler, plan.learning_rate, ctx.metric, observed)
        traj, horizon = cf.trajectory, cf.horizon
    else:
        traj, horizon = replay.lr_trajectory(plan.scheduler, plan.learning_rate, n, metrics), 0
    lr = np.asarray(traj.lr, dtype=float)
    if plan.warmup:
        horizon = 0  # the warm-up departs from the run's LR at the first point
    first = next((e for e in traj.events if e.kind == "reduce"), None)
    onset = ctx.onset
    out = ReplayOutcome(
        lr=lr.tolist(),
        events=[e.to_dict() for e in traj.events],
        horizon=horizon,
        first_reduction=first.index if first else None,
        first_reduction_label=label(first.index + 1, horizon, metric_driven) if first else None,
        lr_at_onset=float(lr[onset]) if onset is not None and onset < len(lr) else None,
        lr_at_onset_label=label(onset, horizon, metric_driven) if onset is not None else None,
        observed_lr_at_onset=observed_lr(ctx),
        acted_before_spike=None,
        stop=_stop(plan, ctx.metric),
        conditional_from=horizon + 1 if metric_driven and horizon is not None else None,
    )
    return _clipping(plan, ctx, _warmed(plan, ctx, out))


def _warmed(plan: Plan, ctx: Context, out: ReplayOutcome) -> ReplayOutcome:
    """Lay the plan's warm-up over the LR path, then judge whether it acted before the spike."""
    if plan.warmup:
        lr = np.asarray(out.lr, dtype=float) * warmup_multiplier(plan.warmup, ctx)
        onset = ctx.onset
        at = float(lr[onset]) if onset is not None and onset < len(lr) else None
        out = replace(out, lr=lr.tolist(), lr_at_onset=at)
    if ctx.onset is None or plan.rewind is not None:
        return out
    # "acted" = a clearly lower LR than the run really had when the spike began
    ref = out.observed_lr_at_onset
    if ref is None:
        ref = ctx.base_lr if ctx.base_lr is not None else plan.learning_rate
    return replace(out, acted_before_spike=(
        out.lr_at_onset is not None and out.lr_at_onset <= ACT_RATIO * ref))


def warmup_multiplier(warmup: int, ctx: Context) -> np.ndarray:
    """What a linear warm-up of ``warmup`` points multiplies each watched point's LR by.

    Per epoch (or logged step) torch's chained ``LinearLR``; for a run on an HF per-update
    schedule, the ratio of that schedule with ``num_warmup_steps=warmup`` to the run's own, at
    each evaluated step (HF's warm-up also shifts the decay after it).
    """
    n = len(ctx.metric)
    x = ctx.x if ctx.x is not None else np.arange(n, dtype=float)
    index = np.clip(np.nan_to_num(x).astype(int), 0, None)
    spec = ctx.per_step_spec
    if isinstance(spec, replay.HFScheduler):
        steps = int(index.max()) + 1
        old = np.asarray(replay.lr_trajectory(spec, 1.0, steps).lr, dtype=float)[index]
        new_spec = replace(spec, num_warmup_steps=warmup)
        new = np.asarray(replay.lr_trajectory(new_spec, 1.0, steps).lr, dtype=float)[index]
        return np.where(old > 0, new / np.where(old > 0, old, 1.0), 1.0)
    return replay.warmup_factor(int(index.max()) + 1, warmup)[index]


def _clipping(plan: Plan, ctx: Context, out: ReplayOutcome) -> ReplayOutcome:
    onset = ctx.onset
    if plan.zclip is not None and ctx.grad_norm_steps is not None and onset is not None:
        return _adaptive(plan, ctx, out)
    if plan.clip_grad_norm and ctx.grad_norm is not None and onset is not None:
        clip = replay.clip_scale(ctx.grad_norm, plan.clip_grad_norm)
        mask = np.asarray(clip.clipped, dtype=bool)
        out = replace(out, clip_fraction_at_spike=float(mask[onset]),
                      clip_fraction_before=float(mask[:onset].mean()) if onset > 0 else None)
    return out


def _adaptive(plan: Plan, ctx: Context, out: ReplayOutcome) -> ReplayOutcome:
    """ZClip over every logged gradient norm: how many it clips, before and at the spike."""
    assert ctx.grad_norm_steps is not None and ctx.onset_x is not None
    x, norms = ctx.grad_norm_steps
    result = replay.zclip_scale(norms, plan.zclip)
    clipped = np.asarray(result.clipped, dtype=bool)
    before = x < ctx.onset_x
    at = _spike_window(x, ctx)
    scale = np.asarray(result.scale, dtype=float)
    return replace(
        out,
        clip_fraction_before=float(clipped[before].mean()) if before.any() else None,
        clip_fraction_at_spike=float(clipped[at].mean()) if at.any() else None,
        clipped_steps=int(clipped.sum()),
        smallest_clip_scale=float(scale[clipped].min()) if clipped.any() else None,
        # "acted" = cut a gradient of the spike's window by more than 10 %
        acted_before_spike=bool((scale[at] < MATERIAL_CLIP).any()) if at.any() else False,
    )


def _spike_window(x: np.ndarray, ctx: Context) -> np.ndarray:
    """Logged steps from the last watched point before the spike to its peak."""
    spike = ctx.spike
    start = ctx.onset_x
    if ctx.x is not None and ctx.onset and ctx.onset > 0:
        start = float(ctx.x[ctx.onset - 1])
    peak = spike.evidence.get("peak", ctx.onset_x) if spike is not None else ctx.onset_x
    return (x > start) & (x <= peak)


def _scaled_observed(plan: Plan, ctx: Context) -> ReplayOutcome:
    """The run's own LR times ``plan.observed_scale``: exact for schedules that multiply the
    base LR (HF's LambdaLR schedules, which the per-update check identified); otherwise it
    assumes the unknown schedule scales with the base LR."""
    lr = np.asarray(ctx.observed_lr, dtype=float) * plan.observed_scale
    label_ = "exact replay" if ctx.per_step_spec is not None else "conditional replay"
    observed = observed_lr(ctx)
    at = observed * plan.observed_scale if observed is not None else None
    return ReplayOutcome(
        lr=lr.tolist(), events=[], horizon=0, first_reduction=None, first_reduction_label=None,
        lr_at_onset=at, lr_at_onset_label=label_,
        observed_lr_at_onset=observed,
        acted_before_spike=at is not None and plan.observed_scale <= ACT_RATIO,
        stop=_stop(plan, ctx.metric))


def observed_lr(ctx: Context) -> float | None:
    """The LR the run had when the spike began: at the spike's own step when known."""
    if ctx.lr_at_spike is not None:
        return ctx.lr_at_spike
    return observed_at(ctx.observed_lr, ctx.onset)


def label(index: int | None, horizon: int | None, metric_driven: bool) -> str:
    """``exact replay`` when the value only depends on what was really recorded."""
    if not metric_driven or index is None or horizon is None or index <= horizon:
        return "exact replay"
    return "conditional replay"


def observed_at(observed: np.ndarray | None, i: int | None) -> float | None:
    """The finite observed LR at position ``i``, or None."""
    if observed is None or i is None or i >= len(observed) or not np.isfinite(observed[i]):
        return None
    return float(observed[i])


def _stop(plan: Plan, metric: np.ndarray) -> int | None:
    if plan.early_stopping is None:
        return None
    ev = replay.early_stop(plan.early_stopping, metric)
    return ev.index if ev else None
