"""The plateau option: patience chosen with a margin, a floor where the replay sinks, Keras
spelling on a Keras run."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

import replay
from reporter.remedies.catalog import replay_plan
from reporter.remedies.plateau import (
    MARGIN_POINTS,
    ROBUST_SHARE,
    _lead,
    curve_noise,
    faster_plateau,
    first_reduction,
    perturbed,
)


def test_keras_plateau_gets_a_floor_where_factor_point_one_sinks_the_lr(ctx_of, plan_of):
    # issue 10: factor 0.1, patience 1 took a Keras run's LR to 1e-8 by epoch 9, unremarked
    y = [0.61, 0.96, 0.5, 0.45, 0.33, 0.92, 0.4, 0.35, 0.16, 0.29]
    ctx = ctx_of(y, 5, framework="keras", lr=1e-4)
    own = replay.KerasReduceLROnPlateau(factor=0.1, patience=3)
    opt = faster_plateau(plan_of(1e-4, epochs=10, scheduler=own), ctx)
    spec = opt.plan.scheduler
    assert isinstance(spec, replay.KerasReduceLROnPlateau) and spec.factor == 0.1
    unfloored = replay.lr_trajectory(replace(spec, min_lr=0.0), 1e-4, 10, np.asarray(y)).lr
    assert min(unfloored) < 1e-6  # without the floor the replay sinks below 1 % of the base
    assert spec.min_lr == 1e-6 and opt.changes["scheduler.min_lr"] == 1e-6
    assert min(replay_plan(opt.plan, ctx).lr) >= 1e-6 * (1 - 1e-6)
    assert any("min_lr 1e-06" in r for r in opt.rationale)


def test_a_new_plateau_rule_halves_the_lr_instead_of_the_default_tenth(ctx_of, plan_of):
    y = [0.61, 0.96, 0.5, 0.45, 0.33, 0.92, 0.4, 0.35, 0.16, 0.29]
    opt = faster_plateau(plan_of(1e-4, epochs=10), ctx_of(y, 5, framework="keras", lr=1e-4))
    assert opt.plan.scheduler.factor == 0.5
    assert any("rather than dividing it by ten" in r for r in opt.rationale)


def test_patience_keeps_a_margin_before_the_spike(falling, ctx_of, plan_of):
    ctx = ctx_of(falling, 30, lr=1e-3)
    base = plan_of(1e-3)
    opt = faster_plateau(base, ctx)
    p = opt.plan.scheduler.patience
    start = replay.ReduceLROnPlateau()
    assert _lead(base, start, p, 0.1, ctx.metric, 30) >= MARGIN_POINTS
    assert "chosen with a margin" in opt.rationale[0]
    copies = perturbed(ctx.metric, curve_noise(ctx.metric, 30), 30)
    # every larger patience below the default misses the margin or the perturbed copies
    for q in range(p + 1, start.patience):
        lead = _lead(base, start, q, 0.1, ctx.metric, 30)
        leads = [_lead(base, start, q, 0.1, c, 30) for c in copies]
        share = np.mean([x is not None and x >= 0 for x in leads])
        assert lead is None or lead < MARGIN_POINTS or share < ROBUST_SHARE


def test_patience_fitted_to_one_curve_says_so(ctx_of, plan_of):
    # the last improvement is 2 epochs before the spike: only patience 1 fires, with no margin
    y = [1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.1, 0.1, 3.0, 3.0]
    ctx = ctx_of(y, 12, lr=1e-3)
    opt = faster_plateau(plan_of(1e-3), ctx)
    assert opt.plan.scheduler.patience == 1
    assert "fitted to this one curve" in opt.rationale[0]


def test_curve_noise_measures_a_noisy_curve_and_floors_a_smooth_one():
    rng = np.random.default_rng(0)
    smooth = np.exp(-np.arange(30) / 10)
    noisy = smooth * np.exp(rng.normal(0, 0.2, 30))
    assert curve_noise(smooth, 30) == 0.02
    assert 0.1 < curve_noise(noisy, 30) < 0.4


def test_first_reduction_on_prefixes_is_the_full_replays():
    # the replay reads growing prefixes; the first reduction must be the whole curve's
    rng = np.random.default_rng(1)
    y = (1 + np.arange(5000)) ** -0.3 * np.exp(rng.normal(0, 0.002, 5000))
    y[3000:] = y[3000]  # improvements stop late: found only after a longer prefix
    for spec in (replay.ReduceLROnPlateau(patience=20), replay.KerasReduceLROnPlateau(patience=3),
                 replay.ReduceLROnPlateau(patience=6000)):
        full = replay.lr_trajectory(spec, 1.0, len(y), y).first("reduce")
        got = first_reduction(spec, 1.0, y, len(y))
        assert got == (None if full is None else full.index)


def test_perturbed_copies_are_seeded_and_read_by_prefix_the_same():
    y = np.linspace(2.0, 1.0, 50)
    copies = perturbed(y, 0.1, 30)
    assert len(copies) == 100
    for k, (copy, again) in enumerate(zip(copies, copies, strict=True)):
        expected = y.copy()
        expected[:30] = y[:30] * np.exp(np.random.default_rng(k).normal(0.0, 0.1, 30))
        # the first points first, then the rest: the same numbers as all at once
        assert np.array_equal(copy[:7], expected[:7]) and np.array_equal(copy[:50], expected)
        assert np.array_equal(again[:50], expected)  # the same copies on every pass
