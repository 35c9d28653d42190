"""Specs of torch.optim.lr_scheduler classes, named and parametrised exactly like torch.

The replays themselves live beside the specs; see :func:`replay.lr_trajectory`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ConstantSchedule:
    """No scheduler at all: the LR stays at the optimizer's base LR."""

    framework = "torch"


@dataclass(frozen=True)
class StepLR:
    """torch ``StepLR(step_size, gamma=0.1)``: multiply by ``gamma`` every ``step_size``."""

    step_size: int
    gamma: float = 0.1
    framework = "torch"

    def __post_init__(self) -> None:
        if int(self.step_size) != self.step_size or self.step_size < 1:
            raise ValueError(f"StepLR step_size must be a positive int, got {self.step_size!r}")


@dataclass(frozen=True)
class CosineAnnealingLR:
    """torch ``CosineAnnealingLR(T_max, eta_min=0.0)``, periodic past ``T_max`` like torch."""

    T_max: int
    eta_min: float = 0.0
    framework = "torch"

    def __post_init__(self) -> None:
        if self.T_max <= 0:
            raise ValueError(f"CosineAnnealingLR T_max must be positive, got {self.T_max!r}")


@dataclass(frozen=True)
class ReduceLROnPlateau:
    """torch ``ReduceLROnPlateau`` with all of its parameters and torch's defaults."""

    mode: str = "min"
    factor: float = 0.1
    patience: int = 10
    threshold: float = 1e-4
    threshold_mode: str = "rel"
    cooldown: int = 0
    min_lr: float = 0.0
    eps: float = 1e-8
    framework = "torch"

    def __post_init__(self) -> None:
        if self.mode not in ("min", "max"):
            raise ValueError(f"ReduceLROnPlateau mode must be 'min' or 'max', got {self.mode!r}")
        if self.threshold_mode not in ("rel", "abs"):
            raise ValueError(
                f"ReduceLROnPlateau threshold_mode must be 'rel' or 'abs', "
                f"got {self.threshold_mode!r}"
            )
        if self.factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau factor must be < 1.0, got {self.factor!r}")
        if self.patience < 0 or self.cooldown < 0:
            raise ValueError(
                f"ReduceLROnPlateau patience and cooldown must be >= 0, "
                f"got patience={self.patience!r}, cooldown={self.cooldown!r}"
            )
