"""Exact, numpy-only replays of LR schedulers, early stopping and gradient clipping."""

from replay.early_stopping import EarlyStopping
from replay.torch_schedulers import ConstantSchedule, CosineAnnealingLR, ReduceLROnPlateau, StepLR
from replay.types import Event, Trajectory

__all__ = [
    "ConstantSchedule",
    "CosineAnnealingLR",
    "EarlyStopping",
    "Event",
    "ReduceLROnPlateau",
    "StepLR",
    "Trajectory",
]
