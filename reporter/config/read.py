"""Map a training config (nested or flat YAML, W&B, Lightning, HF JSON) to a TrainingSetup.

Every field gets a :class:`~reporter.config.setup.Provenance`: the dotted key it came from
(``training.scheduler_patience``), or a note (``torch default``). ``provenance["config"]``
describes the file itself (its kind, the framework guess, tags and keys that were not mapped);
``provenance["framework"]`` says why the framework was guessed. ``setup.raw`` keeps the whole
config as read, as plain dicts, so nothing that was ambiguous or unmapped is lost.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from reporter.config._context import Context, as_float, as_str
from reporter.config._fields import (
    note_unmapped,
    read_clipping,
    read_early_stopping,
    read_scheduler,
)
from reporter.config._load import load_config, tag_suffix
from reporter.config._ultralytics import read_ultralytics
from reporter.config.keys import (
    BATCH_NAMES,
    EPOCH_NAMES,
    LR_NAMES,
    OPTIMIZER_NAMES,
    OPTIMIZER_SECTION_NAMES,
    Leaf,
    is_wandb,
    leaves,
    pick,
)
from reporter.config.setup import Provenance, TrainingSetup
from reporter.report.filters import display_path

HF_KEYS = frozenset(
    {"lr_scheduler_type", "num_train_epochs", "per_device_train_batch_size", "max_grad_norm"}
)
LIGHTNING_KEYS = frozenset({"gradient_clip_val", "gradient_clip_algorithm", "max_epochs"})
KERAS_KEYS = frozenset({"clipnorm", "global_clipnorm", "clipvalue"})
TORCH_KEYS = frozenset({"clip_grad_norm", "t_max", "eta_min", "clip_grad_value"})
TORCH_CLASSES = frozenset({"ReduceLROnPlateau", "CosineAnnealingLR", "StepLR"})


def read_setup(config_path: Path, *, display_root: Path | None = None) -> TrainingSetup:
    """Read ``config_path`` and map its keys to a :class:`TrainingSetup`.

    ``display_root``: provenance paths are shown relative to it (as given otherwise).
    Raises ConfigError for a syntax error (with its line) or a top level that is not a mapping.
    """
    config_path = Path(config_path)
    loaded = load_config(config_path)
    wandb = loaded.kind == "yaml" and is_wandb(loaded.data)
    ctx = Context(loaded, display_path(config_path, display_root), leaves(loaded.data, wandb=wandb))
    ctx.framework, why = guess_framework(config_path, ctx.found)
    setup = TrainingSetup(framework=ctx.framework, config_path=config_path, raw=loaded.data)

    lr_leaf, setup.learning_rate = ctx.first(
        "learning_rate", pick(ctx.found, ("", "optimizer"), LR_NAMES), _positive_float
    )
    if lr_leaf is not None:
        ctx.record("learning_rate", lr_leaf)
    setup.optimizer = _read_optimizer(ctx)
    epochs_leaf, setup.epochs = _read_count(ctx, "epochs", EPOCH_NAMES)
    _, setup.batch_size = _read_count(ctx, "batch_size", BATCH_NAMES)
    setup.clip_grad_norm = read_clipping(ctx)
    setup.scheduler = read_scheduler(ctx, epochs_leaf, setup.epochs)
    if config_path.name == "args.yaml" and setup.scheduler is None:
        setup.scheduler = read_ultralytics(ctx, setup)
    setup.early_stopping = read_early_stopping(ctx, config_path.name == "args.yaml")
    note_unmapped(ctx)

    ctx.provenance["framework"] = Provenance(file=ctx.shown, note=why)
    file_notes = [f"{'W&B ' if wandb else ''}{loaded.kind}"]
    if loaded.tags:
        file_notes.append("tags read as plain data, not executed: " + ", ".join(loaded.tags))
    ctx.provenance["config"] = Provenance(file=ctx.shown, note="; ".join(file_notes + ctx.notes))
    setup.provenance = ctx.provenance
    return setup


def guess_framework(path: Path, found: list[Leaf]) -> tuple[str, str]:
    """(framework, reason) from the file name first, then from framework-specific keys."""
    names = {leaf.path[-1].lower() for leaf in found}
    strings = {leaf.value for leaf in found if isinstance(leaf.value, str)}
    if path.name == "training_args.json" or names & HF_KEYS:
        return "hf", _reason("Hugging Face", path, names & HF_KEYS)
    if path.name == "hparams.yaml" or names & LIGHTNING_KEYS:
        return "lightning", _reason("Lightning", path, names & LIGHTNING_KEYS)
    if names & KERAS_KEYS or any("keras" in s.lower() for s in strings):
        return "keras", _reason("Keras", path, names & KERAS_KEYS)
    torch_values = {s for s in strings if s.startswith("torch.") or s in TORCH_CLASSES}
    if names & TORCH_KEYS or torch_values:
        return "torch", _reason("torch", path, (names & TORCH_KEYS) | torch_values)
    if path.name == "args.yaml":
        return "unknown", "Ultralytics args.yaml: the trainer's own schedule"
    return "unknown", "no framework-specific file name or key"


def _reason(framework: str, path: Path, keys: set[str]) -> str:
    if keys:
        return f"{framework}, from the keys {', '.join(sorted(keys))}"
    return f"{framework}, from the file name {path.name}"


def _positive_float(value: Any) -> float | None:
    number = as_float(value)
    return number if number is not None and number > 0 else None


def _read_optimizer(ctx: Context) -> str | None:
    hits = pick(ctx.found, "", OPTIMIZER_NAMES) + pick(
        ctx.found, "optimizer", OPTIMIZER_SECTION_NAMES
    )
    for leaf in sorted(hits, key=lambda x: x.order):
        tagged = tag_suffix(ctx.loaded.document, leaf.path) if ctx.loaded.document else None
        name = as_str(leaf.value) or tagged
        if name is None:
            continue
        ctx.record("optimizer", leaf, "from the YAML tag" if name == tagged else "")
        return name.rsplit(".", 1)[-1] if name.startswith("torch.") else name
    return None


def _read_count(ctx: Context, name: str, names: tuple[str, ...]) -> tuple[Leaf | None, int | None]:
    leaf, value = ctx.first(name, pick(ctx.found, "", names), as_float)
    if leaf is None or value is None or not math.isfinite(value) or value <= 0:
        return None, None
    if value != int(value):
        ctx.record(name, leaf, f"{value} rounded up to {math.ceil(value)}")
        return leaf, math.ceil(value)
    ctx.record(name, leaf)
    return leaf, int(value)
