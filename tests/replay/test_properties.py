"""Random specs and metric series: every replayed LR equals stepping the real torch scheduler.

Issue 11, item 5 ("Fuzzed"). The tables in test_torch_*.py pin chosen cases; here hypothesis
draws the arguments (any float in range, not round numbers), the base LR, the length and the
stepping habit, and ReduceLROnPlateau gets random metric series with NaN, infinities and ties.
Each scheduler has a fixed, derandomized budget of ``EXAMPLES`` cases, so CI runs the same
cases every time. The torch side is ``step_torch`` from conftest.py (fixtures ``torch_lrs`` and
``same``: exact equality, a failure names the index and both values).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replay import (
    ConstantLR,
    CosineAnnealingLR,
    CosineAnnealingWarmRestarts,
    CyclicLR,
    ExponentialLR,
    LinearLR,
    MultiStepLR,
    OneCycleLR,
    PolynomialLR,
    ReduceLROnPlateau,
    StepLR,
    lr_trajectory,
)

pytest.importorskip("torch")

EXAMPLES = 40  # per scheduler
# the fixtures only hand out pure functions, so sharing them across examples is safe
PROPERTY = settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])
STEPPINGS = ("standard", "step_before", "step_epoch_after")

LR = st.floats(1e-6, 1.0)
GAMMA = st.floats(0.01, 1.0)
FACTOR = st.floats(0.0, 1.0)
ETA_MIN = st.just(0.0) | st.floats(0.0, 0.5)
LENGTH = st.integers(1, 80)


@st.composite
def cyclic_lr(draw):
    low = draw(st.floats(1e-5, 0.1))
    return CyclicLR(base_lr=low, max_lr=draw(st.floats(low, 1.0)),
                    step_size_up=draw(st.integers(1, 20)),
                    step_size_down=draw(st.none() | st.integers(1, 20)),
                    mode=draw(st.sampled_from(["triangular", "triangular2", "exp_range"])),
                    gamma=draw(st.floats(0.9, 1.0)))


def _phase_ends(spec: OneCycleLR) -> list[float]:
    """Where torch's phases end (``OneCycleLR.__init__``); each starts where the last ended."""
    T, p = spec.steps, spec.pct_start
    if spec.three_phase:
        return [float(p * T) - 1, float(2 * p * T) - 2, T - 1]
    return [float(p * T) - 1, T - 1]


def _phases_have_length(spec: OneCycleLR) -> bool:
    ends = [0.0, *_phase_ends(spec)]
    return all(a != b for a, b in itertools.pairwise(ends))


@st.composite
def one_cycle_lr(draw):
    """A schedule whose phases all have a length (a zero-length one divides by zero in torch:
    see test_lr_trajectory_one_cycle_zero_length_phase_raises_like_torch)."""
    return OneCycleLR(max_lr=draw(st.floats(1e-4, 1.0)), total_steps=draw(st.integers(10, 80)),
                      pct_start=draw(st.floats(0.05, 0.95)),
                      anneal_strategy=draw(st.sampled_from(["cos", "linear"])),
                      div_factor=draw(st.floats(1.0, 100.0)),
                      final_div_factor=draw(st.floats(1.0, 1e4)),
                      three_phase=draw(st.booleans()))


SPECS = {
    "StepLR": st.builds(StepLR, step_size=st.integers(1, 20), gamma=GAMMA),
    "MultiStepLR": st.builds(MultiStepLR, gamma=GAMMA,
                             milestones=st.lists(st.integers(0, 60), max_size=5).map(tuple)),
    "ExponentialLR": st.builds(ExponentialLR, gamma=GAMMA),
    "CosineAnnealingLR": st.builds(CosineAnnealingLR, T_max=st.integers(1, 50), eta_min=ETA_MIN),
    "LinearLR": st.builds(LinearLR, start_factor=st.floats(1e-3, 1.0), end_factor=FACTOR,
                          total_iters=st.integers(1, 40)),
    "ConstantLR": st.builds(ConstantLR, factor=FACTOR, total_iters=st.integers(0, 40)),
    "PolynomialLR": st.builds(PolynomialLR, total_iters=st.integers(1, 40),
                              power=st.floats(0.1, 3.0)),
    "CosineAnnealingWarmRestarts": st.builds(CosineAnnealingWarmRestarts,
                                             T_0=st.integers(1, 20), T_mult=st.integers(1, 3),
                                             eta_min=ETA_MIN),
    "CyclicLR": cyclic_lr(),
    "OneCycleLR": one_cycle_lr().filter(_phases_have_length),
}

