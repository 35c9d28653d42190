"""replay.SPEC_NAMES: framework constructor names and arguments map onto our specs.

Issue 11, item 4: every Keras callback takes the constructor arguments of the real class,
and the HF ``get_*_schedule*`` functions are names too. The signatures are checked against
the installed frameworks.
"""

from __future__ import annotations

import inspect

import pytest

from replay import SPEC_NAMES, EarlyStopping, KerasReduceLROnPlateau, ReduceLROnPlateau, StepLR
from replay.names import HF_FUNCTIONS, KERAS_METRIC_MODES


def _params(fn, drop=("self", "optimizer")) -> list[tuple[str, object]]:
    """(name, default) of each named parameter, in order."""
    return [
        (p.name, p.default)
        for p in inspect.signature(fn).parameters.values()
        if p.name not in drop and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
    ]


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
        ("keras", "EarlyStopping", {"monitor": "val_auc"},
         EarlyStopping(patience=0, mode="max", semantics="keras")),
        ("keras", "EarlyStopping", {"monitor": "mae", "restore_best_weights": True},
         EarlyStopping(patience=0, mode="min", semantics="keras")),
        ("keras", "ReduceLROnPlateau", {"monitor": "val_accuracy", "verbose": 1},
         KerasReduceLROnPlateau(mode="max")),
        ("lightning", "EarlyStopping", {"monitor": "val_loss", "check_finite": False},
         EarlyStopping(check_finite=False)),
        ("hf", "EarlyStoppingCallback",
         {"early_stopping_patience": 3, "early_stopping_threshold": 0.01},
         EarlyStopping(patience=3, min_delta=0.01, semantics="hf")),
        ("hf", "EarlyStoppingCallback", {"greater_is_better": True},
         EarlyStopping(patience=1, mode="max", semantics="hf")),
    ],
)  # fmt: skip
def test_spec_names_callbacks_take_framework_arguments(framework, name, kwargs, expected):
    assert SPEC_NAMES[framework][name](**kwargs) == expected


@pytest.mark.parametrize("name", ["EarlyStopping", "ReduceLROnPlateau"])
def test_spec_names_keras_auto_mode_unknown_metric_raises(name):
    with pytest.raises(ValueError, match=r"^mode='auto' cannot tell whether 'val_score' should "
                       r"go up or down; pass mode$"):  # fmt: skip
        SPEC_NAMES["keras"][name](monitor="val_score")


# --- against the installed frameworks ---------------------------------------------------


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


@pytest.mark.parametrize(
    ("name", "extra"),
    [("ReduceLROnPlateau", [("legacy", False)]), ("EarlyStopping", []),
     ("LearningRateScheduler", [])],
)  # fmt: skip
def test_spec_names_keras_callback_has_the_real_signature(keras, name, extra):
    real = _params(getattr(keras.callbacks, name))
    assert _params(SPEC_NAMES["keras"][name]) == real + extra


@pytest.mark.parametrize(
    "name",
    ["ExponentialDecay", "PiecewiseConstantDecay", "PolynomialDecay", "InverseTimeDecay",
     "CosineDecay", "CosineDecayRestarts"],
)  # fmt: skip
def test_spec_names_keras_schedule_has_the_real_signature(keras, name):
    real = _params(getattr(keras.optimizers.schedules, name))
    assert _params(SPEC_NAMES["keras"][name]) == real


def _keras_direction(keras, name: str) -> str:
    if name in ("acc", "accuracy"):  # compile_utils.get_metric: an accuracy metric
        return "up"
    classes = [c for c in vars(keras.metrics).values()
               if isinstance(c, type) and issubclass(c, keras.metrics.Metric)]  # fmt: skip
    for cls in classes:
        try:
            if cls().name == name:
                return cls()._direction
        except (TypeError, ValueError):  # needs constructor arguments
            continue
    metric = keras.metrics.get(name)
    if not isinstance(metric, keras.metrics.Metric):
        metric = keras.metrics.MeanMetricWrapper(metric)
    return metric._direction


