"""LambdaLR, MultiplicativeLR, MultiStepLR, ConstantLR, LinearLR, ExponentialLR and
PolynomialLR replays against the real torch schedulers (every LR compared with ==)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from replay import (
    ConstantLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    MultiplicativeLR,
    MultiStepLR,
    PolynomialLR,
    lr_trajectory,
)


def _warmup_cosine(t):
    return (t + 1) / 10 if t < 10 else 0.5 * (1 + math.cos(math.pi * (t - 10) / 90))


SCHEDULES = [
    pytest.param(LambdaLR(lambda t: 0.95**t), 0.1, 200, id="lambda_exp"),
    pytest.param(LambdaLR(_warmup_cosine), 3e-4, 120, id="lambda_warmup_cosine"),
    pytest.param(MultiplicativeLR(lambda t: 0.95), 0.1, 300, id="multiplicative_const"),
    pytest.param(MultiplicativeLR(lambda t: 1 - 1 / (t + 3)), 0.1, 100, id="multiplicative_t"),
    pytest.param(MultiStepLR(milestones=(30, 80)), 0.05, 120, id="multistep"),
    pytest.param(MultiStepLR(milestones=(5, 5, 9), gamma=0.5), 0.1, 20, id="multistep_repeated"),
    pytest.param(MultiStepLR(milestones=(0, 3), gamma=0.5), 0.1, 8, id="multistep_zero"),
    pytest.param(MultiStepLR(milestones=(9, 2, 6), gamma=0.3), 1.0, 12, id="multistep_unsorted"),
    pytest.param(ConstantLR(), 0.05, 12, id="constant_lr_defaults"),
    pytest.param(ConstantLR(factor=0.3, total_iters=4), 0.1, 10, id="constant_lr_0.3"),
    pytest.param(ConstantLR(factor=0.5, total_iters=0), 0.1, 4, id="constant_lr_zero_iters"),
    pytest.param(LinearLR(), 0.05, 12, id="linear_defaults"),
    pytest.param(LinearLR(start_factor=0.01, total_iters=500), 3e-4, 700, id="linear_warmup"),
    pytest.param(
        LinearLR(start_factor=1.0, end_factor=0.1, total_iters=30), 0.1, 40, id="linear_decay"
    ),
    pytest.param(
        LinearLR(start_factor=0.5, end_factor=0.0, total_iters=8), 0.1, 12, id="linear_to_zero"
    ),
    pytest.param(ExponentialLR(gamma=0.9), 0.1, 300, id="exponential_0.9"),
    pytest.param(ExponentialLR(gamma=0.999), 3e-4, 2000, id="exponential_long"),
    pytest.param(PolynomialLR(), 0.1, 10, id="polynomial_defaults"),
    pytest.param(PolynomialLR(total_iters=50, power=0.9), 0.1, 60, id="polynomial_0.9"),
    pytest.param(PolynomialLR(total_iters=20, power=2.0), 0.1, 25, id="polynomial_2"),
]


@pytest.mark.parametrize(("spec", "base_lr", "n"), SCHEDULES)
@pytest.mark.parametrize("stepping", ["standard", "step_before", "step_epoch_after"])
def test_lr_trajectory_torch_decay_matches_torch_bitwise(
    spec, base_lr, n, stepping, torch_lrs, same
):
    ours = lr_trajectory(spec, base_lr, n, stepping=stepping).lr
    same(ours, torch_lrs(spec, base_lr, n, stepping=stepping))


# MultiplicativeLR has no closed form; ConstantLR(total_iters=0) never restores the base LR in
# torch's recursive form (the t == 0 branch wins) while its closed form does.
CLOSED = [
    p
    for p in SCHEDULES
    if not isinstance(p.values[0], MultiplicativeLR) and p.id != "constant_lr_zero_iters"
]


@pytest.mark.parametrize(("spec", "base_lr", "n"), CLOSED)
def test_lr_trajectory_torch_decay_closed_form_agrees_to_rounding(spec, base_lr, n):
    recursive = lr_trajectory(spec, base_lr, n + 1).lr[:n]
    closed = lr_trajectory(spec, base_lr, n + 1, stepping="step_epoch_after").lr[1:]
    if isinstance(spec, MultiStepLR) and 0 in spec.milestones:
        closed = closed.copy()
        closed[0] = recursive[0]  # torch's closed form at 0 is base*gamma**count(<=0) too
    np.testing.assert_allclose(recursive, closed, rtol=1e-9, atol=1e-18)


def test_exponential_lr_carried_product_differs_from_closed_form():
    recursive = lr_trajectory(ExponentialLR(gamma=0.9), 0.1, 30).lr
    closed = 0.1 * 0.9 ** np.arange(30)
    assert (recursive != closed).sum() > 10


@pytest.mark.parametrize(
    ("spec", "events"),
    [
        (MultiStepLR(milestones=(2, 4)), [("reduce", 1), ("reduce", 3)]),
        (ConstantLR(factor=0.5, total_iters=2), [("restart", 1)]),
        (LinearLR(total_iters=3), []),
    ],
)
def test_lr_trajectory_torch_decay_events(spec, events):
    traj = lr_trajectory(spec, 0.1, 6)
    assert [(e.kind, e.index) for e in traj.events] == events


@pytest.mark.parametrize(
    ("factory", "error", "match"),
    [
        (lambda: LambdaLR(0.5), TypeError, "LambdaLR lr_lambda must be callable, got 0.5"),
        (lambda: MultiplicativeLR(None), TypeError, "lr_lambda must be callable, got None"),
        (lambda: ConstantLR(factor=1.5), ValueError, r"factor must be in \[0, 1\], got 1.5"),
        (lambda: LinearLR(start_factor=0), ValueError, r"start_factor must be in \(0, 1\]"),
        (lambda: LinearLR(end_factor=2), ValueError, r"end_factor must be in \[0, 1\], got 2"),
    ],
)
def test_torch_decay_spec_bad_arguments_raise(factory, error, match):
    with pytest.raises(error, match=match):
        factory()
