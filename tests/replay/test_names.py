"""replay.SPEC_NAMES: framework constructor names and arguments map onto our specs."""

from __future__ import annotations

import pytest

from replay import SPEC_NAMES, EarlyStopping, KerasReduceLROnPlateau, StepLR


def test_spec_names_torch_uses_torch_class_names():
    assert SPEC_NAMES["torch"]["StepLR"](step_size=3) == StepLR(step_size=3)


def test_spec_names_keras_reduce_lr_is_keras_semantics():
    assert SPEC_NAMES["keras"]["ReduceLROnPlateau"](patience=2) == KerasReduceLROnPlateau(
        patience=2
    )


@pytest.mark.parametrize(
    ("framework", "name", "kwargs", "expected"),
    [
        ("keras", "EarlyStopping", {"min_delta": -0.1, "patience": 2},
         EarlyStopping(patience=2, min_delta=0.1, semantics="keras")),
        ("keras", "EarlyStopping", {"monitor": "val_acc", "mode": "max"},
         EarlyStopping(patience=0, mode="max", semantics="keras")),
        ("lightning", "EarlyStopping", {"monitor": "val_loss", "check_finite": False},
         EarlyStopping(check_finite=False)),
        ("hf", "EarlyStoppingCallback",
         {"early_stopping_patience": 3, "early_stopping_threshold": 0.01},
         EarlyStopping(patience=3, min_delta=0.01, semantics="hf")),
        ("hf", "EarlyStoppingCallback", {"greater_is_better": True},
         EarlyStopping(patience=1, mode="max", semantics="hf")),
    ],
)  # fmt: skip
def test_spec_names_early_stopping_takes_framework_arguments(framework, name, kwargs, expected):
    assert SPEC_NAMES[framework][name](**kwargs) == expected


def test_spec_names_keras_auto_mode_unknown_metric_raises():
    with pytest.raises(ValueError, match="mode='auto' cannot tell whether 'val_auc'"):
        SPEC_NAMES["keras"]["EarlyStopping"](monitor="val_auc")
