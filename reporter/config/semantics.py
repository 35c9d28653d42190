"""Give the run's settings its framework's semantics, and fill a missing schedule from the log.

A config says ``ReduceLROnPlateau`` with a patience; whether that patience counts like torch's or
like Keras's depends on who trained. The logs usually know (a Keras CSV, an HF trainer state),
so the setup read from the config is adapted here, and every change is written into its
provenance."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import replay
from reporter.config.setup import Provenance, TrainingSetup

if TYPE_CHECKING:
    from reporter.ingest.run import Run

PLATEAU_SPECS = (replay.ReduceLROnPlateau, replay.KerasReduceLROnPlateau)
TORCH_DEFAULT_THRESHOLD = 1e-4


def framework_of(setup: TrainingSetup, run: Run) -> str:
    """The logs' framework when they say, else the config's guess."""
    logged = run.meta.get("framework", "unknown")
    if logged == "unknown" and run.meta.get("app") == "ultralytics":
        return "ultralytics"  # its own trainer: torch underneath, its own arguments
    return logged if logged != "unknown" else setup.framework


def adapt_setup(setup: TrainingSetup, run: Run) -> TrainingSetup:
    """Keras and HF semantics for plateau rules and early stopping, when the logs are theirs;
    settings the logs themselves record (HF trainer state) fill what the config left out."""
    _from_trainer_state(setup, run)
    framework = framework_of(setup, run)
    if framework == setup.framework and framework not in ("keras", "hf"):
        return setup
    setup.framework = framework
    if framework == "ultralytics":
        _ultralytics_clipping(setup)
        return setup
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


def _ultralytics_clipping(setup: TrainingSetup) -> None:
    """The Ultralytics trainer clips every update's gradient norm at 10 (a constant in
    ``BaseTrainer.optimizer_step``, read in 8.0.200 to 8.4.190; no argument sets it)."""
    if setup.clip_grad_norm is None:
        setup.clip_grad_norm = 10.0
        setup.provenance["clip_grad_norm"] = Provenance(
            note="the Ultralytics trainer's own clip_grad_norm_(max_norm=10.0) in "
                 "optimizer_step")


def is_plateau(spec: Any) -> bool:
    return isinstance(spec, PLATEAU_SPECS)


def _note(setup: TrainingSetup, field: str, note: str) -> None:
    prov = setup.provenance.get(field) or Provenance()
    text = f"{prov.note}; {note}" if prov.note else note
    setup.provenance[field] = replace(prov, note=text)
