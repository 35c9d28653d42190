"""Counterfactual horizons and the fidelity check of a logged LR series."""

from __future__ import annotations

import math

import numpy as np
import pytest

from replay import (
    ConstantSchedule,
    CosineAnnealingLR,
    ReduceLROnPlateau,
    StepLR,
    counterfactual,
    exact_until,
    fidelity,
    lr_trajectory,
)

LOSS = [1.0, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8]


def test_counterfactual_identical_schedule_has_no_horizon():
    observed = lr_trajectory(ReduceLROnPlateau(patience=2), 0.1, 8, LOSS).lr
    cf = counterfactual(ReduceLROnPlateau(patience=2), 0.1, LOSS, observed)
    assert cf.horizon is None
    assert cf.exact.all()


@pytest.mark.parametrize(("patience", "horizon"), [(0, 3), (1, 4), (2, 5), (5, None)])
def test_counterfactual_horizon_is_first_differing_epoch(patience, horizon):
    cf = counterfactual(ReduceLROnPlateau(patience=patience), 0.1, LOSS, [0.1] * 8)
    assert cf.horizon == horizon


def test_counterfactual_labels_split_exact_and_conditional():
    cf = counterfactual(ReduceLROnPlateau(patience=1), 0.1, LOSS, [0.1] * 8)
    assert cf.exact.tolist() == [True] * 5 + [False] * 3
    assert [cf.label(i) for i in (4, 5)] == ["exact replay", "conditional replay"]


def test_counterfactual_ignores_missing_observed_values():
    observed = [0.1, math.nan, 0.1, math.nan, math.nan, 0.01]
    cf = counterfactual(StepLR(step_size=4), 0.1, None, observed)
    assert cf.horizon is None


def test_counterfactual_float32_log_within_rtol_is_the_same():
    observed = np.float32(lr_trajectory(CosineAnnealingLR(T_max=10), 0.1, 10).lr)
    assert counterfactual(CosineAnnealingLR(T_max=10), 0.1, None, observed).horizon is None


@pytest.mark.parametrize(("observed", "expected"), [([0.1] * 6, 4), ([0.1, 0.1, 0.1], 3)])
def test_exact_until_counts_exact_leading_epochs(observed, expected):
    assert exact_until(StepLR(step_size=3), 0.1, None, observed) == expected


SPECS = [
    pytest.param(StepLR(step_size=3), None, id="step"),
    pytest.param(CosineAnnealingLR(T_max=6, eta_min=1e-3), None, id="cosine"),
    pytest.param(ReduceLROnPlateau(patience=1, factor=0.5), [1.0] + [0.9] * 12, id="plateau"),
]


@pytest.mark.parametrize(("spec", "metrics"), SPECS)
def test_fidelity_torch_log_used_alignment_is_detected(spec, metrics, torch_lrs):
    logged = torch_lrs(spec, 0.1, 12, metrics)
    f = fidelity(spec, 0.1, metrics, logged)
    assert (f.alignment, f.matches, f.first_mismatch, f.max_rel_error) == ("used", True, None, 0.0)


@pytest.mark.parametrize(("spec", "metrics"), SPECS)
def test_fidelity_torch_log_after_step_alignment_is_detected(spec, metrics, torch_lrs):
    logged = torch_lrs(spec, 0.1, 13, metrics)[1:]
    f = fidelity(spec, 0.1, metrics, logged)
    assert (f.alignment, f.matches, f.max_rel_error) == ("after_step", True, 0.0)
    assert "after epoch i's step" in f.explanation


def test_fidelity_nan_gaps_are_ignored():
    logged = list(lr_trajectory(StepLR(step_size=2), 0.1, 8).lr)
    logged[1] = logged[4] = math.nan
    f = fidelity(StepLR(step_size=2), 0.1, None, logged)
    assert (f.alignment, f.matches, f.compared) == ("used", True, 6)


def test_fidelity_float32_log_matches_within_rtol():
    logged = np.float32(lr_trajectory(CosineAnnealingLR(T_max=5), 0.1, 9).lr)
    f = fidelity(CosineAnnealingLR(T_max=5), 0.1, None, logged)
    assert f.matches
    assert 0 < f.max_rel_error < 1e-7


def test_fidelity_wrong_spec_reports_first_mismatch():
    logged = lr_trajectory(StepLR(step_size=3), 0.1, 10).lr
    f = fidelity(StepLR(step_size=3, gamma=0.2), 0.1, None, logged)
    assert not f.matches
    assert f.alignment == "used"
    assert f.first_mismatch == 3
    assert f.explanation.startswith("replay does not match the log")


def test_fidelity_constant_lr_matches_both_alignments():
    f = fidelity(ConstantSchedule(), 0.01, None, [0.01] * 5)
    assert f.matches and f.alignment == "used"
    assert "both alignments" in f.explanation


def test_fidelity_all_missing_does_not_match():
    f = fidelity(ConstantSchedule(), 0.01, None, [math.nan] * 3)
    assert not f.matches
    assert f.explanation == "no logged LR value to compare with"


@pytest.mark.parametrize(
    ("spec", "n"), [(StepLR(step_size=3), 12), (CosineAnnealingLR(T_max=8), 20)]
)
def test_fidelity_names_the_step_epoch_misuse(spec, n, torch_lrs):
    logged = torch_lrs(spec, 0.1, n, stepping="step_epoch_after")
    f = fidelity(spec, 0.1, None, logged)
    assert (f.matches, f.stepping, f.alignment) == (True, "step_epoch_after", "used")
    assert "scheduler.step(epoch)" in f.explanation


def test_fidelity_step_before_misuse_reads_as_after_step(torch_lrs):
    logged = torch_lrs(StepLR(step_size=3), 0.1, 12, stepping="step_before")
    f = fidelity(StepLR(step_size=3), 0.1, None, logged)
    assert (f.matches, f.alignment, f.stepping) == (True, "after_step", "standard")
    assert "start of each epoch" in f.explanation


def test_counterfactual_with_early_stopping_adds_the_stop_event():
    from replay import EarlyStopping

    cf = counterfactual(
        ReduceLROnPlateau(patience=1), 0.1, LOSS, [0.1] * 8,
        early_stopping=EarlyStopping(patience=3),
    )  # fmt: skip
    assert [(e.kind, e.index) for e in cf.trajectory.events] == [
        ("reduce", 3), ("stop", 4), ("reduce", 5)
    ]  # fmt: skip
    assert cf.stop.index == 4
    assert cf.label(cf.stop.index) == "exact replay"
