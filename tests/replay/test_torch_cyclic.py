"""CosineAnnealingWarmRestarts, CyclicLR and OneCycleLR against the real torch schedulers."""

from __future__ import annotations

import numpy as np
import pytest

from replay import CosineAnnealingWarmRestarts, CyclicLR, OneCycleLR, lr_trajectory

SCHEDULES = [
    pytest.param(CosineAnnealingWarmRestarts(T_0=10), 0.1, 95, id="warm_10"),
    pytest.param(CosineAnnealingWarmRestarts(T_0=3, T_mult=2), 0.1, 60, id="warm_3_x2"),
    pytest.param(
        CosineAnnealingWarmRestarts(T_0=5, T_mult=3, eta_min=1e-3), 0.05, 200, id="warm_5_x3_eta"
    ),
    pytest.param(CosineAnnealingWarmRestarts(T_0=1), 0.1, 5, id="warm_1"),
    pytest.param(CyclicLR(base_lr=0.01, max_lr=0.1, step_size_up=5), 0.3, 60, id="cyclic_tri"),
    pytest.param(
        CyclicLR(base_lr=1e-4, max_lr=1e-2, step_size_up=4, step_size_down=7, mode="triangular2"),
        0.1,
        80,
        id="cyclic_tri2_asym",
    ),
    pytest.param(
        CyclicLR(base_lr=0.001, max_lr=0.006, step_size_up=6, mode="exp_range", gamma=0.99),
        0.1,
        100,
        id="cyclic_exp_range",
    ),
    pytest.param(
        CyclicLR(
            base_lr=0.001,
            max_lr=0.01,
            step_size_up=3,
            scale_fn=lambda x: 0.9**x,
            scale_mode="iterations",
        ),
        0.1,
        40,
        id="cyclic_custom_iterations",
    ),
    pytest.param(
        CyclicLR(base_lr=0.001, max_lr=0.01, step_size_up=3, scale_fn=lambda c: 1 / c),
        0.1,
        40,
        id="cyclic_custom_cycle",
    ),
    pytest.param(OneCycleLR(max_lr=0.1, total_steps=100), 0.5, 101, id="onecycle_cos"),
    pytest.param(
        OneCycleLR(max_lr=0.1, total_steps=37, anneal_strategy="linear"),
        0.5,
        38,
        id="onecycle_linear",
    ),
    pytest.param(
        OneCycleLR(max_lr=0.01, epochs=4, steps_per_epoch=25, three_phase=True, pct_start=0.25),
        0.5,
        100,
        id="onecycle_three_phase",
    ),
    pytest.param(
        OneCycleLR(max_lr=3e-3, total_steps=1000, div_factor=10.0, final_div_factor=100.0),
        0.5,
        1000,
        id="onecycle_long",
    ),
]


@pytest.mark.parametrize(("spec", "base_lr", "n"), SCHEDULES)
@pytest.mark.parametrize("stepping", ["standard", "step_before", "step_epoch_after"])
def test_lr_trajectory_torch_cyclic_matches_torch_bitwise(
    spec, base_lr, n, stepping, torch_lrs, same
):
    if stepping == "step_before" and isinstance(spec, OneCycleLR) and n > spec.steps:
        n = spec.steps  # torch raises on the (T+1)-th step
    ours = lr_trajectory(spec, base_lr, n, stepping=stepping).lr
    same(ours, torch_lrs(spec, base_lr, n, stepping=stepping))


def test_lr_trajectory_one_cycle_past_total_steps_raises_like_torch():
    with pytest.raises(ValueError, match=r"Tried to step 6 times\. The specified number of total"):
        lr_trajectory(OneCycleLR(max_lr=0.1, total_steps=5), 0.1, 7)


def test_lr_trajectory_one_cycle_last_step_is_min_lr_and_step_t_extrapolates():
    lr = lr_trajectory(OneCycleLR(max_lr=0.1, total_steps=20), 0.1, 21).lr
    assert lr[19] == pytest.approx(0.1 / 25 / 1e4)
    assert lr[20] > lr[19] * 100


@pytest.mark.parametrize(
    ("T_0", "T_mult", "restarts"), [(3, 2, [2, 8, 20]), (4, 1, [3, 7, 11, 15, 19])]
)
def test_lr_trajectory_warm_restarts_events_before_each_restart(T_0, T_mult, restarts):
    traj = lr_trajectory(CosineAnnealingWarmRestarts(T_0=T_0, T_mult=T_mult), 0.1, 22)
    assert [e.index for e in traj.events] == restarts
    assert {e.kind for e in traj.events} == {"restart"}


def test_lr_trajectory_cyclic_ignores_optimizer_lr():
    spec = CyclicLR(base_lr=0.01, max_lr=0.1, step_size_up=5)
    np.testing.assert_array_equal(lr_trajectory(spec, 0.3, 20).lr, lr_trajectory(spec, 7.0, 20).lr)


@pytest.mark.parametrize(
    ("factory", "match"),
    [
        (lambda: CosineAnnealingWarmRestarts(T_0=0), "T_0 must be a positive int, got 0"),
        (lambda: CosineAnnealingWarmRestarts(T_0=2, T_mult=1.5), "T_mult must be an int >= 1"),
        (lambda: CyclicLR(0.1, 1.0, mode="tri"), "CyclicLR mode must be 'triangular'"),
        (lambda: OneCycleLR(max_lr=0.1), "OneCycleLR needs total_steps, or epochs and"),
        (lambda: OneCycleLR(0.1, total_steps=0), "total_steps must be a positive int, got 0"),
        (lambda: OneCycleLR(0.1, 10, pct_start=1), "pct_start must be a float in"),
        (lambda: OneCycleLR(0.1, 10, anneal_strategy="exp"), "anneal_strategy must be 'cos'"),
    ],
)
def test_torch_cyclic_spec_bad_arguments_raise_value_error(factory, match):
    with pytest.raises(ValueError, match=match):
        factory()
