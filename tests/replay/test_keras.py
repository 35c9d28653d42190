"""Keras 3 schedules, ReduceLROnPlateau and EarlyStopping.

Against the real Keras (``KERAS_BACKEND=torch``) when it is installed, and against worked
tables otherwise. The schedule comparison holds on any machine (see
``docs/keras_cpu_dependence.md``):

* bit-identical where Keras is the same on every CPU: elementary float32 arithmetic, and
  ``pow``, which torch evaluates on 0-d tensors with the C library's ``powf``;
* within :data:`TRANSCENDENTAL_ULP` ulp of ``cos`` and ``log`` where Keras calls them: torch's
  float32 cos/log (MKL's vector math in the x86-64 wheels, even for one element) are not
  correctly rounded and their last bit depends on the CPU. The bound is carried through the
  schedule's own float32 formula, so it is per point and relative: a couple of ulp of the LR
  away from the trough, more where ``1 + cos`` cancels;
* either side of an exact restart boundary of ``CosineDecayRestarts`` (``t_mul != 1``), where
  the float32 argument of Keras's ``floor`` lies within those few ulp of an integer.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import types
from bisect import bisect_right
from fractions import Fraction
from unittest import mock

import numpy as np
import pytest

from replay import (
    CosineDecay,
    CosineDecayRestarts,
    EarlyStopping,
    ExponentialDecay,
    InverseTimeDecay,
    KerasReduceLROnPlateau,
    PiecewiseConstantDecay,
    PolynomialDecay,
    early_stop,
    keras_schedules,
    lr_trajectory,
)

#: How far (in float32 ulp) Keras's ``cos`` and ``log`` may be from the correctly rounded
#: values the replay uses. Keras on the torch backend calls ``torch.cos``/``torch.log``, which
#: on x86-64 run MKL's vector math (also for the 0-d tensors of a schedule): about 1 ulp
#: accurate by design, with the code path, hence the last bit, picked by the CPU. Measured
#: here: 1 ulp off for ~5% of cos and ~7% of log arguments, never 2. Doubled for margin.
TRANSCENDENTAL_ULP = 2

#: Relative uncertainty of Keras's restart quotient ``log(a) / log(t_mul)``: each log within
#: TRANSCENDENTAL_ULP ulp (at most 2**-23 relative per ulp), the quotient rounded once in
#: Keras and once in the replay, plus one ulp for second-order terms.
_QUOTIENT_REL = (2 * TRANSCENDENTAL_ULP + 2) * 2.0**-23


def _keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    return pytest.importorskip("keras")


def _keras_schedule_lrs(spec, n):
    keras = _keras()
    fields = dict(vars(spec))
    if isinstance(spec, PiecewiseConstantDecay):
        fields = {"boundaries": list(spec.boundaries), "values": list(spec.values)}
    theirs_fn = getattr(keras.optimizers.schedules, type(spec).__name__)(**fields)
    return np.array(
        [float(keras.ops.convert_to_numpy(theirs_fn(s))) for s in range(n)], dtype=np.float32
    )


def _ulps(x, k):
    """``x`` moved ``k`` float32 ulp (up for k > 0)."""
    x = np.asarray(x, dtype=np.float32)
    toward = np.float32(math.copysign(math.inf, k))
    for _ in range(abs(k)):
        x = np.nextafter(x, toward)
    return x


@contextlib.contextmanager
def _cos_moved(k):
    """The replay with every float32 cos moved ``k`` ulp."""
    cos = keras_schedules._cos
    with mock.patch.object(keras_schedules, "_cos", lambda x: _ulps(cos(x), k)):
        yield


def _restart_indices(spec, steps):
    """Every restart count Keras may take at each step: floor of the replay's quotient moved
    by its uncertainty (nothing when t_mul == 1, where it is an exact division)."""
    q = spec._restart_quotient(steps).astype(np.float64)
    w = 0.0 if np.float32(spec.t_mul) == 1 else np.abs(q) * _QUOTIENT_REL
    return [np.floor(q - w).astype(np.float32), np.floor(q + w).astype(np.float32)]


def keras_bands(spec, steps):
    """``[(lo, hi), ...]``: per step, the float32 intervals Keras's value may lie in on any CPU
    (one per restart count it may take); ``lo == hi`` where Keras is the same everywhere."""
    steps = np.asarray(steps)
    if isinstance(spec, CosineDecayRestarts):
        indices = _restart_indices(spec, steps)
        evaluations = [lambda i=i: spec._at(steps, i) for i in indices]
    elif isinstance(spec, CosineDecay):
        evaluations = [lambda: spec(steps)]
    else:
        value = spec(steps).astype(np.float32)
        return [(value, value)]
    bands = []
    for evaluate in evaluations:
        # Every float32 step after cos is monotonic in it (one direction per schedule), so
        # cos within +-k ulp puts the LR between the two end values, exactly.
        with _cos_moved(-TRANSCENDENTAL_ULP):
            a = evaluate()
        with _cos_moved(TRANSCENDENTAL_ULP):
            b = evaluate()
        bands.append((np.minimum(a, b), np.maximum(a, b)))
    return bands


def assert_matches_keras(spec, theirs):
    """Keras's LR at steps 0.. lies, at every step, in one of :func:`keras_bands`."""
    theirs = np.asarray(theirs, dtype=np.float32)
    steps = np.arange(len(theirs))
    bands = keras_bands(spec, steps)
    ok = np.zeros(len(steps), dtype=bool)
    for lo, hi in bands:
        ok |= (lo <= theirs) & (theirs <= hi)
    bad = np.flatnonzero(~ok)
    ours = spec(steps)
    lines = [
        f"step {s}: keras {float(theirs[s])!r}, replay {float(ours[s])!r}, accepted "
        + " or ".join(dict.fromkeys(f"[{float(lo[s])!r}, {float(hi[s])!r}]" for lo, hi in bands))
        for s in bad[:8]
    ]
    assert not bad.size, f"{bad.size} step(s) outside the accepted values:\n" + "\n".join(lines)


