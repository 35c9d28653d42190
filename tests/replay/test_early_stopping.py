"""Early-stopping replays: Lightning against the real callback, Keras/HF against worked tables.

The Lightning comparison runs ``EarlyStopping._evaluate_stopping_criteria`` of the installed
``lightning`` package (skipped when it is not installed); the Keras and HF tables are worked by
hand from docs/schedulers.md sections 3.3 and 4.3.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from replay import EarlyStopping, early_stop

NAN, INF = math.nan, math.inf

LIGHTNING_CASES = [
    pytest.param({"patience": 3}, [1.0, 0.9, 0.95, 0.95, 0.95, 0.95], id="doc_real_run"),
    pytest.param({"patience": 0}, [1.0, 0.9, 0.95, 0.8], id="patience_0"),
    pytest.param({"patience": 1}, [1.0, 0.9, 0.95, 0.8], id="patience_1"),
    pytest.param({"patience": 2}, [1.0, 0.99999999, 0.99999998, 0.9], id="float32_tie"),
    pytest.param({"patience": 2, "min_delta": 0.1}, [1.0, 0.9, 0.85, 0.79, 0.7], id="min_delta"),
    pytest.param({"patience": 2, "min_delta": -0.1}, [1.0, 1.05, 1.09, 1.2, 1.3], id="neg_delta"),
    pytest.param({"patience": 2, "mode": "max"}, [0.1, 0.5, 0.5, 0.6, 0.6, 0.6], id="max"),
    pytest.param(
        {"patience": 2, "mode": "max", "min_delta": 0.05},
        [0.1, 0.14, 0.2, 0.24, 0.26],
        id="max_min_delta",
    ),
    pytest.param({"patience": 5}, [1.0, 0.9, NAN, 0.8], id="nan_stops"),
    pytest.param({"patience": 5}, [1.0, INF], id="inf_stops"),
    pytest.param({"patience": 2, "check_finite": False}, [1.0, NAN, NAN, 0.5], id="nan_is_bad"),
    pytest.param(
        {"patience": 9, "stopping_threshold": 0.5}, [1.0, 0.7, 0.5, 0.49], id="stopping_threshold"
    ),
    pytest.param(
        {"patience": 9, "divergence_threshold": 2.0}, [1.0, 1.5, 2.0, 2.01], id="divergence"
    ),
    pytest.param(
        {"patience": 9, "mode": "max", "divergence_threshold": 0.2},
        [0.5, 0.3, 0.2, 0.19],
        id="max_divergence",
    ),
    pytest.param({"patience": 3}, list(np.linspace(1.0, 0.1, 30)), id="never_stops"),
    pytest.param({"patience": 4}, [1.0 + 1e-8 * i for i in range(10)], id="tiny_rises"),
]


@pytest.mark.parametrize(("kwargs", "series"), LIGHTNING_CASES)
def test_early_stop_lightning_matches_lightning_callback(kwargs, series):
    torch = pytest.importorskip("torch")
    callbacks = pytest.importorskip("lightning.pytorch.callbacks")
    cb = callbacks.EarlyStopping(monitor="val_loss", **kwargs)
    expected = None
    for k, v in enumerate(series):
        should_stop, _ = cb._evaluate_stopping_criteria(torch.tensor(v))
        if should_stop:
            expected = k
            break
    event = early_stop(EarlyStopping(semantics="lightning", **kwargs), series)
    assert (event.index if event else None) == expected


@pytest.mark.parametrize(
    ("kwargs", "series", "stop"),
    [
        ({"patience": 3}, [1.0, 0.9, 0.95, 0.95, 0.95, 0.95], 4),
        ({"patience": 0}, [1.0, 1.0], 1),
        ({"patience": 1}, [1.0, 1.0], 1),
        ({"patience": 2}, [1.0, 0.99999999, 0.99999998, 0.9], 2),
        ({"patience": 2, "min_delta": -0.1}, [1.0, 1.05, 1.09, 1.2, 1.3], 4),
        ({"patience": 5}, [1.0, 0.9, NAN, 0.8], 2),
        ({"patience": 2, "check_finite": False}, [1.0, NAN, NAN, 0.5], 2),
        ({"patience": 9, "stopping_threshold": 0.5}, [1.0, 0.7, 0.5, 0.49], 3),
        ({"patience": 3}, [1.0, 0.9, 0.8], None),
    ],
)
def test_early_stop_lightning_worked_table(kwargs, series, stop):
    event = early_stop(EarlyStopping(**kwargs), series)
    assert (event.index if event else None) == stop


@pytest.mark.parametrize(
    ("kwargs", "series", "stop"),
    [
        # best at k then flat => stop after epoch k + max(patience, 1); never at epoch 0
        ({"patience": 3}, [1.0, 0.9, 0.95, 0.95, 0.95, 0.95], 4),
        ({"patience": 0}, [1.0, 1.0, 1.0], 1),
        ({"patience": 1}, [1.0, 1.0, 1.0], 1),
        ({"patience": 0}, [1.0], None),
        ({"patience": 2, "min_delta": -0.1}, [1.0, 0.95, 0.85, 0.8, 0.79], 4),
        # float32 comparison: 0.99999999 is not below 1.0 in float32
        ({"patience": 1}, [1.0, 0.99999999], 1),
        # baseline never reached by an improving metric: never stops
        ({"patience": 1, "baseline": 0.1}, [1.0, 0.9, 0.8, 0.7, 0.6], None),
        # baseline: improvements short of it keep wait growing, the first flat epoch stops
        ({"patience": 2, "baseline": 0.1}, [1.0, 0.9, 0.8, 0.8], 3),
        # start_from_epoch: earlier epochs ignored, epoch s becomes best
        ({"patience": 1, "start_from_epoch": 3}, [0.1, 0.1, 0.1, 1.0, 1.0], 4),
        ({"patience": 2, "mode": "max"}, [0.1, 0.5, 0.5, 0.5], 3),
        # best=None start: a NaN first value becomes best and nothing improves on it
        ({"patience": 2}, [NAN, 1.0, 0.5, 0.1], 2),
    ],
)
def test_early_stop_keras_worked_table(kwargs, series, stop):
    event = early_stop(EarlyStopping(semantics="keras", **kwargs), series)
    assert (event.index if event else None) == stop


@pytest.mark.parametrize(
    ("kwargs", "series", "stop"),
    [
        # docs 4.3: every eval improves, but by less than the threshold from eval 2 on
        ({"patience": 3, "min_delta": 0.02}, [1.0, 0.95, 0.93, 0.92, 0.915], 4),
        ({"patience": 1}, [1.0, 0.9, 0.9], 2),
        ({"patience": 1}, [1.0, 1.0], 1),
        ({"patience": 0}, [1.0, 1.0], 0),
        ({"patience": 2, "mode": "max"}, [0.5, 0.6, 0.6, 0.55], 3),
        ({"patience": 2}, [1.0, 0.9, 0.8, 0.7], None),
    ],
)
def test_early_stop_hf_worked_table(kwargs, series, stop):
    event = early_stop(EarlyStopping(semantics="hf", **kwargs), series)
    assert (event.index if event else None) == stop


def test_early_stop_event_is_a_stop_with_a_reason():
    event = early_stop(EarlyStopping(patience=1), [1.0, 1.0])
    assert event.kind == "stop"
    assert event.reason == "no improvement in the last 1 checks (best 1)"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"mode": "auto"}, "EarlyStopping mode must be 'min' or 'max', got 'auto'"),
        ({"semantics": "tf"}, "semantics must be 'lightning', 'keras' or 'hf', got 'tf'"),
        ({"patience": -2}, "EarlyStopping patience must be >= 0, got -2"),
    ],
)
def test_early_stopping_bad_arguments_raise_value_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        EarlyStopping(**kwargs)


HF_CASES = [
    pytest.param({"patience": 3, "min_delta": 0.02}, [1.0, 0.95, 0.93, 0.92, 0.915], id="doc"),
    pytest.param({"patience": 1}, [1.0, 0.9, 0.9], id="p1"),
    pytest.param({"patience": 2, "mode": "max"}, [0.5, 0.6, 0.6, 0.55], id="max"),
    pytest.param({"patience": 2}, [NAN, 1.0, 1.0, 1.0, 1.0], id="nan_first"),
    pytest.param({"patience": 2}, [1.0, NAN, NAN, 0.5], id="nan_middle"),
    pytest.param({"patience": 2, "min_delta": 0.1}, [1.0, 0.95, 0.9, 0.85, 0.8], id="slow"),
    pytest.param({"patience": 3}, list(np.linspace(1.0, 0.1, 20)), id="never"),
]


@pytest.mark.parametrize(("kwargs", "series"), HF_CASES)
def test_early_stop_hf_matches_transformers_callback(kwargs, series):
    """The real EarlyStoppingCallback and Trainer._determine_best_metric, in Trainer order."""
    import types

    transformers = pytest.importorskip("transformers")
    greater = kwargs.get("mode") == "max"
    args = types.SimpleNamespace(
        metric_for_best_model="loss", greater_is_better=greater, save_strategy="no"
    )
    state = types.SimpleNamespace(best_metric=None, best_global_step=None, global_step=0)
    trainer = types.SimpleNamespace(args=args, state=state)
    control = types.SimpleNamespace(should_training_stop=False)
    cb = transformers.EarlyStoppingCallback(
        early_stopping_patience=kwargs["patience"],
        early_stopping_threshold=kwargs.get("min_delta", 0.0),
    )
    expected = None
    for k, value in enumerate(series):
        cb.on_evaluate(args, state, control, metrics={"eval_loss": value})
        transformers.Trainer._determine_best_metric(trainer, {"eval_loss": value}, None)
        if control.should_training_stop:
            expected = k
            break
    event = early_stop(EarlyStopping(semantics="hf", **kwargs), series)
    assert (event.index if event else None) == expected
