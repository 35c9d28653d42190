"""A replay spec written the way its framework's constructor is called.

``spec_text`` is the one text a report prints for a spec, and :func:`replay.parse_spec`
reads it back: ``parse_spec(spec_text(spec)) == spec`` for every spec without a Python
function in it (a function is written ``<name>``, which the parser refuses by name).
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from replay.clipping import ZClip
from replay.early_stopping import EarlyStopping
from replay.hf_schedules import HF_SCHEDULER_TYPES, HFScheduler
from replay.keras_callbacks import KerasLearningRateScheduler, KerasReduceLROnPlateau
from replay.names import SPEC_NAMES
from replay.ultralytics import UltralyticsSchedule

__all__ = ["ALWAYS_SHOWN", "spec_call", "spec_text"]

#: arguments shown even at their default, so a reader never has to know the default
ALWAYS_SHOWN: dict[str, tuple[str, ...]] = {
    "torch:ReduceLROnPlateau": ("mode", "factor", "patience"),
    "keras:ReduceLROnPlateau": ("factor", "patience", "min_delta"),
    "keras:EarlyStopping": ("patience",),
    "lightning:EarlyStopping": ("patience",),
    "hf:EarlyStoppingCallback": ("early_stopping_patience",),
    "torch:CosineAnnealingLR": ("T_max", "eta_min"),
    "torch:StepLR": ("step_size", "gamma"),
    **{f"ultralytics:{kind}": ("lrf",) for kind in ("linear", "cos")},
    **{f"hf:{kind}": ("num_warmup_steps",) for kind in HF_SCHEDULER_TYPES if kind != "constant"},
}

SpecCall = tuple[str | None, str, dict[str, Any]]
_REQUIRED = inspect.Parameter.empty


def spec_text(spec: Any) -> str:
    """``torch:StepLR(step_size=30, gamma=0.1)``: the framework, its constructor name and the
    arguments that differ from that constructor's defaults (plus :data:`ALWAYS_SHOWN`).

    Children of a composite are written without the prefix (they share the parent's
    framework); a Python function is written ``<its name>``.

    >>> from replay import EarlyStopping, HFScheduler, StepLR
    >>> spec_text(StepLR(step_size=30))
    'torch:StepLR(step_size=30, gamma=0.1)'
    >>> spec_text(HFScheduler("cosine", num_warmup_steps=10, num_training_steps=100))
    'hf:cosine(num_warmup_steps=10, num_training_steps=100)'
    >>> spec_text(EarlyStopping(patience=2, semantics="hf"))
    'hf:EarlyStoppingCallback(early_stopping_patience=2)'
    >>> spec_text(None)
    'none'
    """
    if spec is None:
        return "none"
    if not dataclasses.is_dataclass(spec) or isinstance(spec, type):
        return str(spec)
    framework, body = _call_text(spec)
    return f"{framework}:{body}" if framework else body


def spec_call(spec: Any) -> SpecCall:
    """``(framework, constructor name, arguments)`` of a spec: the call ``spec_text`` writes,
    with every argument (defaults included)."""
    writer = _WRITERS.get(type(spec))
    if writer is not None:
        return writer(spec)
    args = {f.name: getattr(spec, f.name) for f in dataclasses.fields(spec)}
    return getattr(spec, "framework", None), type(spec).__name__, args


def _early_stopping_call(spec: EarlyStopping) -> SpecCall:
    if spec.semantics == "hf":
        args: dict[str, Any] = {
            "early_stopping_patience": spec.patience,
            "early_stopping_threshold": spec.min_delta,
            "greater_is_better": spec.mode == "max",
        }
        return "hf", "EarlyStoppingCallback", args
    own = (
        ("baseline", "start_from_epoch")
        if spec.semantics == "keras"
        else ("check_finite", "stopping_threshold", "divergence_threshold")
    )
    args = {"min_delta": spec.min_delta, "patience": spec.patience, "mode": spec.mode}
    args.update({k: getattr(spec, k) for k in own})
    return spec.semantics, "EarlyStopping", args


def _fields(spec: Any, *, skip: str = "") -> dict[str, Any]:
    return {f.name: getattr(spec, f.name) for f in dataclasses.fields(spec) if f.name != skip}


_WRITERS: dict[type, Callable[[Any], SpecCall]] = {
    EarlyStopping: _early_stopping_call,
    HFScheduler: lambda s: ("hf", s.lr_scheduler_type, _fields(s, skip="lr_scheduler_type")),
    KerasReduceLROnPlateau: lambda s: ("keras", "ReduceLROnPlateau", _fields(s)),
    KerasLearningRateScheduler: lambda s: ("keras", "LearningRateScheduler", _fields(s)),
    ZClip: lambda s: ("zclip", "ZClip", _fields(s)),
    UltralyticsSchedule: lambda s: ("ultralytics", s.kind, _fields(s, skip="kind")),
}


def _defaults(spec: Any, framework: str | None, name: str) -> dict[str, Any]:
    """The constructor's defaults in its order, after the spec's own field defaults (for
    fields that the constructor does not take); required arguments map to ``_REQUIRED``."""
    out = {
        f.name: f.default for f in dataclasses.fields(spec) if f.default is not dataclasses.MISSING
    }
    factory = SPEC_NAMES.get(framework or "", {}).get(name)
    if factory is not None:
        params = inspect.signature(factory).parameters.values()
        own = {p.name: p.default for p in params if p.kind is not p.VAR_KEYWORD}
        out = {**own, **{k: v for k, v in out.items() if k not in own}}
    return out


def _call_text(spec: Any) -> tuple[str | None, str]:
    """``(framework, "Name(arg=value, ...)")`` with the arguments worth showing, in the
    constructor's order."""
    framework, name, args = spec_call(spec)
    defaults = _defaults(spec, framework, name)
    always = ALWAYS_SHOWN.get(f"{framework}:{name}", ())
    order = {key: i for i, key in enumerate(defaults)}
    shown = []
    for key in sorted(args, key=lambda k: order.get(k, len(order))):
        default = defaults.get(key, _REQUIRED)
        if key in always or default is _REQUIRED or default != args[key]:
            shown.append(f"{key}={_literal(args[key])}")
    return framework, f"{name}({', '.join(shown)})"


def _literal(value: Any) -> str:
    """A value as the parser reads it: a nested call, a list, or a Python literal."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _call_text(value)[1]
    if isinstance(value, (list, tuple)):
        return f"[{', '.join(_literal(v) for v in value)}]"
    if value is None or isinstance(value, (bool, np.bool_, str)):
        return repr(value if not isinstance(value, np.bool_) else bool(value))
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        number = float(value)
        return repr(number) if math.isfinite(number) else f"float('{number}')"
    if callable(value):
        name = getattr(value, "__qualname__", type(value).__name__)
        return name if name.startswith("<") else f"<{name}>"
    return repr(value)
