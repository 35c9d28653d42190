"""Framework constructor names -> our spec classes, for configs and the command line.

``SPEC_NAMES[framework][name]`` builds the spec that a call ``name(...)`` in that framework
describes: ``SPEC_NAMES["torch"]["StepLR"](step_size=30)``,
``SPEC_NAMES["keras"]["ReduceLROnPlateau"](patience=3)``,
``SPEC_NAMES["hf"]["cosine"](num_warmup_steps=10, num_training_steps=100)``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from replay.early_stopping import EarlyStopping
from replay.hf_schedules import HF_SCHEDULER_TYPES, HFScheduler
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

__all__ = ["SPEC_NAMES"]


def _auto_mode(monitor: str, mode: str) -> str:
    if mode != "auto":
        return mode
    if monitor.removeprefix("val_") == "loss":
        return "min"
    raise ValueError(f"mode='auto' cannot tell whether {monitor!r} should go up or down; pass mode")


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
    """``keras.callbacks.EarlyStopping(...)`` with Keras' own arguments and defaults."""
    return EarlyStopping(
        patience=patience,
        min_delta=abs(min_delta),
        mode=_auto_mode(monitor, mode),
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
    """``lightning.pytorch.callbacks.EarlyStopping(...)`` with Lightning's arguments."""
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

SPEC_NAMES: dict[str, dict[str, Callable]] = {
    "torch": {cls.__name__: cls for cls in _TORCH},
    "keras": {
        **{cls.__name__: cls for cls in KERAS_SCHEDULES},
        "ReduceLROnPlateau": KerasReduceLROnPlateau,
        "LearningRateScheduler": KerasLearningRateScheduler,
        "EarlyStopping": keras_early_stopping,
    },
    "hf": {
        **{name: partial(HFScheduler, name) for name in HF_SCHEDULER_TYPES},
        "EarlyStoppingCallback": hf_early_stopping,
    },
    "lightning": {"EarlyStopping": lightning_early_stopping},
}
