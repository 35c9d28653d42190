"""Map the scheduler, early-stopping and clipping keys of a config to replay specs."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import replay
from reporter.config._context import Context, as_bool, as_float, as_int, as_str
from reporter.config.keys import (
    BARE_EARLY_STOPPING_PARAMS,
    BARE_SCHEDULER_PARAMS,
    CLIP_NORM_NAMES,
    CLIP_VALUE_NAMES,
    EARLY_STOPPING_FLAGS,
    EARLY_STOPPING_PARAMS,
    SCHEDULER_KIND_NAMES,
    SCHEDULER_PARAMS,
    SCHEDULER_SECTION_KIND_NAMES,
    Leaf,
    pick,
)
from reporter.errors import suggest

# Normalised spelling (lower case, letters and digits only) -> scheduler kind.
SCHEDULER_KINDS = {
    "reducelronplateau": "plateau", "plateau": "plateau", "reduceonplateau": "plateau",
    "reducelrplateau": "plateau", "cosine": "cosine", "cosineannealinglr": "cosine",
    "cosineannealing": "cosine", "cos": "cosine", "cosinewithminlr": "cosine", "step": "step",
    "steplr": "step",
    "constant": "constant", "none": "constant", "fixed": "constant", "null": "constant",
}  # fmt: skip
SPEC_CLASSES: dict[str, type] = {
    "plateau": replay.ReduceLROnPlateau,
    "cosine": replay.CosineAnnealingLR,
    "step": replay.StepLR,
    "constant": replay.ConstantSchedule,
}
_CONVERTERS = {
    "mode": as_str, "threshold_mode": as_str, "patience": as_int, "cooldown": as_int,
    "step_size": as_int, "T_max": as_int,
}  # fmt: skip
# Early-stopping patience when the config enables it without a number, by semantics.
ES_DEFAULT_PATIENCE = {"lightning": (3, "Lightning default"), "keras": (0, "Keras default"),
                       "hf": (1, "HF default")}  # fmt: skip
UNMODELLED = re.compile(r"warmup|lr_scheduler_warmup")
VALUE_CLIPPING = "clips each gradient by value, not by norm"


def normalise_kind(value: Any) -> str | None:
    """``"torch.optim.lr_scheduler.ReduceLROnPlateau"`` → ``"plateau"``; unknown → None."""
    if value is None or value is False:
        return "constant"
    text = as_str(value)
    if text is None:
        return None
    key = re.sub(r"[^a-z0-9]", "", text.rsplit(".", 1)[-1].lower())
    return SCHEDULER_KINDS.get(key)


def read_scheduler(ctx: Context, epochs_leaf: Leaf | None, epochs: int | None) -> Any:
    """The scheduler spec, or None; records ``scheduler`` and ``scheduler.<arg>`` provenance."""
    kind_hits = pick(ctx.found, "", SCHEDULER_KIND_NAMES) + pick(
        ctx.found, "scheduler", SCHEDULER_SECTION_KIND_NAMES
    )
    kind_hits = [leaf for leaf in kind_hits if not isinstance(leaf.value, (dict, list))]
    kind_leaf, kind = ctx.first("scheduler", kind_hits, lambda v: v if v != "" else None)
    if kind_leaf is None and kind_hits:  # `scheduler: null`
        kind_leaf, kind = kind_hits[0], None
    params = _scheduler_params(ctx)
    note = ""
    if kind_leaf is not None:
        name = normalise_kind(kind)
        if name is None:
            hint = suggest(str(kind), ["ReduceLROnPlateau", "CosineAnnealingLR", "StepLR"])
            ctx.record("scheduler", kind_leaf, f"scheduler {kind!r} is not replayable yet")
            if hint:
                ctx.notes.append(f"scheduler {kind!r}: {hint}")
            return None
    else:
        name = _kind_from_params(params)
        if name is None:
            if ctx.framework == "hf":
                ctx.record(
                    "scheduler", None, "HF default lr_scheduler_type 'linear': not replayable"
                )
            return None
        note = "kind inferred from its parameters"
    if ctx.framework == "hf" and name == "cosine":
        return _hf_cosine(ctx, kind_leaf, params)
    return _build_scheduler(ctx, name, kind_leaf, note, params, epochs_leaf, epochs)


def _hf_cosine(ctx: Context, kind_leaf: Leaf | None, params: dict[str, Leaf]) -> Any:
    """HF's cosine runs over all optimizer steps; known only when ``max_steps`` is set."""
    steps_leaf = next((x for x in ctx.found if x.group == "" and x.name == "max_steps"), None)
    steps = as_int(steps_leaf.value) if steps_leaf is not None else None
    if steps is None or steps <= 0:
        ctx.record("scheduler", kind_leaf, "HF cosine over the total optimizer steps: unknown")
        return None
    min_leaf = params.get("min_lr")
    eta_min = as_float(min_leaf.value) if min_leaf is not None else None
    ctx.record("scheduler.T_max", steps_leaf, "HF cosine, per optimizer step; warm-up ignored")
    if eta_min is None:
        ctx.record("scheduler.eta_min", None, "HF default")
    else:
        ctx.record("scheduler.eta_min", min_leaf)
    ctx.record("scheduler", kind_leaf, "stepped per optimizer step, not per epoch")
    return replay.CosineAnnealingLR(T_max=steps, eta_min=eta_min or 0.0)


