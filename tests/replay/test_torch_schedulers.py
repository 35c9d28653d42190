"""StepLR, CosineAnnealingLR and ConstantSchedule replays against the real torch schedulers."""

from __future__ import annotations

import numpy as np
import pytest

from replay import ConstantSchedule, CosineAnnealingLR, StepLR, lr_trajectory

SCHEDULES = [
    pytest.param(StepLR(step_size=3), 0.1, 200, id="step_3_default_gamma"),
    pytest.param(StepLR(step_size=1, gamma=0.9), 0.1, 500, id="step_1_gamma_0.9"),
    pytest.param(StepLR(step_size=7, gamma=0.5), 0.05, 300, id="step_7_gamma_0.5"),
    pytest.param(StepLR(step_size=30, gamma=0.1), 1.0, 100, id="step_30_long"),
    pytest.param(CosineAnnealingLR(T_max=5), 0.1, 100, id="cos_5_many_periods"),
    pytest.param(CosineAnnealingLR(T_max=1), 0.1, 20, id="cos_1_alternating"),
    pytest.param(CosineAnnealingLR(T_max=10, eta_min=1e-3), 0.1, 95, id="cos_10_eta_min"),
    pytest.param(CosineAnnealingLR(T_max=7, eta_min=0.01), 0.5, 120, id="cos_7_eta_min_0.01"),
    pytest.param(CosineAnnealingLR(T_max=1000), 3e-4, 3500, id="cos_1000_past_t_max"),
    pytest.param(CosineAnnealingLR(T_max=3, eta_min=0.2), 0.1, 30, id="cos_eta_above_base"),
    pytest.param(ConstantSchedule(), 0.01, 10, id="constant"),
]


@pytest.mark.parametrize(("spec", "base_lr", "n"), SCHEDULES)
@pytest.mark.parametrize("stepping", ["standard", "step_before", "step_epoch_after"])
def test_lr_trajectory_torch_schedule_matches_torch_bitwise(
    spec, base_lr, n, stepping, torch_lrs, same
):
    ours = lr_trajectory(spec, base_lr, n, stepping=stepping).lr
    same(ours, torch_lrs(spec, base_lr, n, stepping=stepping))


@pytest.mark.parametrize(("spec", "base_lr", "n"), SCHEDULES)
def test_lr_trajectory_recursive_and_closed_form_agree_to_rounding(spec, base_lr, n):
    traj = lr_trajectory(spec, base_lr, n + 1, stepping="standard").lr
    closed = lr_trajectory(spec, base_lr, n + 1, stepping="step_epoch_after").lr[1:]
    np.testing.assert_allclose(traj[:n], closed, rtol=1e-9, atol=1e-15)


def test_lr_trajectory_step_lr_carries_rounding_like_torch():
    lr = lr_trajectory(StepLR(step_size=1), 0.1, 3).lr
    assert lr[1] == 0.010000000000000002


@pytest.mark.parametrize(
    ("stepping", "expected"),
    [
        ("standard", [0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.001]),
        ("step_before", [0.1, 0.1, 0.01, 0.01, 0.01, 0.001, 0.001]),
        ("step_epoch_after", [0.1, 0.1, 0.1, 0.1, 0.01, 0.01, 0.01]),
    ],
)
def test_lr_trajectory_step_lr_stepping_habit_shifts_decay(stepping, expected):
    lr = lr_trajectory(StepLR(step_size=3), 0.1, 7, stepping=stepping).lr
    np.testing.assert_allclose(lr, expected, rtol=1e-12)


@pytest.mark.parametrize(
    ("stepping", "indices"),
    [("standard", [2, 5]), ("step_before", [1, 4]), ("step_epoch_after", [3])],
)
def test_lr_trajectory_step_lr_reduce_events_name_the_stepping_epoch(stepping, indices):
    traj = lr_trajectory(StepLR(step_size=3), 0.1, 7, stepping=stepping)
    assert [e.index for e in traj.events] == indices
    for e in traj.events:
        assert e.kind == "reduce"
        assert traj.lr[e.index] == e.before
        assert traj.lr[e.index + 1] == e.after


@pytest.mark.parametrize(
    ("T_max", "n", "restarts"), [(5, 30, [5, 15, 25]), (2, 9, [2, 6]), (1, 5, [1, 3])]
)
def test_lr_trajectory_cosine_past_t_max_emits_restart(T_max, n, restarts):
    traj = lr_trajectory(CosineAnnealingLR(T_max=T_max), 0.1, n)
    assert [e.index for e in traj.events] == restarts
    assert all(e.kind == "restart" for e in traj.events)


def test_lr_trajectory_result_is_read_only():
    lr = lr_trajectory(StepLR(step_size=2), 0.1, 4).lr
    with pytest.raises(ValueError, match="read-only"):
        lr[0] = 1.0


def test_lr_trajectory_zero_epochs_returns_empty():
    assert lr_trajectory(CosineAnnealingLR(T_max=3), 0.1, 0).lr.size == 0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n": -1}, "n must be a non-negative int, got -1"),
        ({"n": 2.5}, "n must be a non-negative int, got 2.5"),
        ({"stepping": "before"}, "stepping must be one of 'standard', 'step_before', "),
    ],
)
def test_lr_trajectory_bad_arguments_raise_value_error(kwargs, match):
    args = {"n": 3, **kwargs}
    with pytest.raises(ValueError, match=match):
        lr_trajectory(StepLR(step_size=2), 0.1, args.pop("n"), **args)


def test_lr_trajectory_unknown_spec_raises_type_error_listing_known():
    with pytest.raises(TypeError, match=r"no replay for dict; known specs: .*StepLR"):
        lr_trajectory({}, 0.1, 3)


@pytest.mark.parametrize(
    ("factory", "match"),
    [
        (lambda: StepLR(step_size=0), "StepLR step_size must be a positive int, got 0"),
        (lambda: StepLR(step_size=1.5), "StepLR step_size must be a positive int, got 1.5"),
        (lambda: CosineAnnealingLR(T_max=0), "CosineAnnealingLR T_max must be positive, got 0"),
    ],
)
def test_spec_bad_arguments_raise_value_error(factory, match):
    with pytest.raises(ValueError, match=match):
        factory()
