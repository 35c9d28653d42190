"""When no scheduler was configured, search the logged LR for the schedule that reproduces it
exactly (``replay.infer_schedule``, the inference of ``reporter replay --infer``) and adopt it,
with its provenance.

Which series is searched: a Hugging Face run's LR per optimizer update (index ``g - 1`` holds
the value logged at ``global_step`` g, NaN between logging steps), with every HF schedule
ending at the trainer state's ``max_steps``, never at a length fitted to the logged points;
any other run's LR at each point of the watched loss, with that loss as the plateau metric
(torch and Keras ``ReduceLROnPlateau`` are replayed on it). A console log that printed the LR
with few digits is compared to that precision.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

import replay
from replay import spec_text
from reporter.config.setup import Provenance
from reporter.diagnose.series import values_at
from reporter.ingest.run import PRINTED

if TYPE_CHECKING:
    from reporter.config.setup import TrainingSetup
    from reporter.diagnose import Diagnosis
    from reporter.ingest.run import Run


def per_update_lr(run: Run) -> tuple[np.ndarray, int | None] | None:
    """An HF run's logged LR by optimizer update (index ``g - 1`` for global_step ``g``, NaN
    where nothing was logged) and its ``max_steps``; None for other runs."""
    if run.meta.get("framework") != "hf" or not run.has("lr"):
        return None
    rows = run.series("lr").dropna(subset=["step"])
    steps = rows["step"].to_numpy(dtype=np.int64)
    keep = steps >= 1
    steps, values = steps[keep], rows["value"].to_numpy(dtype=float)[keep]
    if not steps.size:
        return None
    logged = np.full(int(steps.max()), np.nan)
    logged[steps - 1] = values
    total = run.meta.get("max_steps")
    return logged, total if isinstance(total, int) and total >= steps.max() else None


def logged_lr_series(diagnosis: Diagnosis, run: Run | None = None
                     ) -> tuple[np.ndarray, np.ndarray | None, int | None, str] | None:
    """``(logged LR, plateau metric or None, total steps or None, unit)`` to infer from."""
    hf = per_update_lr(run) if run is not None else None
    if hf is not None:
        return hf[0], None, hf[1], "optimizer update"
    curves = diagnosis.curves
    lr = curves.get("lr")
    watched = curves.get("val/loss") or curves.get("train/loss")
    if lr is None or watched is None:
        return None
    return values_at(lr, watched.x), watched.y, None, watched.axis


def infer_missing_schedule(setup: TrainingSetup, diagnosis: Diagnosis,
                           run: Run | None = None) -> dict[str, Any] | None:
    """When no scheduler was configured, adopt one that reproduces every logged LR.

    Returns what was tried (for the report), or None when there was nothing to infer from.
    An Ultralytics run is identified among its trainer's own schedules, with its args.yaml.
    """
    if run is not None and run.meta.get("app") == "ultralytics":
        from reporter.fidelity.ultralytics import identify_ultralytics

        found = identify_ultralytics(setup, run)
        if found is not None:
            return found
    if setup.scheduler is not None:
        return None
    if run is not None and run.meta.get("framework") == "hf":
        from reporter.fidelity.per_update import hf_schedule

        if hf_schedule(setup, run) is not None:  # the training arguments name the schedule
            return None
    series = logged_lr_series(diagnosis, run)
    if series is None:
        return None
    logged, metric, total, unit = series
    if np.isfinite(logged).sum() < 3:
        return None
    rtol = 1e-6
    if run is not None and run.meta.get("precision") == PRINTED:
        from reporter.fidelity.per_epoch import printed_rtol

        rtol = printed_rtol(logged)
    candidates = replay.infer_schedule(logged, metric, rtol=rtol, total_steps=total)
    if not candidates:
        return {"adopted": False, "text": "no scheduler reproduces the logged LR"}
    best = candidates[0]
    result = {"adopted": False, "spec": spec_text(best.spec), "score": best.score,
              "alignment": best.alignment, "base_lr": best.base_lr, "unit": unit}
    if best.score < 1.0:
        result["text"] = (f"the closest schedule found, {spec_text(best.spec)}, reproduces only "
                          f"{best.score:.0%} of the logged LR values, so it is not used")
        result.update(_not_restored(run, diagnosis, logged, metric, rtol, total, unit) or {})
        return result
    setup.scheduler = best.spec
    how = (f"inferred from the logged LR: {spec_text(best.spec)} from {best.base_lr:g} "
           f"reproduces every logged value ({best.alignment} alignment"
           + (f", to {rtol:.2%}, the precision the log printed" if rtol > 1e-6 else "")
           + (f"; num_training_steps = max_steps {total} from the trainer state"
              if total and isinstance(best.spec, replay.HFScheduler) else "") + ")")
    setup.provenance["scheduler"] = Provenance(note=how)
    if setup.learning_rate is None:
        setup.learning_rate = best.base_lr
        setup.provenance["learning_rate"] = Provenance(note="inferred from the logged LR")
    result.update(adopted=True, text=how)
    return result


def resume_index(run: Run | None, unit: str,
                 watched_x: np.ndarray | None = None) -> tuple[int, float] | None:
    """``(position in the logged series, step or epoch)`` where the run first resumed (its
    second segment starts), or None for a run logged in one go."""
    if run is None:
        return None
    rows = run.scalars[(run.scalars["metric"] == "lr") & (run.scalars["segment"] > 0)]
    if rows.empty:
        return None
    if unit == "optimizer update":
        step = float(rows["step"].min())
        return int(step) - 1, step
    col = "step" if unit == "step" else "epoch"
    at = float(rows[col].min())
    if watched_x is None or not np.isfinite(at):
        return None
    return int(np.searchsorted(watched_x, at)), at


def _not_restored(run: Run | None, diagnosis: Diagnosis, logged: np.ndarray,
                  metric: np.ndarray | None, rtol: float, total: int | None,
                  unit: str) -> dict[str, Any] | None:
    """When the logged LR before the first resume is reproduced exactly and the log leaves
    that schedule after it: the scheduler's state was not restored on resume."""
    w = diagnosis.curves.get("val/loss") or diagnosis.curves.get("train/loss")
    cut = resume_index(run, unit, w.x if w is not None else None)
    if cut is None or cut[0] < 3 or np.isfinite(logged[:cut[0]]).sum() < 3:
        return None
    head = replay.infer_schedule(logged[:cut[0]], None if metric is None else metric[:cut[0]],
                                 rtol=rtol, total_steps=total, top=1)
    if not head or head[0].score < 1.0:
        return None
    spec = spec_text(head[0].spec)
    name = "step" if unit == "optimizer update" else unit
    return {"resume": {"at": cut[1], "spec": spec, "base_lr": head[0].base_lr},
            "text": (f"{spec} from {head[0].base_lr:g} reproduces every logged LR before the "
                     f"run resumed at {name} {cut[1]:g}, and the logged LR leaves it after: the "
                     "scheduler's state was probably not restored when the run resumed (a "
                     "fresh scheduler, or one stepped from zero), so no schedule is adopted")}
