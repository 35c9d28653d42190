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
from replay.keras_callbacks import KerasReduceLROnPlateau
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
        "EarlyStopping": partial(EarlyStopping, semantics="keras", patience=0),
    },
    "hf": {
        **{name: partial(HFScheduler, name) for name in HF_SCHEDULER_TYPES},
        "EarlyStoppingCallback": partial(EarlyStopping, semantics="hf", patience=1),
    },
    "lightning": {"EarlyStopping": partial(EarlyStopping, semantics="lightning")},
}
