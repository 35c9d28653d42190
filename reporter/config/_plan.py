"""Decide which key of a config file each requested change goes to.

An existing key (from the setup's provenance) is edited. A missing one is placed beside its
relatives in the file's style: inside their nested section, or with the flat prefix they use
(``scheduler_patience`` → ``scheduler_T_max``), so that :func:`read_setup` reads it back.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from reporter.config._fields import SPEC_CLASSES, VALUE_CLIPPING, normalise_kind
from reporter.config.keys import (
    BARE_EARLY_STOPPING_PARAMS,
    BARE_SCHEDULER_PARAMS,
    EARLY_STOPPING_SECTIONS,
    OPTIMIZER_SECTIONS,
    SCHEDULER_SECTIONS,
    classify,
)
from reporter.config.setup import TrainingSetup
from reporter.errors import UsageError

# Key names for a field that the file does not have yet, by framework.
NEW_NAMES = {
    "hf": {"clip_grad_norm": "max_grad_norm", "epochs": "num_train_epochs",
           "batch_size": "per_device_train_batch_size", "warmup_steps": "warmup_steps"},
    "lightning": {"clip_grad_norm": "gradient_clip_val", "epochs": "max_epochs"},
    "keras": {"clip_grad_norm": "global_clipnorm"},  # clipnorm would clip each variable alone
    "": {"learning_rate": "learning_rate", "clip_grad_norm": "clip_grad_norm",
         "epochs": "epochs", "batch_size": "batch_size", "warmup_steps": "warmup_steps"},
}  # fmt: skip
KIND_NAMES = {
    "class": {"plateau": "ReduceLROnPlateau", "cosine": "CosineAnnealingLR", "step": "StepLR",
              "constant": "constant"},
    "short": {"plateau": "plateau", "cosine": "cosine", "step": "step", "constant": "constant"},
    "hf": {"plateau": "reduce_lr_on_plateau", "cosine": "cosine", "constant": "constant"},
}  # fmt: skip
_SECTIONS = SCHEDULER_SECTIONS | EARLY_STOPPING_SECTIONS
_MISSING = object()


@dataclass
class Op:
    """Set ``path`` to ``value``; a new key goes right after its sibling ``after``."""

    path: tuple[str, ...]
    value: Any
    after: str | None = None


class Planner:
    """Turns field changes into :class:`Op` s on this file's key paths."""

    def __init__(self, setup: TrainingSetup, data: dict[str, Any], kind: str, wandb: bool):
        self.setup, self.data, self.wandb = setup, data, wandb
        self.hf = setup.framework == "hf" and kind == "json"
        self.ops: list[Op] = []
        self.notes: list[str] = []
        self._tail: dict[tuple[tuple[str, ...], str], str] = {}

    def plan(self, name: str, value: Any) -> None:
        """Plan field ``name`` (``learning_rate``, ``scheduler.patience``, ...) := ``value``."""
        if name == "scheduler":
            self._plan_scheduler(value)
            return
        path = self._existing(name)
        factor = getattr(value, "factor", None)  # a Relative change: "× 0.5 of the value used"
        if factor is not None:
            self._plan_relative(name, path, value, factor)
            return
        if path is not None:
            self._set(path, value)
        elif value is not None:
            self._add(name, value)

    def _plan_relative(
        self, name: str, path: tuple[str, ...] | None, value: Any, factor: float
    ) -> None:
        """Scale the value the file holds; without one, say so rather than guess a number."""
        old = get(self.data, path) if path is not None else _MISSING
        if path is not None and isinstance(old, (int, float)) and not isinstance(old, bool):
            self._set(path, float(old) * factor)
            return
        self.notes.append(f"{name}: not in this file; set it in your code ({value})")

    def _set(self, path: tuple[str, ...], value: Any, after: str | None = None) -> None:
        self.ops = [op for op in self.ops if op.path != path]
        self.ops.append(Op(path, value, after))

    def _existing(self, name: str) -> tuple[str, ...] | None:
        path = own_key(self.setup, name)
        if path is None or self.setup.provenance[name].note == VALUE_CLIPPING:
            return None
        return path if get(self.data, path) is not _MISSING else None

    def _plan_scheduler(self, spec: Any) -> None:
        name = next((k for k, cls in SPEC_CLASSES.items() if isinstance(spec, cls)), None)
        if name is None:
            raise UsageError(f"scheduler must be a replay spec, got {type(spec).__name__}")
        kind_path = self._existing("scheduler")
        old = get(self.data, kind_path) if kind_path else None
        text = self._kind_text(name, spec, old if isinstance(old, str) else None)
        switch = type(self.setup.scheduler) is not type(spec)
        if kind_path is None and switch:
            self._add("scheduler", text)
        elif kind_path is not None and get(self.data, kind_path) != text:
            self._set(kind_path, text)
        if switch:
            self._note_leftovers(spec)
        if self.hf and name == "cosine":
            if spec.eta_min:
                self._add("scheduler.min_lr", spec.eta_min)
            return  # HF's cosine spans all optimizer steps: it takes no T_max
        for spec_field in dataclasses.fields(spec):
            value = getattr(spec, spec_field.name)
            target = f"scheduler.{spec_field.name}"
            if self._existing(target) is not None:
                self.plan(target, value)
            elif spec_field.default is dataclasses.MISSING or value != spec_field.default:
                self._add(target, value)

    def _note_leftovers(self, spec: Any) -> None:
        new_args = {f.name for f in dataclasses.fields(spec)}
        old = [
            ".".join(path)
            for name in self.setup.provenance
            if name.startswith("scheduler.") and name.partition(".")[2] not in new_args
            and (path := own_key(self.setup, name)) is not None
        ]  # fmt: skip
        if old:
            self.notes.append(
                f"left as they are (settings of the previous scheduler): {', '.join(old)}"
            )

    def _kind_text(self, name: str, spec: Any, old: str | None) -> str:
        if self.hf:
            if name == "cosine" and spec.eta_min:
                return "cosine_with_min_lr"
            if name not in KIND_NAMES["hf"]:
                raise UsageError(f"Hugging Face has no lr_scheduler_type for {type(spec).__name__}")
            return KIND_NAMES["hf"][name]
        if old is not None and normalise_kind(old) == name:
            return old
        if old is not None and old.lower() == old:
            return KIND_NAMES["short"][name]
        prefix = old.rsplit(".", 1)[0] + "." if old and "." in old else ""
        return prefix + KIND_NAMES["class"][name]

    def _add(self, name: str, value: Any) -> None:
        group, _, arg = name.partition(".")
        if self.hf and group == "scheduler":
            self._set(("lr_scheduler_kwargs", arg) if arg else ("lr_scheduler_type",), value)
            return
        relatives = self.relatives(group)
        if relatives:
            last = unwrap(relatives[-1], self.wandb)
            parent = last[:-1]
            nested = is_nested(last)
            key = (arg or "name") if nested else flat_name(group, arg, relatives, self.setup)
            after = self._tail.get((parent, group), last[-1])
            self._tail[(parent, group)] = key
            self._set(self._wrap((*parent, key)), value, after=after)
            return
        home = self._home(group)
        if group in ("scheduler", "early_stopping"):
            others = self.relatives("early_stopping" if group == "scheduler" else "scheduler")
            if any(is_nested(unwrap(path, self.wandb)) for path in others):
                path: tuple[str, ...] = (*home, group, arg or "name")
            else:
                path = (*home, f"{group}_{arg}" if arg else group)
        else:
            names = NEW_NAMES.get(self.setup.framework, {})
            path = (*home, names.get(name) or NEW_NAMES[""][name])
        self._set(self._wrap(path), value)

    def _wrap(self, path: tuple[str, ...]) -> tuple[str, ...]:
        """A new top-level key of a W&B config is written as ``key: {value: ...}``."""
        if self.wandb and path[0] not in self.data:
            return (path[0], "value", *path[1:])
        return path

    def relatives(self, group: str) -> list[tuple[str, ...]]:
        """Key paths of this group's fields that exist in the file, in file order."""
        paths = {
            path
            for name in self.setup.provenance
            if (name == group or name.startswith(group + "."))
            and (path := own_key(self.setup, name)) is not None
        }
        order = {path: i for i, path in enumerate(all_paths(self.data))}
        return sorted((p for p in paths if p in order), key=order.__getitem__)

    def _home(self, group: str) -> tuple[str, ...]:
        """The mapping that holds the training settings (not an optimizer/scheduler section)."""
        names = ["learning_rate", "scheduler", "early_stopping", "clip_grad_norm", "epochs"]
        if group in ("clip_grad_norm", "epochs", "batch_size"):
            names = ["epochs", "clip_grad_norm", *names]
        for name in names:
            path = own_key(self.setup, name)
            if path is None:
                continue
            parent = unwrap(path, self.wandb)[:-1]
            while parent:  # out of scheduler/optimizer sections, W&B-wrapped or not
                wrapped = parent[-1] == "value" and len(parent) > 1
                if parent[-1 - wrapped].lower() not in _SECTIONS | OPTIMIZER_SECTIONS:
                    break
                parent = parent[: -1 - wrapped]
            return parent
        return ()


