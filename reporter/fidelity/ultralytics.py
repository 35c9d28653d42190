"""An Ultralytics run's schedule, identified from its logged ``lr/pg*`` (with the settings
of its ``args.yaml`` when one was found) and adopted when the replay reproduces every
logged value of the weights group and the bias group (``replay.ultralytics_infer``).

results.csv writes ``%.5g`` (up to 8.3) or ``%.6g`` (8.4): values are compared to half a
unit in that last digit (:func:`lr_rtol`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from replay import Candidate, UltralyticsSchedule, spec_text
from replay.ultralytics import warmup_iterations
from replay.ultralytics_infer import Known, infer_ultralytics, printed_digits_rtol
from reporter.config._context import as_float
from reporter.config.setup import Provenance

if TYPE_CHECKING:
    from reporter.config.setup import TrainingSetup
    from reporter.ingest.run import Run

#: the other groups, bias first where each release puts it (8.0-8.3: 0; 8.4: 2; YOLOv5: 0)
OTHER_GROUPS = ("lr/pg0", "lr/pg2", "x/lr0", "x/lr2")
STEPPED = {"start": "stepped at the start of each epoch (Ultralytics 8.3 and later)",
           "end": "stepped after each epoch's LR was recorded (YOLOv5, Ultralytics up to 8.1)"}


def is_ultralytics(run: Run | None) -> bool:
    return run is not None and run.meta.get("app") == "ultralytics"


def lr_groups(run: Run) -> tuple[np.ndarray, np.ndarray | None, str | None] | None:
    """``(weights group, bias group, its column)`` by epoch index; the bias group is the
    other group that differs from the weights one (the first other group when none does)."""
    wide = run.by_epoch()
    if "lr" not in wide:
        return None
    weights = wide["lr"].to_numpy(dtype=float)
    others = [(name, wide[name].to_numpy(dtype=float)) for name in OTHER_GROUPS if name in wide]
    for name, values in others:
        both = np.isfinite(values) & np.isfinite(weights)
        if not np.array_equal(values[both], weights[both]):
            return weights, values, name
    return (weights, others[0][1], others[0][0]) if others else (weights, None, None)


def group_names(bias_name: str | None) -> str:
    """``"lr/pg1 and lr/pg0"``: the weights group as the log names it (YOLOv5: ``x/lr1``)
    and the bias group."""
    weights = "x/lr1" if bias_name and bias_name.startswith("x/") else "lr/pg1"
    return weights + (f" and {bias_name}" if bias_name else "")


def lr_rtol(run: Run | None) -> float | None:
    """The tolerance an Ultralytics run's logged LR allows (None for other runs)."""
    if not is_ultralytics(run) or run is None or not run.has("lr"):
        return None
    return printed_digits_rtol(run.series("lr")["value"].to_numpy(dtype=float))


def _known(setup: TrainingSetup) -> Known | None:
    """What ``args.yaml`` fixed; None when a config named a schedule of another kind."""
    spec = setup.scheduler
    if spec is None:
        return Known()
    if not isinstance(spec, UltralyticsSchedule):
        return None
    return Known(spec.kind, spec.epochs, setup.learning_rate, spec.lrf, spec.warmup_bias_lr)