SCHEDULES = [
    pytest.param(ExponentialDecay(0.1, 7, 0.9), id="exponential"),
    pytest.param(ExponentialDecay(0.1, 7, 0.9, staircase=True), id="exponential_staircase"),
    pytest.param(PiecewiseConstantDecay((5, 9), (0.1, 0.05, 0.01)), id="piecewise"),
    pytest.param(PolynomialDecay(0.1, 50, 1e-4, 0.5), id="polynomial"),
    pytest.param(PolynomialDecay(0.1, 30, 1e-3, 2.0, cycle=True), id="polynomial_cycle"),
    pytest.param(InverseTimeDecay(0.1, 5, 0.5), id="inverse_time"),
    pytest.param(InverseTimeDecay(0.1, 5, 0.5, staircase=True), id="inverse_time_staircase"),
    pytest.param(CosineDecay(0.1, 100), id="cosine"),
    pytest.param(CosineDecay(0.1, 77, alpha=0.1), id="cosine_alpha"),
    pytest.param(CosineDecay(0.0, 100, warmup_target=0.1, warmup_steps=20), id="cos_warmup"),
    pytest.param(CosineDecayRestarts(0.1, 20), id="restarts"),
    pytest.param(CosineDecayRestarts(0.1, 13, t_mul=1.0, m_mul=0.8, alpha=0.05), id="rst_t1"),
    pytest.param(CosineDecayRestarts(0.1, 10, t_mul=1.5, m_mul=0.9), id="restarts_t1.5"),
]
_BY_ID = {p.id: p.values[0] for p in SCHEDULES}


@pytest.mark.parametrize("spec", SCHEDULES)
def test_lr_trajectory_keras_schedule_matches_keras(spec):
    theirs = _keras_schedule_lrs(spec, 300)
    ours = lr_trajectory(spec, 0.0, 300).lr
    assert ours.tolist() == spec(np.arange(300)).astype(np.float64).tolist()
    assert_matches_keras(spec, theirs)


def _one_step_late(spec, steps):
    return spec(np.maximum(steps - 1, 0))


def _longer_period(spec, steps):
    name = "first_decay_steps" if isinstance(spec, CosineDecayRestarts) else "decay_steps"
    return dataclasses.replace(spec, **{name: getattr(spec, name) + 1})(steps)


def _next_restart(spec, steps):
    return spec._at(steps, np.floor(spec._restart_quotient(steps)) + 1)


def _previous_restart(spec, steps):
    return spec._at(steps, np.floor(spec._restart_quotient(steps)) - 1)


_CHECKED = ["exponential", "cosine", "cosine_alpha", "cos_warmup", "restarts", "rst_t1",
            "restarts_t1.5"]  # fmt: skip
