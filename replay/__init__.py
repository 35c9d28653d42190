"""Exact, numpy-only replays of LR schedulers, early stopping and gradient clipping."""

from replay import _plateau  # noqa: F401  (registers the ReduceLROnPlateau replay)
from replay.clipping import ClipReplay, ZClip, clip_scale, zclip_scale
from replay.counterfactual import Counterfactual, Fidelity, counterfactual, exact_until, fidelity
from replay.early_stopping import EarlyStopping, early_stop
from replay.hf_schedules import HFScheduler, hf_logged_learning_rate
from replay.inference import Candidate, infer_schedule
from replay.keras_callbacks import KerasLearningRateScheduler, KerasReduceLROnPlateau
from replay.keras_schedules import (
    CosineDecay,
    CosineDecayRestarts,
    ExponentialDecay,
    InverseTimeDecay,
    PiecewiseConstantDecay,
    PolynomialDecay,
)
from replay.names import SPEC_NAMES
from replay.parse import SpecError, parse_spec
from replay.spec_text import spec_text
from replay.stepping import lightning_scheduler_steps, per_step
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
from replay.trajectory import lr_trajectory
from replay.types import Event, Trajectory
from replay.ultralytics import UltralyticsSchedule
from replay.warmup import linear_warmup, warmup_factor

__all__ = [
    "SPEC_NAMES",
    "Candidate",
    "ChainedScheduler",
    "ClipReplay",
    "ConstantLR",
    "ConstantSchedule",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CosineDecay",
    "CosineDecayRestarts",
    "Counterfactual",
    "CyclicLR",
    "EarlyStopping",
    "Event",
    "ExponentialDecay",
    "ExponentialLR",
    "Fidelity",
    "HFScheduler",
    "InverseTimeDecay",
    "KerasLearningRateScheduler",
    "KerasReduceLROnPlateau",
    "LambdaLR",
    "LinearLR",
    "MultiStepLR",
    "MultiplicativeLR",
    "OneCycleLR",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
    "PolynomialLR",
    "ReduceLROnPlateau",
    "SequentialLR",
    "SpecError",
    "StepLR",
    "Trajectory",
    "UltralyticsSchedule",
    "ZClip",
    "clip_scale",
    "counterfactual",
    "early_stop",
    "exact_until",
    "fidelity",
    "hf_logged_learning_rate",
    "infer_schedule",
    "lightning_scheduler_steps",
    "linear_warmup",
    "lr_trajectory",
    "parse_spec",
    "per_step",
    "spec_text",
    "warmup_factor",
    "zclip_scale",
]
