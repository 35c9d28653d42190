"""SequentialLR and ChainedScheduler against the real torch composites."""

from __future__ import annotations

import pytest

from replay import (
    ChainedScheduler,
    ConstantLR,
    CosineAnnealingLR,
    CosineAnnealingWarmRestarts,
    CyclicLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    MultiplicativeLR,
    MultiStepLR,
    OneCycleLR,
    PolynomialLR,
    ReduceLROnPlateau,
    SequentialLR,
    StepLR,
    lr_trajectory,
)

WARMUP = LinearLR(start_factor=0.01, total_iters=10)

SCHEDULES = [
    pytest.param(
        SequentialLR((WARMUP, CosineAnnealingLR(T_max=90)), milestones=(10,)),
        3e-4,
        130,
        id="seq_warmup_cosine",
    ),
    pytest.param(
        SequentialLR(
            (LinearLR(start_factor=0.1, total_iters=3), CosineAnnealingLR(T_max=4, eta_min=1e-3)),
            milestones=(3,),
        ),
        0.1,
        20,
        id="seq_warmup_cosine_eta",
    ),
    pytest.param(
        SequentialLR(
            (ConstantLR(factor=0.1, total_iters=2), ExponentialLR(gamma=0.9)), milestones=(2,)
        ),
        1.0,
        30,
        id="seq_constant_exponential",
    ),
    pytest.param(
        SequentialLR(
            (StepLR(step_size=2), MultiStepLR(milestones=(3, 6)), PolynomialLR(total_iters=4)),
            milestones=(5, 12),
        ),
        0.1,
        25,
        id="seq_three_children",
    ),
    pytest.param(
        SequentialLR(
            (ExponentialLR(gamma=0.5), LinearLR(start_factor=0.5, total_iters=4)), milestones=(0,)
        ),
        0.1,
        10,
        id="seq_milestone_zero",
    ),
    pytest.param(
        SequentialLR(
            (LambdaLR(lambda t: 1 / (t + 1)), MultiplicativeLR(lambda t: 0.9)), milestones=(4,)
        ),
        0.1,
        12,
        id="seq_lambda_multiplicative",
    ),
    pytest.param(
        SequentialLR((WARMUP, CosineAnnealingWarmRestarts(T_0=5, T_mult=2)), milestones=(10,)),
        0.1,
        60,
        id="seq_warmup_restarts",
    ),
    pytest.param(
        SequentialLR(
            (LinearLR(total_iters=2), CyclicLR(0.01, 0.1, step_size_up=3)), milestones=(4,)
        ),
        0.05,
        20,
        id="seq_linear_cyclic",
    ),
    pytest.param(
        SequentialLR(
            (CyclicLR(0.01, 0.1, step_size_up=3), ExponentialLR(gamma=0.8)), milestones=(6,)
        ),
        0.05,
        15,
        id="seq_cyclic_first",
    ),
    pytest.param(
        SequentialLR((OneCycleLR(0.1, total_steps=10), LinearLR(total_iters=3)), milestones=(8,)),
        0.05,
        15,
        id="seq_onecycle_first",
    ),
    pytest.param(
        ChainedScheduler((ConstantLR(factor=0.1, total_iters=2), ExponentialLR(gamma=0.9))),
        1.0,
        20,
        id="chain_constant_exponential",
    ),
    pytest.param(
        ChainedScheduler((StepLR(step_size=3), LinearLR(start_factor=0.2, total_iters=5))),
        0.1,
        15,
        id="chain_step_linear",
    ),
    pytest.param(
        ChainedScheduler((WARMUP, CosineAnnealingLR(T_max=30))), 0.1, 70, id="chain_cosine_past"
    ),
    pytest.param(
        ChainedScheduler((ExponentialLR(gamma=0.9), LambdaLR(lambda t: 0.5))),
        0.1,
        6,
        id="chain_lambda_overwrites",
    ),
]


@pytest.mark.parametrize(("spec", "base_lr", "n"), SCHEDULES)
@pytest.mark.parametrize("stepping", ["standard", "step_before"])
def test_lr_trajectory_torch_composite_matches_torch_bitwise(
    spec, base_lr, n, stepping, torch_lrs, same
):
    ours = lr_trajectory(spec, base_lr, n, stepping=stepping).lr
    same(ours, torch_lrs(spec, base_lr, n, stepping=stepping))


def test_lr_trajectory_sequential_warmup_cosine_restarts_at_base():
    spec = SequentialLR(
        (LinearLR(start_factor=0.1, total_iters=3), CosineAnnealingLR(T_max=10)), milestones=(3,)
    )
    lr = lr_trajectory(spec, 0.1, 5).lr
    assert lr[3] == 0.1


def test_lr_trajectory_sequential_step_epoch_after_raises():
    spec = SequentialLR((WARMUP, StepLR(step_size=2)), milestones=(10,))
    with pytest.raises(ValueError, match="SequentialLR has no closed form"):
        lr_trajectory(spec, 0.1, 5, stepping="step_epoch_after")


def test_lr_trajectory_sequential_events_include_child_reductions():
    spec = SequentialLR((ConstantLR(factor=1.0, total_iters=0), StepLR(step_size=2)), (3,))
    traj = lr_trajectory(spec, 0.1, 8)
    assert [(e.kind, e.index) for e in traj.events] == [("reduce", 4), ("reduce", 6)]


@pytest.mark.parametrize(
    ("factory", "error", "match"),
    [
        (lambda: SequentialLR((), ()), ValueError, "expects at least one scheduler"),
        (
            lambda: SequentialLR((StepLR(2), StepLR(3)), ()),
            ValueError,
            "one more scheduler than milestones, but got 2 schedulers and 0 milestones",
        ),
        (
            lambda: SequentialLR((StepLR(2), StepLR(3), StepLR(4)), (5, 5)),
            ValueError,
            r"milestones must be strictly increasing, got \(5, 5\)",
        ),
        (
            lambda: ChainedScheduler((StepLR(2), ReduceLROnPlateau())),
            ValueError,
            "ChainedScheduler does not support ReduceLROnPlateau .* at index 1",
        ),
        (lambda: ChainedScheduler(({},)), TypeError, "no torch replay for dict at index 0"),
        (
            lambda: ChainedScheduler((ChainedScheduler((StepLR(2),)),)),
            ValueError,
            "nested ChainedScheduler at index 0 is not replayed",
        ),
    ],
)
def test_torch_composite_bad_children_raise(factory, error, match):
    with pytest.raises(error, match=match):
        factory()