_WRONG = [
    pytest.param(name, wrong, id=f"{name}-{wrong.__name__.lstrip('_')}")
    for name in _CHECKED
    for wrong in (_one_step_late, _longer_period, _next_restart, _previous_restart)
    if isinstance(_BY_ID[name], CosineDecayRestarts) or "restart" not in wrong.__name__
]


@pytest.mark.parametrize(("name", "wrong"), _WRONG)
def test_keras_schedule_check_rejects_a_wrong_replay(name, wrong):
    spec = _BY_ID[name]
    steps = np.arange(300)
    assert_matches_keras(spec, spec(steps))
    with pytest.raises(AssertionError, match="outside the accepted values"):
        assert_matches_keras(spec, wrong(spec, steps))


@pytest.mark.parametrize(
    ("name", "boundaries"),
    [("restarts", [20, 60, 140]), ("restarts_t1.5", [10, 25]), ("rst_t1", [])],
)
def test_keras_schedule_check_accepts_either_side_only_at_exact_restarts(name, boundaries):
    spec = _BY_ID[name]
    steps = np.arange(300)
    bands = keras_bands(spec, steps)
    two_sided = [s for s in steps if len({(lo[s], hi[s]) for lo, hi in bands}) > 1]
    assert two_sided == boundaries
    for s in boundaries:  # the end of the previous period is accepted as well as the restart
        ended = spec(steps).copy()
        ended[s] = spec._at(steps, np.floor(spec._restart_quotient(steps)) - 1)[s]
        assert ended[s] < spec(steps)[s]
        assert_matches_keras(spec, ended)
        ended[s + 1] = spec._at(steps, np.floor(spec._restart_quotient(steps)) - 1)[s + 1]
        with pytest.raises(AssertionError, match=f"step {s + 1}: keras"):
            assert_matches_keras(spec, ended)


@pytest.mark.parametrize(
    ("name", "other"),
    [("cosine", CosineDecay(0.1, 101)), ("cos_warmup", CosineDecay(0.0, 100, 0.0, 0.1, 21)),
     ("restarts", CosineDecayRestarts(0.1, 21)), ("rst_t1", CosineDecayRestarts(0.1, 13, 1.0, 0.8)),
     ("restarts_t1.5", CosineDecayRestarts(0.1, 10, t_mul=1.5, m_mul=0.91))],
)  # fmt: skip
def test_keras_schedule_check_rejects_keras_of_a_neighbouring_schedule(name, other):
    theirs = _keras_schedule_lrs(_BY_ID[name], 300)
    with pytest.raises(AssertionError, match="outside the accepted values"):
        assert_matches_keras(other, theirs)


def test_keras_restarts_at_step_25_either_value_is_accepted():
    # The issue: Keras on the torch backend gives 0.0 on some CPUs, 0.081 on others.
    spec = _BY_ID["restarts_t1.5"]
    ours = spec(np.arange(30))
    assert ours[25] == np.float32(0.1) * np.float32(0.9) ** 2  # start of period 2
    for keras_value in (0.0, ours[25]):
        assert_matches_keras(spec, np.where(np.arange(30) == 25, keras_value, ours))
    with pytest.raises(AssertionError, match=r"step 25: keras 0\.05"):
        assert_matches_keras(spec, np.where(np.arange(30) == 25, np.float32(0.05), ours))


def _exact_restart_count(first, t_mul, n):
    """Restart count at steps 0..n-1 in exact rational arithmetic."""
    t, starts, length, start = Fraction(t_mul), [], Fraction(first), Fraction(first)
    while start < n:
        starts.append(start)
        length *= t
        start += length
    return [bisect_right(starts, s) for s in range(n)]


@pytest.mark.parametrize("t_mul", [1.25, 1.5, 2.0, 3.0])
def test_replay_restart_index_is_exact_at_restart_boundaries(t_mul):
    # float32 with correctly rounded logs lands on the mathematically right side also at the
    # 569 steps here that start a period exactly (e.g. steps 4, 10 and 19 for
    # first_decay_steps=4, t_mul=1.5), where Keras on the torch backend depends on the CPU
    steps = np.arange(2000)
    for first in range(1, 41):
        spec = CosineDecayRestarts(1.0, first, t_mul=t_mul)
        ours = np.floor(spec._restart_quotient(steps)).astype(int).tolist()
        assert ours == _exact_restart_count(first, t_mul, len(steps)), first


