"""The schedule an Ultralytics ``args.yaml`` configures: ``lr0``, ``lrf``, ``cos_lr``,
``epochs``, ``warmup_epochs``, ``warmup_bias_lr`` and ``optimizer`` (``ultralytics/cfg/
default.yaml`` gives the defaults used when a key is absent).

The warm-up runs over ``nw`` iterations, a number of batches the file does not hold (it
depends on the dataset size): the spec leaves ``nb`` and ``nw`` at 0 and the analysis reads
them from the logged warm-up (:mod:`reporter.fidelity.ultralytics`). ``optimizer: auto``
ignores ``lr0`` (it picks SGD at 0.01 for runs over 10,000 iterations, else AdamW at
``round(0.002 * 5 / (4 + nc), 6)``, and sets ``warmup_bias_lr`` to 0), so the file's ``lr0``
is then not the LR the run used.
"""

from __future__ import annotations

from typing import Any

from replay import UltralyticsSchedule
from reporter.config._context import Context, as_bool, as_float, as_str
from reporter.config.keys import Leaf
from reporter.config.setup import Provenance, TrainingSetup

#: ultralytics/cfg/default.yaml
DEFAULTS: dict[str, Any] = {"lrf": 0.01, "cos_lr": False, "warmup_epochs": 3.0,
                            "warmup_bias_lr": 0.1, "optimizer": "auto"}
AUTO_LR = ("optimizer 'auto' ignores lr0 and chooses the LR itself (0.01 with SGD, MuSGD in "
           "8.4, above 10,000 iterations, else AdamW at round(0.002 * 5 / (4 + classes), 6))")
#: keys of an args.yaml that are no training setting reporter maps (``mode: train``)
NOT_SETTINGS = ("mode",)


def _leaf(ctx: Context, name: str) -> Leaf | None:
    return next((x for x in ctx.found if x.group == "" and x.name == name), None)


def _value(ctx: Context, name: str, convert: Any) -> tuple[Leaf | None, Any]:
    leaf = _leaf(ctx, name)
    value = convert(leaf.value) if leaf is not None else None
    return (leaf, value) if value is not None else (None, DEFAULTS[name])


def read_ultralytics(ctx: Context, setup: TrainingSetup) -> UltralyticsSchedule | None:
    """The Ultralytics schedule of ``args.yaml`` (None without ``epochs``); records the
    provenance of ``scheduler`` and ``scheduler.<key>``. With ``optimizer: auto`` the
    file's ``lr0`` is not the run's: ``setup.learning_rate`` is cleared, with a note."""
    for name in NOT_SETTINGS:
        leaf = _leaf(ctx, name)
        if leaf is not None:
            ctx.used.add(leaf.order)
    cos_leaf, cos = _value(ctx, "cos_lr", as_bool)
    lrf_leaf, lrf = _value(ctx, "lrf", as_float)
    bias_leaf, bias_lr = _value(ctx, "warmup_bias_lr", as_float)
    warm_leaf, warmup = _value(ctx, "warmup_epochs", as_float)
    # a real args.yaml holds every key; without one the optimizer is not assumed to be 'auto'
    opt_leaf, optimizer = _value(ctx, "optimizer", as_str)
    momentum = _leaf(ctx, "warmup_momentum")
    if momentum is not None:
        ctx.used.add(momentum.order)  # a momentum warm-up: the LR does not depend on it
    epochs = setup.epochs
    if epochs is None:
        ctx.record("scheduler", cos_leaf, "Ultralytics schedule without epochs: not replayable")
        return None
    auto = opt_leaf is not None and str(optimizer).lower() == "auto"
    if auto:
        bias_lr = 0.0
        lr0 = ctx.provenance.get("learning_rate")
        if setup.learning_rate is not None and lr0 is not None:
            ctx.provenance["learning_rate"] = Provenance(
                note=f"not {lr0.key} {setup.learning_rate:g} from {lr0.file}: {AUTO_LR}")
            setup.learning_rate = None
    kind = "cos" if cos else "linear"
    default = "Ultralytics default"
    ctx.record("scheduler.lrf", lrf_leaf, "" if lrf_leaf else default)
    if auto:
        ctx.record("scheduler.warmup_bias_lr", None, "0: optimizer 'auto' starts it at 0")
    else:
        ctx.record("scheduler.warmup_bias_lr", bias_leaf, "" if bias_leaf else default)
    ctx.record("scheduler.warmup_epochs", warm_leaf,
               f"{warmup:g} epochs of batches; the batch count is read from the logged LR")
    ctx.record("scheduler", cos_leaf,
               f"Ultralytics {kind} schedule (cos_lr {bool(cos)}), stepped once per epoch"
               + ("" if cos_leaf else "; cos_lr: Ultralytics default False"))
    return UltralyticsSchedule(kind, epochs, lrf, warmup_bias_lr=bias_lr)

