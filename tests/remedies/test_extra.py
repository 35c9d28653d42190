"""Warm-up, adaptive clipping and rewind-and-skip appear only where the diagnosis calls for
them, and each says what its replay found."""

from __future__ import annotations

from dataclasses import replace as with_

import numpy as np
import pytest

import replay
from reporter.remedies.catalog import replay_plan
from reporter.remedies.extra import adaptive_clipping, rewind_and_skip, warmup


def _curve(n, onset):
    y = np.linspace(1.0, 0.5, n)
    y[onset:onset + 2] = 3.0
    return y


def test_warmup_for_an_early_spike_halves_the_lr_there(ctx_of, plan_of):
    ctx = ctx_of(_curve(60, 3), 3, lr=1e-3)
    opt = warmup(plan_of(1e-3, epochs=60), ctx)
    assert opt is not None and opt.plan.warmup == 8  # (3 + 1) / 0.5
    out = replay_plan(opt.plan, ctx)
    assert out.lr_at_onset == pytest.approx(0.5e-3)
    assert out.acted_before_spike and out.lr[-1] == pytest.approx(1e-3)
    assert "5% into the run" in opt.rationale[0]


def test_no_warmup_for_a_late_spike(ctx_of, plan_of):
    assert warmup(plan_of(1e-3, epochs=60), ctx_of(_curve(60, 30), 30, lr=1e-3)) is None


def test_adaptive_clipping_when_the_grad_norm_stands_out_at_the_spike(ctx_of, plan_of):
    rng = np.random.default_rng(1)
    grad = 1.0 + 0.05 * rng.standard_normal(60)
    grad[30] = 8.0
    ctx = ctx_of(_curve(60, 30), 30, lr=1e-3, grad=grad)
    opt = adaptive_clipping(plan_of(1e-3, epochs=60), ctx)
    assert opt is not None
    out = replay_plan(opt.plan, ctx)
    assert out.clipped_steps >= 1 and out.smallest_clip_scale < 0.5
    assert out.clip_fraction_at_spike == 1.0
    assert f"it would have clipped {out.clipped_steps} of them" in opt.rationale[1]


def test_no_adaptive_clipping_without_an_outlier_or_without_a_log(ctx_of, plan_of):
    grad = np.ones(60)
    grad[30] = 1.01
    assert adaptive_clipping(plan_of(), ctx_of(_curve(60, 30), 30, grad=grad)) is None
    assert adaptive_clipping(plan_of(), ctx_of(_curve(60, 30), 30)) is None


def test_rewind_and_skip_only_for_a_spike_that_did_not_recover(ctx_of, plan_of):
    ctx = ctx_of(_curve(60, 30), 30, best_at=25)
    opt = rewind_and_skip(plan_of(), ctx)
    assert opt is not None and opt.plan.rewind == (25.0, 29.0, 30.0)
    assert replay_plan(opt.plan, ctx).acted_before_spike is None  # not replayed
    recovered = ctx_of(_curve(60, 30), 30, best_at=25, recovered=True)
    assert rewind_and_skip(plan_of(), recovered) is None


def test_hf_warmup_is_replayed_on_the_per_update_schedule(ctx_of, plan_of):
    spec = replay.HFScheduler("linear", num_warmup_steps=0, num_training_steps=1000)
    steps = np.arange(10, 1001, 10, dtype=float)
    lr = 1e-3 * np.asarray(replay.lr_trajectory(spec, 1.0, 1001).lr)[steps.astype(int)]
    ctx = with_(ctx_of(_curve(len(steps), 3), 3), x=steps, onset_x=40.0, observed_lr=lr,
                per_step_spec=spec, framework="hf", axis="step")
    opt = warmup(plan_of(1e-3, epochs=3), ctx)
    assert opt is not None and opt.changes == {"warmup_steps": 80}
    out = replay_plan(opt.plan, ctx)
    assert out.lr_at_onset == pytest.approx(0.5e-3)  # HF's ramp: step 40 of 80
    # after the ramp HF's linear decay runs from step 80: (T - s) / (T - W) at step 500
    assert out.lr[49] == pytest.approx(1e-3 * 500 / 920)