def test_keras_schedules_are_float32():
    lr = lr_trajectory(ExponentialDecay(0.1, 10, 0.5), 0.0, 1).lr
    assert lr[0] == 0.10000000149011612


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (PiecewiseConstantDecay((2, 4), (1.0, 0.5, 0.25)), [1.0, 1.0, 1.0, 0.5, 0.5, 0.25]),
        (PolynomialDecay(1.0, 2, end_learning_rate=0.0, cycle=True), [1, 0.5, 0, 0.25, 0, 1 / 6]),
        (CosineDecay(1.0, 2, alpha=0.5), [1.0, 0.75, 0.5, 0.5, 0.5, 0.5]),
    ],
)
def test_lr_trajectory_keras_schedule_worked_table(spec, expected):
    np.testing.assert_allclose(lr_trajectory(spec, 0.0, 6).lr, expected, rtol=1e-6)


PLATEAU = [
    pytest.param({"patience": 2}, [1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95], id="p2"),
    pytest.param({"patience": 0}, [1.0, 1.0, 1.0, 0.5, 0.6, 0.6], id="p0"),
    pytest.param({"patience": 1}, [1.0, 1.0, 1.0, 0.5, 0.6, 0.6], id="p1"),
    pytest.param({"patience": 1, "cooldown": 2, "factor": 0.5}, [1.0] * 15, id="cooldown"),
    pytest.param({"patience": 1, "min_lr": 0.03, "factor": 0.5}, [1.0] * 10, id="min_lr"),
    pytest.param({"patience": 2, "min_delta": 0.1}, [1.0, 0.95, 0.85, 0.8, 0.79, 0.6, 0.6],
                 id="min_delta"),
    pytest.param({"patience": 1}, [1.0, 0.99999999, 0.99999998, 0.9], id="float32_tie"),
    pytest.param({"patience": 2, "mode": "max"}, [0.1, 0.5, 0.5, 0.5, 0.6, 0.6, 0.6],
                 id="max"),
    pytest.param({"patience": 2}, [math.nan, 1.0, 0.5, 0.4, 0.3, 0.2], id="nan_first"),
    pytest.param({"patience": 3, "factor": 0.3, "cooldown": 1},
                 list(1.0 + np.cumsum(np.random.default_rng(0).normal(0, 0.02, 60))),
                 id="random_walk"),
]  # fmt: skip


def _keras_plateau_lrs(kwargs, series, base_lr):
    keras = _keras()
    opt = keras.optimizers.SGD(learning_rate=base_lr)
    cb = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", **kwargs)
    cb._model = types.SimpleNamespace(optimizer=opt, stop_training=False)
    cb.on_train_begin()
    seen = []
    for epoch, value in enumerate(series):
        logs = {"val_loss": value}
        cb.on_epoch_end(epoch, logs)
        seen.append(logs["learning_rate"])
    return seen


@pytest.mark.parametrize(("kwargs", "series"), PLATEAU)
def test_lr_trajectory_keras_plateau_matches_keras_callback(kwargs, series, same):
    theirs = _keras_plateau_lrs({"mode": "min", **kwargs}, series, 0.1)
    spec = KerasReduceLROnPlateau(**kwargs)
    same(lr_trajectory(spec, 0.1, len(series), series).lr, theirs)


@pytest.mark.parametrize(
    ("patience", "keras_epochs", "torch_epochs"),
    [(2, [3, 5], [4, 7]), (0, [2, 3, 4, 5], [2, 3, 4, 5])],
)
def test_keras_plateau_reduces_one_epoch_before_torch(patience, keras_epochs, torch_epochs):
    from replay import ReduceLROnPlateau

    series = [1.0, 0.5] + [0.5] * 6
    keras_traj = lr_trajectory(KerasReduceLROnPlateau(patience=patience), 1.0, 9, series)
    torch_traj = lr_trajectory(ReduceLROnPlateau(patience=max(patience, 0)), 1.0, 9, series)
    assert [e.index for e in keras_traj.events][: len(keras_epochs)] == keras_epochs
    assert [e.index for e in torch_traj.events][: len(torch_epochs)] == torch_epochs


def test_keras_plateau_lr_is_stored_in_float32():
    lr = lr_trajectory(KerasReduceLROnPlateau(patience=0, factor=0.5), 0.1, 3, [1.0, 1.0]).lr
    assert lr[0] == 0.10000000149011612
    assert lr[2] == 0.05000000074505806


