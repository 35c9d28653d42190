"""Give the run's settings its framework's semantics, and fill a missing schedule from the log.

A config says ``ReduceLROnPlateau`` with a patience; whether that patience counts like torch's or
like Keras's depends on who trained. The logs usually know (a Keras CSV, an HF trainer state),
so the setup read from the config is adapted here, and every change is written into its
provenance. When no scheduler was configured, the logged LR itself is searched for the schedule
that reproduces it exactly (``replay.infer_schedule``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

import replay
from reporter.analysis import spec_text
from reporter.training_setup import Provenance, TrainingSetup

if TYPE_CHECKING:
    from reporter.diagnose import Diagnosis
    from reporter.ingest.run import Run

PLATEAU_SPECS = (replay.ReduceLROnPlateau, replay.KerasReduceLROnPlateau)
TORCH_DEFAULT_THRESHOLD = 1e-4


def framework_of(setup: TrainingSetup, run: Run) -> str:
    """The logs' framework when they say, else the config's guess."""
    logged = run.meta.get("framework", "unknown")
    return logged if logged != "unknown" else setup.framework


def adapt_setup(setup: TrainingSetup, run: Run) -> TrainingSetup:
    """Keras and HF semantics for plateau rules and early stopping, when the logs are theirs;
    settings the logs themselves record (HF trainer state) fill what the config left out."""
    _from_trainer_state(setup, run)
    framework = framework_of(setup, run)
    if framework == setup.framework and framework not in ("keras", "hf"):
        return setup
    setup.framework = framework
    note = f"{framework} semantics, because the logs were written by {framework}"
    if framework == "keras" and isinstance(setup.scheduler, replay.ReduceLROnPlateau):
        torch_spec = setup.scheduler
        given = setup.provenance.get("scheduler.threshold")
        min_delta = torch_spec.threshold if given is not None and given.key else 1e-4
        setup.scheduler = replay.KerasReduceLROnPlateau(
            factor=torch_spec.factor, patience=torch_spec.patience, mode=torch_spec.mode,
            min_delta=min_delta, cooldown=torch_spec.cooldown, min_lr=torch_spec.min_lr)
        _note(setup, "scheduler", note)
    es = setup.early_stopping
    if es is not None and framework in ("keras", "hf") and es.semantics != framework:
        setup.early_stopping = replace(es, semantics=framework)
        _note(setup, "early_stopping", note)
    return setup


def _from_trainer_state(setup: TrainingSetup, run: Run) -> None:
    """HF's trainer_state.json records the epochs and the EarlyStoppingCallback's settings."""
    meta = run.meta
    where = "trainer_state.json"
    if setup.epochs is None and isinstance(meta.get("num_train_epochs"), int):
        setup.epochs = meta["num_train_epochs"]
        setup.provenance["epochs"] = Provenance(file=where, key="num_train_epochs",
                                                note="recorded by the Trainer")
    callbacks = meta.get("stateful_callbacks") or {}
    early = callbacks.get("EarlyStoppingCallback") if isinstance(callbacks, dict) else None
    args = early.get("args", {}) if isinstance(early, dict) else {}
    if setup.early_stopping is None and isinstance(args.get("early_stopping_patience"), int):
        setup.early_stopping = replay.EarlyStopping(
            patience=args["early_stopping_patience"],
            min_delta=float(args.get("early_stopping_threshold") or 0.0), semantics="hf")
        setup.provenance["early_stopping"] = Provenance(
            file=where, key="stateful_callbacks.EarlyStoppingCallback",
            note="recorded by the Trainer")


def infer_missing_schedule(setup: TrainingSetup, diagnosis: Diagnosis) -> dict[str, Any] | None:
    """When no scheduler was configured, adopt one that reproduces every logged LR.

    Returns what was tried (for the report), or None when there was nothing to infer from.
    """
    if setup.scheduler is not None:
        return None
    curves = diagnosis.curves
    lr = curves.get("lr")
    watched = curves.get("val/loss") or curves.get("train/loss")
    if lr is None or watched is None:
        return None
    lookup = dict(zip(lr.x.tolist(), lr.y.tolist(), strict=False))
    logged = np.array([lookup.get(x, np.nan) for x in watched.x.tolist()], dtype=float)
    if np.isfinite(logged).sum() < 3:
        return None
    candidates = replay.infer_schedule(logged, watched.y)
    if not candidates:
        return {"adopted": False, "text": "no scheduler reproduces the logged LR"}
    best = candidates[0]
    result = {"adopted": False, "spec": spec_text(best.spec), "score": best.score,
              "alignment": best.alignment, "base_lr": best.base_lr}
    if best.score < 1.0:
        result["text"] = (f"the closest schedule found, {spec_text(best.spec)}, reproduces only "
                          f"{best.score:.0%} of the logged LR values, so it is not used")
        return result
    setup.scheduler = best.spec
    how = (f"inferred from the logged LR: {spec_text(best.spec)} from {best.base_lr:g} "
           f"reproduces every logged value ({best.alignment} alignment)")
    setup.provenance["scheduler"] = Provenance(note=how)
    if setup.learning_rate is None:
        setup.learning_rate = best.base_lr
        setup.provenance["learning_rate"] = Provenance(note="inferred from the logged LR")
    result.update(adopted=True, text=how)
    return result


def torch_trial_scheduler(spec: Any) -> tuple[Any, str | None]:
    """A scheduler the proxy can run for ``spec`` (torch's own class), and a note if mapped.

    Keras' plateau rule is run as torch's with the equivalent counts (Keras patience p and
    cooldown c behave like torch's p-1 and c-1, with an absolute threshold and no eps: Keras
    keeps halving where torch's eps would stop). Anything else the
    proxy cannot build yet gives (None, reason).
    """
    from reporter.confirm.spec import SCHEDULER_SPECS

    if spec is None or isinstance(spec, SCHEDULER_SPECS):
        return spec, None
    if isinstance(spec, replay.KerasReduceLROnPlateau):
        mapped = replay.ReduceLROnPlateau(
            mode=spec.mode, factor=spec.factor, patience=max(spec.patience - 1, 0),
            threshold=spec.min_delta, threshold_mode="abs", cooldown=max(spec.cooldown - 1, 0),
            min_lr=spec.min_lr, eps=0.0)
        return mapped, f"Keras {spec_text(spec)} run as torch {spec_text(mapped)}"
    return None, f"the proxy cannot run {spec_text(spec)} yet"


def is_plateau(spec: Any) -> bool:
    return isinstance(spec, PLATEAU_SPECS)


def _note(setup: TrainingSetup, field: str, note: str) -> None:
    prov = setup.provenance.get(field) or Provenance()
    text = f"{prov.note}; {note}" if prov.note else note
    setup.provenance[field] = replace(prov, note=text)