def _scheduler_params(ctx: Context) -> dict[str, Leaf]:
    params: dict[str, Leaf] = {}
    for leaf in ctx.found:
        bare = leaf.group == "" and leaf.name in BARE_SCHEDULER_PARAMS
        if (leaf.group == "scheduler" or bare) and leaf.name in SCHEDULER_PARAMS:
            arg = SCHEDULER_PARAMS[leaf.name]
            if arg in params and params[arg].value != leaf.value:
                ctx.notes.append(f"scheduler.{arg}: also found {leaf.key}, used {params[arg].key}")
            params.setdefault(arg, leaf)
    return params


def _kind_from_params(params: dict[str, Leaf]) -> str | None:
    if params.keys() & {"patience", "factor", "threshold", "cooldown", "min_lr"}:
        return "plateau"
    if params.keys() & {"T_max", "eta_min"}:
        return "cosine"
    if "step_size" in params:
        return "step"
    return None


def _build_scheduler(
    ctx: Context,
    name: str,
    kind_leaf: Leaf | None,
    note: str,
    params: dict[str, Leaf],
    epochs_leaf: Leaf | None,
    epochs: int | None,
) -> Any:
    cls = SPEC_CLASSES[name]
    kwargs: dict[str, Any] = {}
    for spec_field in dataclasses.fields(cls):
        arg = spec_field.name
        leaf = params.get(arg)
        value = _CONVERTERS.get(arg, as_float)(leaf.value) if leaf is not None else None
        if value is not None:
            kwargs[arg] = value
            ctx.record(f"scheduler.{arg}", leaf)
        elif arg == "T_max" and epochs is not None:
            kwargs[arg] = epochs
            ctx.record("scheduler.T_max", epochs_leaf, "T_max defaulted to the number of epochs",
                       derived=True)
        elif spec_field.default is not dataclasses.MISSING:
            ctx.record(f"scheduler.{arg}", None, "torch default")
        else:
            ctx.record("scheduler", kind_leaf, f"{cls.__name__} needs {arg}, not in the config")
            return None
    try:
        spec = cls(**kwargs)
    except (TypeError, ValueError) as err:
        ctx.record("scheduler", kind_leaf, f"invalid scheduler settings: {err}")
        return None
    ctx.record("scheduler", kind_leaf, note)
    return spec


