"""infer_schedule: recover the spec behind logs made by our replays (bit-identical to torch,
HF, Keras per the other test modules), under both alignments and with float32 logs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from replay import (
    ConstantSchedule,
    CosineAnnealingLR,
    ExponentialLR,
    HFScheduler,
    KerasReduceLROnPlateau,
    LinearLR,
    MultiStepLR,
    ReduceLROnPlateau,
    SequentialLR,
    StepLR,
    infer_schedule,
    lr_trajectory,
)

RNG_METRICS = list(1 + np.cumsum(np.random.default_rng(1).normal(-0.002, 0.02, 60)))

CASES = [
    pytest.param(ConstantSchedule(), 0.01, 20, None, id="constant"),
    pytest.param(StepLR(step_size=5, gamma=0.5), 0.1, 30, None, id="step"),
    pytest.param(MultiStepLR(milestones=(10, 25)), 0.05, 40, None, id="multistep"),
    pytest.param(ExponentialLR(gamma=0.95), 0.1, 40, None, id="exponential"),
    pytest.param(CosineAnnealingLR(T_max=50, eta_min=1e-4), 0.1, 40, None, id="cosine_partial"),
    pytest.param(CosineAnnealingLR(T_max=20), 0.1, 40, None, id="cosine_past_t_max"),
    pytest.param(
        SequentialLR((LinearLR(start_factor=0.1, total_iters=5), CosineAnnealingLR(T_max=45)),
                     milestones=(5,)), 0.1, 50, None, id="warmup_cosine",
    ),
    pytest.param(HFScheduler("cosine", 10, 100), 3e-4, 100, None, id="hf_cosine"),
    pytest.param(HFScheduler("linear", 10, 100), 3e-4, 100, None, id="hf_linear"),
    pytest.param(ReduceLROnPlateau(patience=3, factor=0.5), 0.1, 61, RNG_METRICS,
                 id="torch_plateau"),
    pytest.param(KerasReduceLROnPlateau(patience=3, factor=0.5), 0.1, 61, RNG_METRICS,
                 id="keras_plateau"),
]  # fmt: skip


@pytest.mark.parametrize(("spec", "base_lr", "n", "metrics"), CASES)
def test_infer_schedule_recovers_spec_from_used_log(spec, base_lr, n, metrics):
    logged = lr_trajectory(spec, base_lr, n, metrics).lr
    best = infer_schedule(logged, metrics)[0]
    assert (best.spec, best.score, best.alignment) == (spec, 1.0, "used")
    assert best.first_mismatch is None


@pytest.mark.parametrize(
    ("spec", "n"),
    [(StepLR(step_size=5, gamma=0.5), 30), (CosineAnnealingLR(T_max=30), 40)],
)
def test_infer_schedule_recovers_after_step_alignment(spec, n):
    logged = lr_trajectory(spec, 0.1, n + 1).lr[1:]
    best = infer_schedule(logged)[0]
    assert (best.spec, best.alignment, best.score) == (spec, "after_step", 1.0)


def test_infer_schedule_float32_log_matches_within_rtol():
    logged = np.float32(lr_trajectory(CosineAnnealingLR(T_max=30), 0.1, 40).lr)
    best = infer_schedule(logged)[0]
    assert best.spec == CosineAnnealingLR(T_max=30)
    assert best.score == 1.0


def test_infer_schedule_nan_gaps_are_skipped():
    logged = lr_trajectory(StepLR(step_size=4), 0.1, 20).lr.copy()
    logged[[2, 9, 10]] = math.nan
    best = infer_schedule(logged)[0]
    assert (best.spec, best.score) == (StepLR(step_size=4), 1.0)


def test_infer_schedule_plateau_needs_metrics():
    logged = lr_trajectory(ReduceLROnPlateau(patience=3, factor=0.5), 0.1, 61, RNG_METRICS).lr
    specs = [type(c.spec) for c in infer_schedule(logged, top=50)]
    assert ReduceLROnPlateau not in specs


def test_infer_schedule_ranks_by_score():
    logged = lr_trajectory(StepLR(step_size=5, gamma=0.5), 0.1, 30).lr
    scores = [c.score for c in infer_schedule(logged, top=10)]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("logged", [[], [math.nan, math.nan]])
def test_infer_schedule_nothing_to_fit_returns_empty(logged):
    assert infer_schedule(logged) == []


@pytest.mark.parametrize("spec", [StepLR(step_size=4), CosineAnnealingLR(T_max=12)])
def test_infer_schedule_names_the_step_epoch_misuse(spec, torch_lrs):
    logged = torch_lrs(spec, 0.1, 20, stepping="step_epoch_after")
    best = infer_schedule(logged)[0]
    assert (best.spec, best.stepping, best.score) == (spec, "step_epoch_after", 1.0)


def _sparse(lr, every, first=1):
    """One logged value every ``every`` steps (HF ``logging_steps``), NaN in between."""
    out = np.full(lr.size, np.nan)
    out[first::every] = lr[first::every]
    return out


@pytest.mark.parametrize(
    "spec",
    [HFScheduler("cosine", 57, 2808), HFScheduler("linear", 30, 900),
     HFScheduler("linear", 0, 5490), HFScheduler("cosine", 0, 700)],
)  # fmt: skip
@pytest.mark.parametrize("alignment", ["used", "after_step"])
def test_infer_schedule_hf_from_sparse_per_step_log(spec, alignment):
    n = spec.num_training_steps - 10
    shift = alignment == "after_step"
    logged = _sparse(lr_trajectory(spec, 2e-5, n + 1).lr[shift : n + shift], 15, 14)
    best = infer_schedule(logged)[0]
    assert (best.base_lr, best.score, best.alignment) == (2e-5, 1.0, alignment)
    if spec.num_warmup_steps == 0 and spec.lr_scheduler_type == "cosine":
        assert best.spec == CosineAnnealingLR(T_max=spec.num_training_steps)  # same curve
    else:
        assert best.spec == spec


def test_infer_schedule_prefers_the_round_base_over_a_shifted_equivalent():
    # a sparse linear decay without warm-up points also fits W=1, T-1 with base 1.99927e-05
    logged = _sparse(lr_trajectory(HFScheduler("linear", 0, 5490), 2e-5, 5001).lr[1:], 500, 499)
    best = infer_schedule(logged)[0]
    assert (best.spec, best.base_lr) == (HFScheduler("linear", 0, 5490), 2e-5)


def test_infer_schedule_never_proposes_a_negative_floor():
    # a truncated, slightly noisy cosine: an unconstrained fit wants eta_min < 0
    lr = lr_trajectory(CosineAnnealingLR(T_max=100), 0.1, 40).lr
    noisy = lr * (1 + 1e-3 * np.sin(np.arange(40)))
    found = infer_schedule(noisy, top=50)
    assert found
    for c in found:
        for name in ("eta_min", "min_lr", "min_lr_rate", "min_lr_ratio", "lr_end"):
            value = getattr(c.spec, name, None)
            assert value is None or value >= 0, c.spec
        assert c.base_lr >= 0


def test_cosine_fit_clamps_a_negative_eta_min():
    from replay.inference import _cosine_fit

    t = np.arange(30)
    lr = 0.1 * (1 + np.cos(np.pi * t / 60)) / 2 - 0.001  # shifted below zero
    _, eta, _ = _cosine_fit(lr, 0)
    assert eta >= 0.0


def test_negative_floor_checks_nested_schedulers():
    from replay.inference import _negative_floor

    bad = SequentialLR((LinearLR(start_factor=0.1, total_iters=5),
                        CosineAnnealingLR(T_max=45, eta_min=-1e-4)), milestones=(5,))  # fmt: skip
    assert _negative_floor(bad)
    assert not _negative_floor(CosineAnnealingLR(T_max=45, eta_min=1e-4))