def identify_ultralytics(setup: TrainingSetup, run: Run) -> dict[str, Any] | None:
    """Identify the schedule of an Ultralytics run from its logged LR and adopt it when it
    reproduces every logged value; what was tried, for the report (None: nothing to do)."""
    known = _known(setup)
    groups = lr_groups(run)
    if known is None or groups is None:
        return None
    weights, bias, bias_name = groups
    logged = weights if bias is None else np.concatenate([weights, bias])
    rtol = printed_digits_rtol(logged)
    found = infer_ultralytics(weights, bias, known=known, rtol=rtol, top=1000)
    names = group_names(bias_name)
    count = int(np.isfinite(logged).sum())
    if not found:
        return {"adopted": False, "text": "no Ultralytics schedule fits the epochs after "
                                           "the logged warm-up"}
    best = found[0]
    spec = best.spec
    result = {"adopted": False, "spec": spec_text(spec), "score": best.score,
              "alignment": best.alignment, "base_lr": best.base_lr, "unit": "epoch"}
    if best.score < 1.0:
        result["text"] = (f"the closest Ultralytics schedule, {spec_text(spec)} from "
                          f"{best.base_lr:g}, reproduces {best.score:.0%} of the {count} logged "
                          f"values of {names}, so it is not used")
        return result
    assert isinstance(spec, UltralyticsSchedule)
    source = "args.yaml's settings and the logged LR" if setup.scheduler else "the logged LR"
    how = (f"identified from {source}: {spec_text(spec)} from lr0 {best.base_lr:g} reproduces "
           f"all {count} logged values of {names} to {rtol:.4%}, the precision results.csv "
           f"printed; {_warmup_text(spec, found)}{_warmup_rule(spec, setup)}; "
           f"{STEPPED[spec.stepped]}")
    setup.scheduler = spec
    setup.provenance["scheduler"] = Provenance(note=how)
    if setup.learning_rate is None:
        setup.learning_rate = best.base_lr
        setup.provenance["learning_rate"] = Provenance(
            note="lr0 read from the logged LR" + _auto_note(setup, best.base_lr))
    if setup.epochs is None:
        setup.epochs = spec.epochs
        setup.provenance["epochs"] = Provenance(note="the schedule's length, read from the "
                                                     "logged LR")
    result.update(adopted=True, text=how)
    return result


def _warmup_text(spec: UltralyticsSchedule, found: list[Candidate]) -> str:
    """Where the warm-up's numbers come from, and how far the log pins them down."""
    if spec.nw == 0:
        return "no warm-up shows in the log"
    partial = -(-(spec.nw + 1) // spec.nb) - 1  # epochs that end inside the warm-up
    if partial <= 1:
        return (f"the warm-up ends in epoch 1, so the log gives only (nb - 1) / nw = "
                f"{(spec.nb - 1) / spec.nw:.4g}; nb {spec.nb} and nw {spec.nw} stand for it")
    text = (f"the warm-up's {spec.nw} iterations and {spec.nb} batches per epoch read from "
            f"its {partial} partial epochs")
    core = replace(spec, nb=0, nw=0, warmup_bias_lr=0.0)
    same = sorted({c.spec.nb for c in found if c.score == 1.0 and isinstance(
        c.spec, UltralyticsSchedule) and replace(c.spec, nb=0, nw=0, warmup_bias_lr=0.0) == core})
    if len(same) > 1:
        text += (f" (the printed digits do not tell nb apart: every nb tried from {same[0]} to "
                 f"{same[-1]} reproduces them; {spec.nb} is the closest to the fit)")
    return text


def _auto_note(setup: TrainingSetup, lr0: float) -> str:
    """Why the config's lr0 was not used, or the class count whose ``optimizer=auto`` LR
    ``lr0`` equals (AdamW's ``round(0.002 * 5 / (4 + nc), 6)``), when no config says."""
    prov = setup.provenance.get("learning_rate")
    if prov is not None and prov.note.startswith("not "):
        return f" ({prov.note})"
    classes = round(0.01 / lr0 - 4) if lr0 > 0 else 0
    if setup.optimizer is None and 1 <= classes <= 100_000 and \
            round(0.002 * 5 / (4 + classes), 6) == lr0:
        return (f"; it equals what optimizer 'auto' gives AdamW for {classes} classes, "
                "round(0.002 * 5 / (4 + classes), 6)")
    return ""


def _warmup_rule(spec: UltralyticsSchedule, setup: TrainingSetup) -> str:
    """Which release's warm-up length the config's ``warmup_epochs`` gives ``nw`` by."""
    epochs = as_float(setup.raw.get("warmup_epochs")) if setup.raw else None
    if epochs is None or spec.nw == 0:
        return ""
    rules = [(warmup_iterations(epochs, spec.nb, spec.epochs), "max(round(warmup_epochs * nb), "
              "100), up to 8.4.0"),
             (warmup_iterations(epochs, spec.nb, spec.epochs, floor=False),
              "round(min(warmup_epochs, epochs - 1) * nb), 8.4.190")]
    matching = [text for nw, text in rules if nw == spec.nw]
    rule = " and by ".join(matching) + (" alike" if len(matching) > 1 else "")
    if not matching:
        return (f"; args.yaml's warmup_epochs {epochs:g} gives neither release's warm-up length"
                f" with nb {spec.nb} ({rules[0][0]} or {rules[1][0]} iterations)")
    return f"; nw is args.yaml's warmup_epochs {epochs:g} by {rule}"