def test_keras_plateau_bad_factor_raises():
    with pytest.raises(ValueError, match=r"does not support a factor >= 1\.0, got factor=1\.5"):
        KerasReduceLROnPlateau(factor=1.5)


EARLY = [
    pytest.param({"patience": 3}, [1.0, 0.9, 0.95, 0.95, 0.95, 0.95], id="p3"),
    pytest.param({"patience": 0}, [1.0, 1.0, 1.0], id="p0"),
    pytest.param({"patience": 1, "min_delta": 0.05}, [1.0, 0.97, 0.9, 0.88], id="min_delta"),
    pytest.param({"patience": 1, "baseline": 0.1}, [1.0, 0.9, 0.8, 0.7, 0.6], id="baseline"),
    pytest.param({"patience": 2, "baseline": 0.1}, [1.0, 0.9, 0.8, 0.8, 0.8], id="baseline2"),
    pytest.param({"patience": 1, "start_from_epoch": 3}, [0.1, 0.1, 0.1, 1.0, 1.0], id="start"),
    pytest.param({"patience": 1}, [1.0, 0.99999999, 0.9], id="float32_tie"),
    pytest.param({"patience": 2, "mode": "max"}, [0.1, 0.5, 0.5, 0.5], id="max"),
    pytest.param({"patience": 2}, [math.nan, 1.0, 0.5, 0.1], id="nan_first"),
]


@pytest.mark.parametrize(("kwargs", "series"), EARLY)
def test_early_stop_keras_matches_keras_callback(kwargs, series):
    keras = _keras()
    kwargs = {"mode": "min", **kwargs}
    cb = keras.callbacks.EarlyStopping(monitor="val_loss", **kwargs)
    cb._model = types.SimpleNamespace(stop_training=False)
    cb.on_train_begin()
    expected = None
    for epoch, value in enumerate(series):
        cb.on_epoch_end(epoch, {"val_loss": value})
        if cb._model.stop_training:
            expected = epoch
            break
    event = early_stop(EarlyStopping(semantics="keras", **kwargs), series)
    assert (event.index if event else None) == expected


@pytest.mark.parametrize(
    ("series", "modern", "legacy"),
    [
        # float64 sees 0.99999999 < 1.0 - 0 as an improvement, float32 does not
        ([1.0, 0.99999999, 0.99999999, 0.99999999], [1, 2, 3], [2, 3]),
        # best=None takes the NaN and never improves again; +-inf treats NaN as a bad epoch
        ([math.nan, 1.0, 0.9, 0.8, 0.7], [1, 2, 3, 4], [0]),
    ],
)
def test_keras_plateau_legacy_float64_and_inf_start(series, modern, legacy):
    kwargs = {"patience": 1, "min_delta": 0.0}
    n = len(series) + 1
    new = lr_trajectory(KerasReduceLROnPlateau(**kwargs), 0.1, n, series)
    old = lr_trajectory(KerasReduceLROnPlateau(legacy=True, **kwargs), 0.1, n, series)
    assert [e.index for e in new.events] == modern
    assert [e.index for e in old.events] == legacy


def _step_decay(epoch, lr):
    return lr if epoch < 3 else lr * 0.9


def _old_api(epoch):
    return 0.1 / (1 + epoch)


@pytest.mark.parametrize("schedule", [_step_decay, _old_api], ids=["new_api", "old_api"])
def test_lr_trajectory_keras_lr_scheduler_matches_keras_callback(schedule, same):
    keras = _keras()
    opt = keras.optimizers.SGD(learning_rate=0.1)
    cb = keras.callbacks.LearningRateScheduler(schedule)
    cb._model = types.SimpleNamespace(optimizer=opt)
    seen = []
    for epoch in range(10):
        cb.on_epoch_begin(epoch)
        seen.append(float(keras.ops.convert_to_numpy(opt.learning_rate)))
    from replay import KerasLearningRateScheduler

    same(lr_trajectory(KerasLearningRateScheduler(schedule), 0.1, 10).lr, seen)


def test_keras_lr_scheduler_non_float_raises():
    from replay import KerasLearningRateScheduler

    with pytest.raises(ValueError, match="should be a float, got 1"):
        lr_trajectory(KerasLearningRateScheduler(lambda e, lr: 1), 0.1, 2)
