"""Keras 3 schedules, ReduceLROnPlateau and EarlyStopping.

Against the real Keras (``KERAS_BACKEND=torch``) when it is installed: bit-identical where
Keras uses elementary float32 arithmetic (and pow/log), within one float32 ulp where it calls
cos (torch's vectorised cosf is not correctly rounded); against worked tables otherwise.
"""

from __future__ import annotations

import math
import os
import types

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
    lr_trajectory,
)


def _keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    return pytest.importorskip("keras")


SCHEDULES = [
    pytest.param(ExponentialDecay(0.1, 7, 0.9), 0, id="exponential"),
    pytest.param(ExponentialDecay(0.1, 7, 0.9, staircase=True), 0, id="exponential_staircase"),
    pytest.param(PiecewiseConstantDecay((5, 9), (0.1, 0.05, 0.01)), 0, id="piecewise"),
    pytest.param(PolynomialDecay(0.1, 50, 1e-4, 0.5), 0, id="polynomial"),
    pytest.param(PolynomialDecay(0.1, 30, 1e-3, 2.0, cycle=True), 0, id="polynomial_cycle"),
    pytest.param(InverseTimeDecay(0.1, 5, 0.5), 0, id="inverse_time"),
    pytest.param(InverseTimeDecay(0.1, 5, 0.5, staircase=True), 0, id="inverse_time_staircase"),
    pytest.param(CosineDecay(0.1, 100), 1, id="cosine"),
    pytest.param(CosineDecay(0.1, 77, alpha=0.1), 1, id="cosine_alpha"),
    pytest.param(CosineDecay(0.0, 100, warmup_target=0.1, warmup_steps=20), 1, id="cos_warmup"),
    pytest.param(CosineDecayRestarts(0.1, 20), 1, id="restarts"),
    pytest.param(CosineDecayRestarts(0.1, 13, t_mul=1.0, m_mul=0.8, alpha=0.05), 1, id="rst_t1"),
    pytest.param(CosineDecayRestarts(0.1, 10, t_mul=1.5, m_mul=0.9), 1, id="restarts_t1.5"),
]


@pytest.mark.parametrize(("spec", "max_ulp"), SCHEDULES)
def test_lr_trajectory_keras_schedule_matches_keras(spec, max_ulp):
    keras = _keras()
    fields = {k: v for k, v in vars(spec).items()}
    if isinstance(spec, PiecewiseConstantDecay):
        fields = {"boundaries": list(spec.boundaries), "values": list(spec.values)}
    theirs_fn = getattr(keras.optimizers.schedules, type(spec).__name__)(**fields)
    theirs = np.array(
        [float(keras.ops.convert_to_numpy(theirs_fn(s))) for s in range(300)], dtype=np.float32
    )
    ours = lr_trajectory(spec, 0.0, 300).lr.astype(np.float32)
    if max_ulp == 0:
        np.testing.assert_array_equal(ours, theirs)
    else:
        # 1 + cos(pi * f) cancels near the trough, so a one-ulp cosf difference shows as an
        # absolute error of about one ulp of the largest LR.
        scale = np.spacing(np.float32(theirs.max()))
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=max_ulp * 2 * scale)


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
