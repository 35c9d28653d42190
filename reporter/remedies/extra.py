"""Options the diagnosis has to call for: warm-up (an early spike), adaptive clipping (a
gradient-norm log whose z-score flags the spike) and rewind-and-skip (a spike that did not
recover, with a better point before it to resume from)."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

import replay
from reporter.remedies.plan import Context, Option, Plan
from reporter.remedies.schedules import varies

EARLY_FRACTION = 0.1  # a spike in the first 10 % of the run calls for a warm-up
WARMUP_LR_AT_SPIKE = 0.5  # the warm-up's LR at the spike, as a fraction of the base
ZCLIP_MIN_POINTS = 10  # logged norms needed before the spike for an EMA to mean anything
ZCLIP_DEFAULT_WARMUP = 25


def warmup(base: Plan, ctx: Context) -> Option | None:
    """A linear warm-up when the spike comes in the first 10 % of the run, long enough that
    the LR at the spike is about half the base."""
    if ctx.onset is None or ctx.spike is None or ctx.onset_x is None:
        return None
    n = len(ctx.metric)
    x = ctx.x if ctx.x is not None else np.arange(n, dtype=float)
    span = float(x[-1]) if len(x) else 0.0
    total = float(base.epochs) if ctx.axis == "epoch" else span
    if not total > 0 or ctx.onset_x > EARLY_FRACTION * total:
        return None
    hf = ctx.per_step_spec is not None
    # torch/Keras ramps train index i at (i+1)/W, HF's at s/W: W puts the spike at ~half
    at = ctx.onset_x if hf else ctx.onset_x + 1
    length = max(2, math.ceil(at / WARMUP_LR_AT_SPIKE))
    unit = "optimizer steps" if hf else f"{ctx.axis}s"
    share = length / total
    rationale = [
        f"the spike began at {ctx.at(ctx.onset_x)}, {ctx.onset_x / total:.0%} into the "
        f"run (observed): within the first {EARLY_FRACTION:.0%}, where a warm-up acts",
        f"a linear warm-up over {length} {unit} ({share:.0%} of the run): the LR at the spike's "
        f"{ctx.axis} is then about {WARMUP_LR_AT_SPIKE:.0%} of the run's, and a spike one "
        f"{ctx.axis} later still meets a reduced LR; after it the run's own schedule is unchanged",
    ]
    plan = replace(base, warmup=length)
    if hf or (isinstance(base.scheduler, replay.ConstantSchedule) and varies(ctx.observed_lr)):
        plan = replace(plan, observed_scale=1.0)  # the run's own LR path, as logged
    changes = {"warmup_steps" if hf else "warmup_epochs": length}
    return Option("warmup", "Learning-rate warm-up", plan, changes, rationale)


def adaptive_clipping(base: Plan, ctx: Context) -> Option | None:
    """ZClip (z-score mode) when its replay over the logged gradient norms cuts a gradient of
    the spike's window by more than 10 %: the norms there stood out from their running mean."""
    if ctx.grad_norm_steps is None or ctx.onset_x is None:
        return None
    x, norms = ctx.grad_norm_steps
    before = int(np.sum(x < ctx.onset_x))
    if before < ZCLIP_MIN_POINTS:
        return None
    ema_start = min(ZCLIP_DEFAULT_WARMUP, before // 2)
    spec = replay.ZClip(warmup_steps=ema_start, max_grad_norm=base.clip_grad_norm)
    plan = replace(base, zclip=spec)
    from reporter.remedies.outcome import replay_plan

    out = replay_plan(plan, ctx)
    if not out.acted_before_spike:
        return None
    every = _every(x)
    rationale = [
        f"ZClip (z-score mode, Kumar et al. 2025): it keeps an exponential moving average "
        f"(alpha {spec.alpha:g}) of the gradient norm's mean and variance and clips a norm whose "
        f"z-score exceeds {spec.z_thresh:g}; alpha and z_thresh are the paper's defaults, the "
        f"first {ema_start} norms only start the averages"
        + ("" if ema_start == ZCLIP_DEFAULT_WARMUP else
           f" (25 by default; fewer, as only {before} norms precede the spike)"),
        f"replayed over the {len(norms)} logged gradient norms"
        + ("" if every <= 1 else f" (one every {every:g} steps, so the averages see fewer norms "
           "than they would in training)")
        + f": it would have clipped {out.clipped_steps} of them, "
        f"{_share(out.clip_fraction_before, before)} before the spike and "
        f"{out.clip_fraction_at_spike:.0%} of those in the spike's window, the deepest cut "
        f"scaling a gradient to {out.smallest_clip_scale:.2g}× its norm (conditional replay: "
        "after the first clip the run would have gone on differently)",
    ]
    if base.clip_grad_norm:
        rationale.append(f"the run's max_norm {base.clip_grad_norm:g} stays as a hard cap")
    return Option("adaptive_clip", "Adaptive gradient clipping (ZClip)", plan,
                  {"zclip": "ZClip(alpha=0.97, z_thresh=2.5)"}, rationale)


def rewind_and_skip(base: Plan, ctx: Context) -> Option | None:
    """Resume from the best point before a spike that did not recover, skipping its window."""
    spike = ctx.spike
    if spike is None or spike.evidence.get("recovered") or ctx.onset_x is None:
        return None
    best_at = spike.evidence.get("best_at")
    peak = spike.evidence.get("peak", ctx.onset_x)
    if best_at is None or not best_at < ctx.onset_x:
        return None
    last_good = float(ctx.x[ctx.onset - 1]) if ctx.x is not None and ctx.onset else best_at
    rationale = [
        f"the spike at {ctx.at(ctx.onset_x)} did not recover (observed): the run is worth "
        f"resuming from its best point before it, {ctx.at(best_at)} (the lowest "
        f"{spike.metric} before the spike, observed)",
        f"skip the batches the run trained on after {ctx.at(last_good)} up to the peak at "
        f"{ctx.at(peak)} (the spike's window as logged), then continue unchanged: if "
        "particular batches set it off, the resumed run never sees them; if the spike returns "
        "anyway, the cause is not the data order",
        "not replayed: it changes which data the model sees, not the LR, so the logs cannot "
        "say what it does; the confirmation cannot train it on the proxy either",
    ]
    plan = replace(base, rewind=(float(best_at), float(last_good), float(peak)))
    changes = {"resume_from": f"checkpoint at {ctx.at(best_at)}",
               "skip_batches": f"{ctx.axis}s {ctx.shown(last_good)}–{ctx.shown(peak)}"}
    return Option("rewind_skip", "Rewind and skip the spike's batches", plan, changes, rationale)


def _share(fraction: float | None, n: int) -> str:
    return "none" if not fraction else f"{round(fraction * n)} of the {n}"


def _every(x: np.ndarray) -> float:
    d = np.diff(x[np.isfinite(x)])
    return float(np.median(d)) if len(d) else 1.0