def read_early_stopping(ctx: Context, ultralytics: bool) -> Any:
    """The EarlyStopping spec, or None; records ``early_stopping[.<arg>]`` provenance."""
    flags = pick(ctx.found, "", EARLY_STOPPING_FLAGS)
    flag_leaf, enabled = ctx.first("early_stopping", flags, as_bool)
    params: dict[str, Leaf] = {}
    for leaf in ctx.found:
        in_section = leaf.group == "early_stopping" and leaf.name in EARLY_STOPPING_PARAMS
        bare = leaf.group == "" and leaf.name in BARE_EARLY_STOPPING_PARAMS
        bare_patience = leaf.group == "" and leaf.name == "patience" and (ultralytics or enabled)
        if in_section or bare or bare_patience:
            params.setdefault(EARLY_STOPPING_PARAMS[leaf.name], leaf)
    if enabled is False:
        ctx.record("early_stopping", flag_leaf, "early stopping switched off")
        return None
    if not params and not enabled:
        return None
    semantics = {"keras": "keras", "hf": "hf"}.get(ctx.framework, "lightning")
    kwargs: dict[str, Any] = {"semantics": semantics}
    for arg, convert in (("patience", as_int), ("min_delta", as_float), ("mode", as_str)):
        leaf = params.get(arg)
        value = convert(leaf.value) if leaf is not None else None
        if value is not None:
            kwargs[arg] = value
            ctx.record(f"early_stopping.{arg}", leaf)
        elif arg == "patience":
            kwargs[arg], why = ES_DEFAULT_PATIENCE[semantics]
            ctx.record("early_stopping.patience", None, why)
        else:
            ctx.record(f"early_stopping.{arg}", None, "EarlyStopping default")
    try:
        spec = replay.EarlyStopping(**kwargs)
    except (TypeError, ValueError) as err:
        ctx.record("early_stopping", flag_leaf, f"invalid early-stopping settings: {err}")
        return None
    first = flag_leaf or params.get("patience") or next(iter(params.values()))
    ctx.record("early_stopping", first, f"{semantics} counting rule")
    return spec


def read_clipping(ctx: Context) -> float | None:
    """The max norm of ``clip_grad_norm_``, or None; records ``clip_grad_norm`` provenance."""
    hits = pick(ctx.found, ("", "optimizer"), CLIP_NORM_NAMES + CLIP_VALUE_NAMES)
    hits = [leaf for leaf in hits if not isinstance(leaf.value, (dict, list, bool))]
    if not hits:
        return None
    leaf = hits[0]
    value = as_float(leaf.value)
    if leaf.name in CLIP_VALUE_NAMES or _lightning_value_clipping(ctx, leaf):
        ctx.record("clip_grad_norm", leaf, VALUE_CLIPPING)
        return None
    if value is None or value <= 0:
        ctx.record("clip_grad_norm", leaf, f"{leaf.value!r}: no clipping")
        return None
    ctx.record("clip_grad_norm", leaf, _clip_note(leaf))
    return value


def _lightning_value_clipping(ctx: Context, leaf: Leaf) -> bool:
    if leaf.name != "gradient_clip_val":
        return False
    algorithms = [x for x in ctx.found if x.name == "gradient_clip_algorithm"]
    return bool(algorithms) and str(algorithms[0].value).lower() == "value"


def _clip_note(leaf: Leaf) -> str:
    if leaf.name == "gradient_clip_val":
        return "Lightning clips by norm unless gradient_clip_algorithm is 'value'"
    if leaf.name in ("clipnorm",):
        return "Keras clipnorm clips each variable's gradient separately"
    if "value" in leaf.name:
        return (
            'the key says "value"; whether the code clips by value or by norm is unknown: '
            "read as the max norm of clip_grad_norm_"
        )
    return ""


def note_unmapped(ctx: Context) -> None:
    """File-level notes for keys that look relevant but were not mapped."""
    ambiguous = [
        leaf.key
        for leaf in ctx.found
        if leaf.order not in ctx.used
        and leaf.group == ""
        and leaf.name in ("patience", "factor", "gamma", "mode", "threshold")
    ]
    if ambiguous:
        ctx.notes.append("ambiguous keys not mapped: " + ", ".join(ambiguous))
    warmup = [leaf.key for leaf in ctx.found
              if UNMODELLED.search(leaf.name) and leaf.value and leaf.order not in ctx.used]
    if warmup:
        ctx.notes.append("LR warm-up not modelled: " + ", ".join(warmup))