# metric values: any float, and the values that make ties, NaN and infinities likely
METRIC = st.floats() | st.sampled_from([1.0, 0.5, 0.9999, 0.0, -0.0, math.nan, math.inf,
                                        -math.inf])
PLATEAU = st.builds(ReduceLROnPlateau, mode=st.sampled_from(["min", "max"]),
                    factor=st.floats(0.01, 0.99), patience=st.integers(0, 5),
                    threshold=st.just(1e-4) | st.floats(0.0, 0.1),
                    threshold_mode=st.sampled_from(["rel", "abs"]),
                    cooldown=st.integers(0, 3), min_lr=st.just(0.0) | st.floats(0.0, 0.01),
                    eps=st.sampled_from([1e-8, 0.0, 1e-3]))


def _same_outcome(ours, theirs, same) -> None:
    """Equal LRs (NaN where torch has NaN), or the same error from both: where torch fails
    (ConstantLR with factor 0 divides by it at ``total_iters``), the replay fails alike."""
    try:
        expected = np.asarray(theirs(), dtype=np.float64)
    except (ArithmeticError, ValueError) as err:
        with pytest.raises(type(err)):
            ours()
        return
    got = np.asarray(ours(), dtype=np.float64)
    if not np.array_equal(got, expected, equal_nan=True):
        same(got, expected)


@pytest.mark.parametrize("name", sorted(SPECS))
@PROPERTY
@given(data=st.data())
def test_lr_trajectory_random_spec_matches_torch_bitwise(name, data, torch_lrs, same):
    spec = data.draw(SPECS[name], label="spec")
    base_lr = data.draw(LR, label="base_lr")
    stepping = data.draw(st.sampled_from(STEPPINGS), label="stepping")
    n = data.draw(LENGTH, label="n")
    if isinstance(spec, OneCycleLR):  # torch raises past total_steps
        n = min(n, spec.steps if stepping == "step_before" else spec.steps + 1)
    _same_outcome(lambda: lr_trajectory(spec, base_lr, n, stepping=stepping).lr,
                  lambda: torch_lrs(spec, base_lr, n, stepping=stepping), same)


@PROPERTY
@given(spec=PLATEAU, base_lr=LR, metrics=st.lists(METRIC, min_size=1, max_size=60))
def test_lr_trajectory_random_plateau_series_matches_torch_bitwise(spec, base_lr, metrics,
                                                                   torch_lrs, same):
    n = len(metrics) + 1
    _same_outcome(lambda: lr_trajectory(spec, base_lr, n, metrics).lr,
                  lambda: torch_lrs(spec, base_lr, n, metrics), same)


@pytest.mark.parametrize("spec", [
    pytest.param(OneCycleLR(max_lr=1.0, total_steps=1, pct_start=1.0), id="one_step_all_warmup"),
    pytest.param(OneCycleLR(max_lr=0.1, total_steps=10, pct_start=0.1), id="warmup_of_one_step"),
    pytest.param(OneCycleLR(max_lr=0.1, total_steps=10, pct_start=0.1, three_phase=True),
                 id="three_phase_empty_middle"),
])
def test_lr_trajectory_one_cycle_zero_length_phase_raises_like_torch(spec, torch_lrs, same):
    assert not _phases_have_length(spec)
    n = min(3, spec.steps)
    _same_outcome(lambda: lr_trajectory(spec, 0.1, n).lr, lambda: torch_lrs(spec, 0.1, n), same)
