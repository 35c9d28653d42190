"""A replay spec written the way its framework's constructor is called."""

from __future__ import annotations

import dataclasses
from typing import Any

__all__ = ["spec_text"]

# parameters worth showing even at their default, so a reader never has to know the default
ALWAYS_SHOWN = {
    "ReduceLROnPlateau": ("mode", "factor", "patience"),
    "KerasReduceLROnPlateau": ("factor", "patience", "min_delta"),
    "EarlyStopping": ("patience",),
    "CosineAnnealingLR": ("T_max", "eta_min"),
    "StepLR": ("step_size", "gamma"),
}


def spec_text(spec: Any) -> str:
    """``StepLR(step_size=30, gamma=0.1)``: the arguments that differ from the defaults.

    >>> from replay.torch_schedulers import StepLR
    >>> spec_text(StepLR(step_size=30))
    'StepLR(step_size=30, gamma=0.1)'
    >>> spec_text(None)
    'none'
    """
    if spec is None:
        return "none"
    if not dataclasses.is_dataclass(spec):
        return str(spec)
    defaults = {f.name: f.default for f in dataclasses.fields(spec)}
    always = ALWAYS_SHOWN.get(type(spec).__name__, ())
    args = [f"{k}={v!r}" for k, v in vars(spec).items() if k in always or defaults.get(k) != v]
    return f"{type(spec).__name__}({', '.join(args)})"
