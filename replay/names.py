"""Framework constructor names -> our spec classes, for configs and the command line.

``SPEC_NAMES[framework][name]`` builds the spec that a call ``name(...)`` in that framework
describes, with that constructor's own arguments and defaults (the optimizer left out):
``SPEC_NAMES["torch"]["StepLR"](step_size=30)``,
``SPEC_NAMES["keras"]["ReduceLROnPlateau"](monitor="val_loss", patience=3, verbose=1)``,
``SPEC_NAMES["hf"]["cosine"](num_warmup_steps=10, num_training_steps=100)`` (or its function
``get_cosine_schedule_with_warmup(10, 100)``).

Arguments that change the replay are mapped onto the spec; arguments that cannot change it
(``verbose``, a schedule's ``name``, Keras' ``restore_best_weights``, Lightning's ``strict``)
are accepted and dropped; arguments the replay cannot honour raise ValueError saying why.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from functools import partial
from typing import Any

from replay.clipping import ZClip
from replay.early_stopping import EarlyStopping
from replay.hf_schedules import HFScheduler
from replay.keras_callbacks import KerasLearningRateScheduler, KerasReduceLROnPlateau
from replay.keras_schedules import KERAS_SCHEDULES
from replay.torch_composite import ChainedScheduler, SequentialLR
from replay.torch_cyclic import CosineAnnealingWarmRestarts, CyclicLR, OneCycleLR
from replay.torch_decays import (
    ConstantLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    MultiplicativeLR,
    MultiStepLR,
    PolynomialLR,
)
from replay.torch_schedulers import ConstantSchedule, CosineAnnealingLR, ReduceLROnPlateau, StepLR
from replay.ultralytics import ULTRALYTICS_KINDS, ultralytics_call

__all__ = ["FUNCTION_ARGS", "HF_FUNCTIONS", "KERAS_METRIC_MODES", "SPEC_NAMES"]

_REQUIRED = inspect.Parameter.empty

#: The direction Keras' ``mode="auto"`` gives a monitored metric (``val_`` prefix removed):
#: ``MonitorCallback._set_monitor_op`` takes ``loss`` as "min", else reads ``_direction`` of
#: the compiled metric of that name; these are the built-in metrics and their compile
#: strings. A custom metric needs an explicit ``mode``.
KERAS_METRIC_MODES: dict[str, str] = {
    "loss": "min",
    **dict.fromkeys(
        ["accuracy", "acc", "binary_accuracy", "categorical_accuracy",
         "sparse_categorical_accuracy", "top_k_categorical_accuracy",
         "sparse_top_k_categorical_accuracy", "auc", "precision", "recall", "f1_score",
         "fbeta_score", "r2_score", "pearson_correlation", "concordance_correlation"],
        "max",
    ),
    **dict.fromkeys(
        ["mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
         "mean_squared_logarithmic_error", "root_mean_squared_error", "binary_crossentropy",
         "categorical_crossentropy", "sparse_categorical_crossentropy", "hinge",
         "squared_hinge", "categorical_hinge", "kl_divergence", "poisson", "mse", "mae",
         "mape", "msle"],
        "min",
    ),
}  # fmt: skip

#: Specs that hold a Python function: (framework, name) -> the argument. They cannot be
#: written as text; build them in Python.
FUNCTION_ARGS: dict[tuple[str, str], str] = {
    ("torch", "LambdaLR"): "lr_lambda",
    ("torch", "MultiplicativeLR"): "lr_lambda",
    ("keras", "LearningRateScheduler"): "schedule",
}


def _keras_mode(monitor: str, mode: str) -> str:
    if mode not in ("auto", "min", "max"):
        raise ValueError(
            f"mode must be 'auto', 'min' or 'max', got {mode!r} (Keras would warn and "
            "fall back to 'auto')"
        )
    if mode != "auto":
        return mode
    found = KERAS_METRIC_MODES.get(monitor.removeprefix("val_"))
    if found is None:
        raise ValueError(
            f"mode='auto' cannot tell whether {monitor!r} should go up or down; pass mode"
        )
    return found


def keras_reduce_lr_on_plateau(
    monitor: str = "val_loss",
    factor: float = 0.1,
    patience: int = 10,
    verbose: int = 0,
    mode: str = "auto",
    min_delta: float = 1e-4,
    cooldown: int = 0,
    min_lr: float = 0.0,
    legacy: bool = False,
) -> KerasReduceLROnPlateau:
    """``keras.callbacks.ReduceLROnPlateau(...)`` with Keras' arguments and defaults; ``mode``
    "auto" is resolved from ``monitor``. ``legacy=True`` (ours) replays Keras <= 3.10."""
    return KerasReduceLROnPlateau(
        factor=factor,
        patience=patience,
        mode=_keras_mode(monitor, mode),
        min_delta=min_delta,
        cooldown=cooldown,
        min_lr=min_lr,
        legacy=legacy,
    )


def keras_learning_rate_scheduler(
    schedule: Callable[..., float], verbose: int = 0
) -> KerasLearningRateScheduler:
    """``keras.callbacks.LearningRateScheduler(schedule, verbose=0)``."""
    return KerasLearningRateScheduler(schedule)


def keras_early_stopping(
    monitor: str = "val_loss",
    min_delta: float = 0.0,
    patience: int = 0,
    verbose: int = 0,
    mode: str = "auto",
    baseline: float | None = None,
    restore_best_weights: bool = False,
    start_from_epoch: int = 0,
) -> EarlyStopping:
    """``keras.callbacks.EarlyStopping(...)`` with Keras' own arguments and defaults
    (``restore_best_weights`` changes the weights kept, not when training stops)."""
    return EarlyStopping(
        patience=patience,
        min_delta=abs(min_delta),
        mode=_keras_mode(monitor, mode),
        semantics="keras",
        baseline=baseline,
        start_from_epoch=start_from_epoch,
    )


def lightning_early_stopping(
    monitor: str = "val_loss",
    min_delta: float = 0.0,
    patience: int = 3,
    verbose: bool = False,
    mode: str = "min",
    strict: bool = True,
    check_finite: bool = True,
    stopping_threshold: float | None = None,
    divergence_threshold: float | None = None,
    check_on_train_epoch_end: bool | None = None,
    log_rank_zero_only: bool = False,
) -> EarlyStopping:
    """``lightning.pytorch.callbacks.EarlyStopping(...)`` with Lightning's arguments (the
    metric series says when the checks ran, so ``check_on_train_epoch_end`` is moot)."""
    return EarlyStopping(
        patience=patience,
        min_delta=min_delta,
        mode=mode,
        semantics="lightning",
        check_finite=check_finite,
        stopping_threshold=stopping_threshold,
        divergence_threshold=divergence_threshold,
    )


def hf_early_stopping(
    early_stopping_patience: int = 1,
    early_stopping_threshold: float | None = 0.0,
    greater_is_better: bool = False,
) -> EarlyStopping:
    """``transformers.EarlyStoppingCallback(...)``; ``greater_is_better`` comes from
    ``TrainingArguments`` (default: False for a loss)."""
    return EarlyStopping(
        patience=early_stopping_patience,
        min_delta=early_stopping_threshold or 0.0,
        mode="max" if greater_is_better else "min",
        semantics="hf",
    )


class _Call:
    """A framework constructor known by its signature: binds the arguments like Python
    (same TypeErrors) and hands them to ``build``."""

    def __init__(
        self, name: str, params: list[tuple[str, object]], build: Callable[..., Any]
    ) -> None:
        self.__name__ = self.__qualname__ = name
        kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
        self.__signature__ = inspect.Signature(
            [inspect.Parameter(p, kind, default=d) for p, d in params]
        )
        self._build = build

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        bound = self.__signature__.bind(*args, **kwargs)
        bound.apply_defaults()
        return self._build(**bound.arguments)

    def __repr__(self) -> str:
        return f"{self.__name__}{self.__signature__}"


#: the ``name`` default of each keras.optimizers.schedules class, where not the class name
_KERAS_SCHEDULE_NAMES = {"PiecewiseConstantDecay": "PiecewiseConstant",
                         "CosineDecayRestarts": "SGDRDecay"}  # fmt: skip


def _keras_schedule(cls: type) -> _Call:
    """The schedule's class with Keras' ``name`` argument added (CosineDecay's sits before
    the warm-up); the name does not change the LR."""
    params = [(f.name, _REQUIRED if f.default is dataclasses.MISSING else f.default)
              for f in dataclasses.fields(cls)]  # fmt: skip
    at = 3 if cls.__name__ == "CosineDecay" else len(params)
    params.insert(at, ("name", _KERAS_SCHEDULE_NAMES.get(cls.__name__, cls.__name__)))

    def build(name: str, **kwargs: Any) -> Any:
        return cls(**kwargs)

    return _Call(cls.__name__, params, build)


# --- Hugging Face ---------------------------------------------------------------------------

_W, _T = "num_warmup_steps", "num_training_steps"
#: lr_scheduler_type -> the function transformers' ``get_scheduler`` calls for it
#: (``TYPE_TO_SCHEDULER_FUNCTION`` in transformers/optimization.py) and that function's
#: arguments after the optimizer, in order, with their defaults.
HF_FUNCTIONS: dict[str, tuple[str, list[tuple[str, object]]]] = {
    "linear": ("get_linear_schedule_with_warmup", [(_W, _REQUIRED), (_T, _REQUIRED)]),
    "cosine": ("get_cosine_schedule_with_warmup", [(_W, _REQUIRED), (_T, _REQUIRED),
                                                   ("num_cycles", 0.5)]),
    "cosine_with_restarts": ("get_cosine_with_hard_restarts_schedule_with_warmup",
                             [(_W, _REQUIRED), (_T, _REQUIRED), ("num_cycles", 1)]),
    "polynomial": ("get_polynomial_decay_schedule_with_warmup",
                   [(_W, _REQUIRED), (_T, _REQUIRED), ("lr_end", 1e-7), ("power", 1.0)]),
    "constant": ("get_constant_schedule", []),
    "constant_with_warmup": ("get_constant_schedule_with_warmup", [(_W, _REQUIRED)]),
    "inverse_sqrt": ("get_inverse_sqrt_schedule", [(_W, _REQUIRED), ("timescale", None)]),
    "reduce_lr_on_plateau": ("get_reduce_on_plateau_schedule", []),
    "cosine_with_min_lr": ("get_cosine_with_min_lr_schedule_with_warmup",
                           [(_W, _REQUIRED), (_T, _REQUIRED), ("num_cycles", 0.5),
                            ("last_epoch", -1), ("min_lr", None), ("min_lr_rate", None)]),
    "cosine_warmup_with_min_lr": ("get_cosine_with_min_lr_schedule_with_warmup_lr_rate",
                                  [(_W, _REQUIRED), (_T, _REQUIRED), ("num_cycles", 0.5),
                                   ("last_epoch", -1), ("min_lr", None), ("min_lr_rate", None),
                                   ("warmup_lr_rate", None)]),
    "warmup_stable_decay": ("get_wsd_schedule",
                            [(_W, _REQUIRED), ("num_decay_steps", _REQUIRED), (_T, None),
                             ("num_stable_steps", None), ("warmup_type", "linear"),
                             ("decay_type", "cosine"), ("min_lr_ratio", 0), ("num_cycles", 0.5)]),
    "greedy": ("get_greedy_schedule", []),
}  # fmt: skip
#: torch ReduceLROnPlateau's arguments, what ``get_reduce_on_plateau_schedule(**kwargs)`` passes.
_PLATEAU_ARGS = [(f.name, f.default) for f in dataclasses.fields(ReduceLROnPlateau)]
_HF_DEFAULTS = {f.name: f.default for f in dataclasses.fields(HFScheduler)}


def _hf_greedy(*args: Any, **kwargs: Any) -> Any:
    raise ValueError("HF 'greedy' (GreedyLR) adapts the LR to the training loss; not replayed")


def _hf_build(kind: str, *, function: bool, last_epoch: int = -1, **kwargs: Any) -> Any:
    if last_epoch != -1:
        raise ValueError(
            f"last_epoch={last_epoch} resumes the schedule mid-way; the replay starts at "
            "step 0 (drop last_epoch)"
        )
    if kind == "reduce_lr_on_plateau":  # the Trainer steps it once per evaluation
        kwargs.pop(_W, None), kwargs.pop(_T, None)  # get_scheduler does not pass them on
        return ReduceLROnPlateau(**kwargs)
    if function and kwargs.get("num_cycles") == dict(HF_FUNCTIONS[kind][1]).get("num_cycles"):
        kwargs["num_cycles"] = None  # the function's default is the type's default
    return HFScheduler(kind, **kwargs)


def _hf_type(kind: str) -> Callable[..., Any]:
    """``get_scheduler(kind, opt, num_warmup_steps, num_training_steps, **specific)``."""
    if kind == "greedy":
        return _hf_greedy
    own = [(p, _HF_DEFAULTS.get(p, d)) for p, d in HF_FUNCTIONS[kind][1]
           if p not in (_W, _T, "last_epoch")]  # fmt: skip
    if kind == "reduce_lr_on_plateau":
        own = _PLATEAU_ARGS
    params = [(_W, _HF_DEFAULTS[_W]), (_T, None), *own]
    return _Call(kind, params, partial(_hf_build, kind, function=False))


def _hf_function(kind: str) -> Callable[..., Any]:
    """The ``get_*_schedule*`` function itself, e.g. ``get_linear_schedule_with_warmup``."""
    name, params = HF_FUNCTIONS[kind]
    if kind == "greedy":
        return _hf_greedy
    if kind == "reduce_lr_on_plateau":
        params = _PLATEAU_ARGS
    elif all(p != "last_epoch" for p, _ in params):
        params = [*params, ("last_epoch", -1)]
    return _Call(name, params, partial(_hf_build, kind, function=True))


_TORCH = (
    ConstantSchedule,
    StepLR,
    MultiStepLR,
    ConstantLR,
    LinearLR,
    ExponentialLR,
    PolynomialLR,
    CosineAnnealingLR,
    CosineAnnealingWarmRestarts,
    CyclicLR,
    OneCycleLR,
    SequentialLR,
    ChainedScheduler,
    ReduceLROnPlateau,
    LambdaLR,
    MultiplicativeLR,
)

SPEC_NAMES: dict[str, dict[str, Callable[..., Any]]] = {
    "torch": {cls.__name__: cls for cls in _TORCH},
    "keras": {
        **{cls.__name__: _keras_schedule(cls) for cls in KERAS_SCHEDULES},
        "ReduceLROnPlateau": keras_reduce_lr_on_plateau,
        "LearningRateScheduler": keras_learning_rate_scheduler,
        "EarlyStopping": keras_early_stopping,
    },
    "hf": {
        **{kind: _hf_type(kind) for kind in HF_FUNCTIONS},
        **{HF_FUNCTIONS[kind][0]: _hf_function(kind) for kind in HF_FUNCTIONS},
        "EarlyStoppingCallback": hf_early_stopping,
    },
    "lightning": {"EarlyStopping": lightning_early_stopping},
    "zclip": {"ZClip": ZClip},
    "ultralytics": {kind: ultralytics_call(kind) for kind in ULTRALYTICS_KINDS},
}
