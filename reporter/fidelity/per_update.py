"""Per-step check of a Hugging Face Trainer run: do its training arguments reproduce the
``learning_rate`` logged at every logging step?

HF schedules are stepped once per optimizer update, so the per-epoch fidelity check cannot
judge them; this one replays ``get_scheduler`` over every update and compares the log under
both timings (the LR used by the update, transformers >= 4.51; the next update's, <= 4.50).
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING, Any

import numpy as np

import replay
from replay import spec_text
from reporter.fidelity.checks import PerUpdateCheck

if TYPE_CHECKING:
    from reporter.config.setup import TrainingSetup
    from reporter.ingest.run import Run

VERSIONS = {"4.51": "transformers >= 4.51 (the LR used by each update)",
            "4.50": "transformers <= 4.50 (the next update's LR)"}


def hf_schedule(setup: TrainingSetup, run: Run) -> Any | None:
    """``replay.HFScheduler`` from HF training arguments and the trainer state's max_steps
    (or the one the schedule inference adopted from the logged LR)."""
    if isinstance(setup.scheduler, replay.HFScheduler):  # inferred from the logged LR
        return setup.scheduler
    raw = setup.raw if isinstance(setup.raw, dict) else {}
    kind = raw.get("lr_scheduler_type")
    total = run.meta.get("max_steps")
    if not isinstance(kind, str) or not isinstance(total, int) or total <= 0:
        return None
    kind = kind.removeprefix("SchedulerType.").lower()
    if kind not in replay.hf_schedules.HF_SCHEDULER_TYPES or kind == "reduce_lr_on_plateau":
        return None
    warmup = raw.get("warmup_steps") or 0
    ratio = raw.get("warmup_ratio") or 0.0
    if isinstance(warmup, float) and 0 < warmup < 1:  # newer releases accept a ratio here
        ratio, warmup = warmup, 0
    if not warmup and ratio:
        warmup = math.ceil(total * ratio)
    names = {f.name for f in dataclasses.fields(replay.HFScheduler)}
    extra = {k: v for k, v in (raw.get("lr_scheduler_kwargs") or {}).items() if k in names}
    try:
        return replay.HFScheduler(kind, num_warmup_steps=int(warmup), num_training_steps=total,
                                  **extra)
    except (TypeError, ValueError):
        return None


def hf_step_check(setup: TrainingSetup, run: Run) -> PerUpdateCheck | None:
    """Compare the logged per-step LR with the replayed HF schedule; None when not applicable."""
    if run.meta.get("framework") != "hf" or setup.learning_rate is None:
        return None
    spec = hf_schedule(setup, run)
    if spec is None or not run.has("lr"):
        return None
    rows = run.series("lr").dropna(subset=["step"])
    steps = rows["step"].to_numpy(dtype=np.int64)
    logged = rows["value"].to_numpy(dtype=float)
    keep = (steps >= 1) & (steps <= spec.num_training_steps)
    steps, logged = steps[keep], logged[keep]
    if not len(steps):
        return None
    lr = replay.lr_trajectory(spec, setup.learning_rate, spec.num_training_steps + 1).lr
    best = None
    for version in VERSIONS:
        predicted = replay.hf_logged_learning_rate(lr, steps, transformers_version=version)
        ok = np.isclose(predicted, logged, rtol=1e-6, atol=0.0) | (np.isnan(logged))
        score = float(ok.mean())
        if best is None or score > best["score"]:
            bad = np.nonzero(~ok)[0]
            best = {"version": version, "score": score,
                    "first_mismatch_step": int(steps[bad[0]]) if len(bad) else None}
    matches = best["score"] == 1.0
    text = (f"Replaying {spec_text(spec)} from LR {setup.learning_rate:g} per optimizer update "
            f"{'reproduces every one' if matches else 'does not reproduce all'} of the "
            f"{len(steps)} logged learning rates")
    if matches:
        text += f"; the log records {VERSIONS[best['version']]}."
    else:
        text += (f" ({best['score']:.0%} match, first difference at step "
                 f"{best['first_mismatch_step']}); the training arguments beside the log may "
                 "not be the ones the run used.")
    return PerUpdateCheck(spec=spec_text(spec), matches=matches, points=len(steps), text=text,
                          **best)