@pytest.mark.parametrize("name", sorted(set(KERAS_METRIC_MODES) - {"loss"}))
def test_keras_metric_modes_agree_with_keras_directions(keras, name):
    expected = {"up": "max", "down": "min"}[_keras_direction(keras, name)]
    assert KERAS_METRIC_MODES[name] == expected


def test_spec_names_lightning_early_stopping_has_the_real_signature():
    callbacks = pytest.importorskip("lightning.pytorch.callbacks")
    real = _params(callbacks.EarlyStopping)
    ours = _params(SPEC_NAMES["lightning"]["EarlyStopping"])
    assert [n for n, _ in ours] == [n for n, _ in real]
    # Lightning requires monitor; a replay reads the series it is given, so ours defaults it
    assert ours[1:] == real[1:]


@pytest.fixture(scope="module")
def hf_optimization():
    return pytest.importorskip("transformers.optimization")


def test_spec_names_hf_early_stopping_has_the_real_signature(hf_optimization):
    transformers = pytest.importorskip("transformers")
    real = _params(transformers.EarlyStoppingCallback)
    extra = [("greater_is_better", False)]  # from TrainingArguments
    assert _params(SPEC_NAMES["hf"]["EarlyStoppingCallback"]) == real + extra


def test_spec_names_hf_has_every_scheduler_type_and_function(hf_optimization):
    table = hf_optimization.TYPE_TO_SCHEDULER_FUNCTION
    assert {t.value: f.__name__ for t, f in table.items()} == {
        kind: function for kind, (function, _) in HF_FUNCTIONS.items()
    }
    assert set(HF_FUNCTIONS) | {f for f, _ in HF_FUNCTIONS.values()} <= set(SPEC_NAMES["hf"])


@pytest.mark.parametrize("kind", sorted(set(HF_FUNCTIONS) - {"greedy", "reduce_lr_on_plateau"}))
def test_spec_names_hf_function_has_the_real_signature(hf_optimization, kind):
    function = HF_FUNCTIONS[kind][0]
    real = _params(getattr(hf_optimization, function))
    assert _params(SPEC_NAMES["hf"][function]) == real


def test_spec_names_hf_reduce_on_plateau_takes_torch_arguments(hf_optimization):
    torch = pytest.importorskip("torch")
    real = _params(torch.optim.lr_scheduler.ReduceLROnPlateau)
    assert _params(SPEC_NAMES["hf"]["get_reduce_on_plateau_schedule"]) == real


def test_spec_names_hf_reduce_lr_on_plateau_is_what_get_scheduler_builds(hf_optimization):
    torch = pytest.importorskip("torch")
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    kwargs = {"patience": 2, "factor": 0.5, "threshold": 0.01, "cooldown": 1, "min_lr": 1e-4}
    real = hf_optimization.get_scheduler("reduce_lr_on_plateau", opt, num_warmup_steps=5,
                                         num_training_steps=100,
                                         scheduler_specific_kwargs=kwargs)  # fmt: skip
    ours = SPEC_NAMES["hf"]["reduce_lr_on_plateau"](5, 100, **kwargs)
    assert isinstance(ours, ReduceLROnPlateau)
    assert (ours.mode, ours.factor, ours.patience, ours.threshold, ours.threshold_mode,
            ours.cooldown, ours.min_lr, ours.eps) == (
        real.mode, real.factor, real.patience, real.threshold, real.threshold_mode,
        real.cooldown, real.min_lrs[0], real.eps)  # fmt: skip


@pytest.mark.parametrize("name", ["greedy", "get_greedy_schedule"])
def test_spec_names_hf_greedy_is_refused(name):
    with pytest.raises(ValueError, match=r"^HF 'greedy' \(GreedyLR\) adapts the LR to the "
                       r"training loss; not replayed$"):  # fmt: skip
        SPEC_NAMES["hf"][name]()
