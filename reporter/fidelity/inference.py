"""When no scheduler was configured, search the logged LR for the schedule that reproduces it
exactly (``replay.infer_schedule``) and adopt it, with its provenance."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

import replay
from replay import spec_text
from reporter.config.setup import Provenance

if TYPE_CHECKING:
    from reporter.config.setup import TrainingSetup
    from reporter.diagnose import Diagnosis


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