def own_key(setup: TrainingSetup, name: str) -> tuple[str, ...] | None:
    """The key that holds field ``name`` itself (not one it was defaulted from), or None."""
    prov = setup.provenance.get(name)
    if prov is None or not prov.key or prov.derived:
        return None
    return prov.key_path


def unwrap(path: tuple[str, ...], wandb: bool) -> tuple[str, ...]:
    """``("epochs", "value")`` of a W&B config → ``("epochs",)``; other paths unchanged."""
    return path[:1] if wandb and len(path) == 2 and path[1] == "value" else path


def is_nested(path: tuple[str, ...]) -> bool:
    """True when the key sits in a scheduler or early-stopping section."""
    logical = [part for part in path[:-1] if part != "value"]
    return bool(logical) and logical[-1].lower() in _SECTIONS


def flat_name(group: str, arg: str, relatives: list[tuple[str, ...]], setup: TrainingSetup) -> str:
    """``scheduler_T_max`` beside ``scheduler_patience``; ``lr_scheduler_x`` beside
    ``lr_scheduler``; a bare name only where :func:`read_setup` maps it back unprefixed."""
    params: dict[tuple[str, ...], str] = {}
    for name, prov in setup.provenance.items():
        param = name.partition(".")[2]
        if prov.key and param:
            params.setdefault(unwrap(prov.key_path, True), param)
    prefixes = []
    for path in (unwrap(path, True) for path in relatives):
        param, leaf = params.get(path, ""), path[-1]
        if param and leaf.lower().endswith(param.lower()):
            prefixes.append(leaf[: len(leaf) - len(param)])
        stem = leaf.removesuffix("_type").removesuffix("_name")
        if stem.lower() in (group, "lr_scheduler", "early_stopping"):
            prefixes.append(stem + "_")
    bare = BARE_SCHEDULER_PARAMS if group == "scheduler" else BARE_EARLY_STOPPING_PARAMS
    usable = [
        p
        for p in prefixes
        if classify((p + arg,)) == (group, arg.lower()) or (not p and arg.lower() in bare)
    ]
    prefix = usable[0] if usable else f"{group}_"
    if arg:
        return prefix + arg
    stem = prefix.rstrip("_")
    return stem if stem.lower() in ("scheduler", "lr_scheduler", "sched") else group


def get(data: Any, path: tuple[str, ...]) -> Any:
    """The value at ``path``, or the module's missing marker."""
    for part in path:
        if not isinstance(data, dict) or part not in data:
            return _MISSING
        data = data[part]
    return data


def is_missing(value: Any) -> bool:
    """True for what :func:`get` returns when the path does not exist."""
    return value is _MISSING


def all_paths(data: dict[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every key path in ``data``, in file order (depth first)."""
    found = []
    for key, value in data.items():
        found.append((*prefix, str(key)))
        if isinstance(value, dict):
            found.extend(all_paths(value, (*prefix, str(key))))
    return found
