"""The key spellings we recognise, and how a config's leaves are sorted into groups.

A leaf is a scalar (or list) at a dotted path. Its *group* comes from the innermost enclosing
section with a known name (``scheduler:``, ``early_stopping:``, ``optimizer:``), or else from a
flat prefix of its own name (``scheduler_patience`` → group ``scheduler``, name ``patience``,
the seed's style). W&B's ``{value: ...}`` wrappers are looked through: the real path keeps
``value`` (for patching), the logical path drops it (for matching).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

SCHEDULER_SECTIONS = frozenset(
    {
        "scheduler", "lr_scheduler", "lr_schedule", "schedule", "scheduler_kwargs",
        "lr_scheduler_kwargs", "scheduler_params", "scheduler_args", "reduce_lr_on_plateau",
        "reducelronplateau", "plateau", "reduce_lr",
    }
)  # fmt: skip
EARLY_STOPPING_SECTIONS = frozenset({"early_stopping", "earlystopping", "early_stop"})
OPTIMIZER_SECTIONS = frozenset({"optimizer", "optim", "optimizer_kwargs", "optimizer_params"})
# Flat prefixes, longest first; a prefix in the second column applies only to the names listed.
FLAT_PREFIXES: tuple[tuple[str, str, frozenset[str] | None], ...] = (
    ("lr_scheduler_", "scheduler", None),
    ("reduce_lr_", "scheduler", None),
    ("scheduler_", "scheduler", None),
    ("plateau_", "scheduler", None),
    ("sched_", "scheduler", None),
    ("early_stopping_", "early_stopping", None),
    ("early_stop_", "early_stopping", None),
    ("lr_", "scheduler", frozenset({"patience", "factor", "step_size", "gamma", "cooldown"})),
    ("es_", "early_stopping", frozenset({"patience", "min_delta", "mode"})),
)
WANDB_META_KEYS = frozenset({"_wandb", "wandb_version"})

LR_NAMES = ("learning_rate", "lr", "base_lr", "lr0", "init_lr", "initial_lr", "learningrate")
OPTIMIZER_NAMES = ("optimizer", "optim", "optimizer_name", "optimizer_type")
OPTIMIZER_SECTION_NAMES = ("name", "type", "_target_", "class_path", "class")
SCHEDULER_KIND_NAMES = ("scheduler", "lr_scheduler", "lr_schedule", "schedule")
SCHEDULER_SECTION_KIND_NAMES = ("type", "name", "kind", "_target_", "class_path", "class")
# Scheduler parameters: lower-cased config name -> torch argument name.
SCHEDULER_PARAMS = {
    "patience": "patience", "factor": "factor", "threshold": "threshold",
    "threshold_mode": "threshold_mode", "cooldown": "cooldown", "min_lr": "min_lr",
    "mode": "mode", "eps": "eps", "t_max": "T_max", "eta_min": "eta_min",
    "step_size": "step_size", "gamma": "gamma",
}  # fmt: skip
# Outside a scheduler section only these names are unambiguous enough to map.
BARE_SCHEDULER_PARAMS = frozenset({"min_lr", "t_max", "eta_min", "step_size", "threshold_mode"})
EARLY_STOPPING_PARAMS = {
    "patience": "patience", "min_delta": "min_delta", "delta": "min_delta",
    "threshold": "min_delta", "mode": "mode",
}  # fmt: skip
BARE_EARLY_STOPPING_PARAMS = frozenset({"min_delta"})
EARLY_STOPPING_FLAGS = ("early_stopping", "earlystopping", "early_stop", "use_early_stopping")
# Gradient clipping by norm; names that say "value" are flagged in the provenance note.
CLIP_NORM_NAMES = (
    "clip_grad_norm", "max_grad_norm", "gradient_clip_val", "grad_clip", "gradient_clip_value",
    "grad_clip_value", "clip_grad", "gradient_clipping", "grad_clip_norm", "grad_norm_clip",
    "gradient_clip_norm", "clip_norm", "max_norm", "global_clipnorm", "clipnorm",
)  # fmt: skip
CLIP_VALUE_NAMES = ("clip_grad_value", "clipvalue")
EPOCH_NAMES = ("epochs", "num_epochs", "max_epochs", "num_train_epochs", "n_epochs", "total_epochs")
BATCH_NAMES = ("batch_size", "per_device_train_batch_size", "train_batch_size", "batch", "bs")


@dataclass(frozen=True)
class Leaf:
    """One setting: ``path`` as written in the file, ``group`` and ``name`` for matching."""

    path: tuple[str, ...]
    group: str  # "scheduler", "early_stopping", "optimizer" or ""
    name: str  # lower-case, flat prefix removed
    value: Any
    order: int

    @property
    def key(self) -> str:
        return ".".join(self.path)


def is_wandb(data: dict[str, Any]) -> bool:
    """True for a W&B ``files/config.yaml``: every top-level value wrapped as ``{value: ...}``."""
    items = [(k, v) for k, v in data.items() if k not in WANDB_META_KEYS]
    wrapped = all(isinstance(v, dict) and "value" in v for _, v in items)
    return bool(items) and wrapped


def leaves(data: dict[str, Any], *, wandb: bool = False) -> list[Leaf]:
    """Every scalar or list in ``data``, in file order, with its group and matching name."""
    found: list[Leaf] = []
    for real, logical, value in _walk(data, (), (), wandb=wandb):
        group, name = classify(logical)
        found.append(Leaf(real, group, name, value, len(found)))
    return found


def _walk(
    node: dict[str, Any], real: tuple[str, ...], logical: tuple[str, ...], *, wandb: bool
) -> Iterator[tuple[tuple[str, ...], tuple[str, ...], Any]]:
    for key, value in node.items():
        key = str(key)
        if wandb and not real:
            if key in WANDB_META_KEYS:
                continue
            if isinstance(value, dict) and "value" in value:
                inner = value["value"]
                if isinstance(inner, dict):
                    yield from _walk(inner, (key, "value"), (key,), wandb=False)
                else:
                    yield (key, "value"), (key,), inner
                continue
        if isinstance(value, dict) and value:
            yield from _walk(value, (*real, key), (*logical, key), wandb=False)
        else:
            yield (*real, key), (*logical, key), value


def classify(logical: tuple[str, ...]) -> tuple[str, str]:
    """(group, name) of the leaf at logical path ``logical``."""
    name = logical[-1].lower()
    for parent in reversed(logical[:-1]):
        section = parent.lower()
        if section in SCHEDULER_SECTIONS:
            return "scheduler", name
        if section in EARLY_STOPPING_SECTIONS:
            return "early_stopping", name
        if section in OPTIMIZER_SECTIONS:
            return "optimizer", name
    for prefix, group, only in FLAT_PREFIXES:
        if name.startswith(prefix) and len(name) > len(prefix):
            rest = name[len(prefix) :]
            if only is None or rest in only:
                return group, rest
    return "", name


def pick(found: list[Leaf], group: str | tuple[str, ...], names: tuple[str, ...]) -> list[Leaf]:
    """Leaves in ``group`` whose name is in ``names``, best first (name rank, then file order)."""
    groups = (group,) if isinstance(group, str) else group
    hits = [leaf for leaf in found if leaf.group in groups and leaf.name in names]
    return sorted(hits, key=lambda leaf: (names.index(leaf.name), leaf.order))
