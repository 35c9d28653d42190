"""Does the config beside the logs reproduce the logged LR and stop? If not, say so."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

import replay
from replay import spec_text
from reporter.diagnose.series import values_at
from reporter.fidelity.checks import FidelityCheck, StopCheck
from reporter.fidelity.per_update import hf_step_check
from reporter.fidelity.ultralytics import lr_rtol
from reporter.ingest.run import PRINTED

HAND_WRITTEN = "counter > patience"
FRAMEWORK_NAMES = {"lightning": "Lightning", "keras": "Keras", "hf": "HF"}

if TYPE_CHECKING:
    from reporter.config.setup import TrainingSetup
    from reporter.diagnose import Diagnosis
    from reporter.ingest.run import Run


def check_fidelity(
    setup: TrainingSetup, diagnosis: Diagnosis, run: Run | None = None
) -> tuple[FidelityCheck, np.ndarray | None]:
    """Replay the configured schedule over the logged metric and compare with the logged LR.

    Returns the verdict (plain dict) and the LR *used* in each epoch of the watched series
    (the logged LR shifted by one when the log records the LR after the scheduler step),
    or None when no LR was logged. HF runs are also checked per optimizer update
    (``per_step``), where their schedules step.
    """
    printed = run is not None and run.meta.get("precision") == PRINTED
    verdict, used = _per_epoch(setup, diagnosis, printed, rtol=lr_rtol(run))
    per_step = hf_step_check(setup, run) if run is not None else None
    verdict["per_step"] = per_step
    if per_step is not None and per_step.matches and verdict["status"] != "match":
        verdict["status"] = "per_step"
        verdict["text"] = ("The learning rate follows a schedule stepped every optimizer "
                           "update, so it is checked per update below, not per epoch.")
    return FidelityCheck(**verdict), used


def _per_epoch(
    setup: TrainingSetup, diagnosis: Diagnosis, printed: bool = False,
    rtol: float | None = None,
) -> tuple[dict[str, Any], np.ndarray | None]:
    curves = diagnosis.curves
    watched = curves.get("val/loss") or curves.get("train/loss")
    lr_curve = curves.get("lr")
    spec = setup.scheduler or replay.ConstantSchedule()
    verdict: dict[str, Any] = {
        "scheduler": spec_text(spec),
        "metric": watched.metric,
        "config_found": setup.config_path is not None,
        "stop": None,
    }
    if lr_curve is None:
        verdict.update(
            status="no_lr_logged",
            text="The logs hold no learning rate, so the config could not be "
            "checked against what the run did.",
        )
        return verdict, None
    logged = values_at(lr_curve, watched.x)
    first = logged[np.isfinite(logged)]
    base = setup.learning_rate if setup.learning_rate is not None else float(first[0])
    if rtol is None:  # an Ultralytics results.csv gives its own (its writer's digits)
        rtol = printed_rtol(logged) if printed else 1e-6
    fid = replay.fidelity(spec, base, watched.y, logged, rtol=rtol)
    used = logged
    if fid.alignment == "after_step":
        used = np.concatenate([[base], logged[:-1]])
    verdict.update(
        status="match" if fid.matches else "mismatch",
        alignment=fid.alignment,
        first_mismatch=fid.first_mismatch,
        max_rel_error=fid.max_rel_error,
        explanation=fid.explanation,
        base_lr=base,
    )
    if fid.matches:
        unit = "epoch"
        if watched.axis == "step":
            unit = "evaluation" if watched.metric == "val/loss" else "logged step"
        timing = (
            f"the LR used during each {unit}"
            if fid.alignment == "used"
            else f"the LR after each {unit}'s scheduler step (the next {unit}'s LR)"
        )
        verdict["text"] = (
            f"Replaying {spec_text(spec)} from LR {base:g} over the logged "
            f"{watched.metric} reproduces every logged LR; the log records "
            f"{timing}."
            + (f" (Compared to the precision the log printed: "
               f"{f'{rtol:.2%}' if rtol >= 1e-4 else f'{rtol * 100:.1g}%'}.)"
               if rtol > 1e-6 else "")
        )
    elif setup.scheduler is None:
        verdict["status"] = "unidentified"
        verdict["text"] = (
            f"No scheduler was found in a config, and the logged LR is not constant "
            f"(largest relative change {fid.max_rel_error:.3g}), so the run used a schedule "
            "reporter could not identify; the current settings below follow the logged LR as it "
            "was, and an option that keeps the schedule scales that logged path (assuming the "
            "schedule multiplies the base LR)."
        )
    else:
        where = (
            f" from {watched.label(fid.first_mismatch)}"
            if fid.first_mismatch is not None
            else ""
        )
        verdict["text"] = (
            f"Replaying {spec_text(spec)} from LR {base:g} over the logged {watched.metric} "
            f"does not reproduce the logged LR{where} (largest relative difference "
            f"{fid.max_rel_error:.3g}). The config beside the logs is probably not the one the "
            "run used, or the scheduler was stepped differently; replayed options below start "
            "from this config and are less certain."
        )
    verdict["stop"] = _stop_check(setup, watched)
    return verdict, used


def printed_rtol(values: np.ndarray, *, floor: float = 1e-6, cap: float = 0.05) -> float:
    """The relative tolerance a printed log allows: half a unit in each value's last digit.

    A console log prints the LR with few digits (Keras: ``0.0063`` for 0.00625, ``9.7656e-05``),
    so it cannot match a replay to 1e-6. Each value is written with the fewest digits that give
    it back exactly; the loosest of those half-units, at most ``cap``, is the tolerance (5 % still
    tells a halving apart from none).

    >>> round(printed_rtol(np.array([0.0016, 9.7656e-05])), 4)
    0.0312
    >>> printed_rtol(np.array([0.1 * 0.7 ** 11]))
    1e-06
    """
    finite = np.abs(values[np.isfinite(values) & (values != 0)])
    worst = floor
    for v in finite.tolist():
        worst = max(worst, _half_unit(v))
    return min(worst, cap)


def _half_unit(v: float) -> float:
    """Relative half-unit in the last digit of the shortest exact decimal form of ``v``."""
    for digits in range(1, 11):
        text = f"{v:.{digits - 1}e}"
        if abs(float(text) - v) <= 1e-12 * v:
            exponent = int(text.split("e")[1])
            return 0.5 * 10.0 ** (exponent - digits + 1) / v
    return 0.0


def _stop_check(setup: TrainingSetup, watched) -> StopCheck | None:
    if setup.early_stopping is None:
        return None
    ev = replay.early_stop(setup.early_stopping, watched.y)
    last = len(watched) - 1
    predicted = ev.index if ev else None
    configured = setup.epochs
    last_x = float(watched.x[-1])
    if predicted is not None:
        ok: bool | None = predicted == last
    elif watched.axis == "epoch":
        ok = configured is None or last_x + 1 >= configured
    else:
        ok = None  # checks every N steps: whether the run was cut short is not known here
    rule = None
    if predicted == last:
        spec = setup.early_stopping
        who = FRAMEWORK_NAMES.get(spec.semantics, spec.semantics)
        rule = ("wait >= patience", spec.patience,
                f"consistent: {who}'s count, wait >= patience with patience {spec.patience}, "
                "stops there")
    elif ok is False:
        # one check per epoch, or per evaluation of a run logged by steps
        unit = "epoch" if watched.axis == "epoch" else "evaluation"
        rule = _stop_rule(setup.early_stopping, watched.y, last, unit)
    return StopCheck(
        predicted_stop=predicted,
        predicted_stop_x=float(watched.x[predicted]) if predicted is not None else None,
        last_logged=last,
        last_logged_x=last_x,
        axis=watched.axis,
        matches=True if rule is not None and rule[0] == HAND_WRITTEN else ok,
        spec=spec_text(setup.early_stopping),
        rule=rule[0] if rule else None,
        effective_patience=rule[1] if rule else None,
        verdict=rule[2] if rule else None,
    )


def _stop_rule(spec: replay.EarlyStopping, values: np.ndarray, last: int,
               unit: str) -> tuple[str, int, str] | None:
    """The counting rule that stops after check ``last`` when the configured one does not:
    (rule, patience in the frameworks' counting, the report's verdict), or None.

    Keras, Lightning and HF count ``wait`` up on each check without improvement and stop when
    ``wait >= patience``; a hand-written loop often stops when ``counter > patience``, one
    check later, which is the frameworks' rule with ``patience + 1``. Failing that, the
    frameworks' rule with the patience the stop implies (the checks since the last
    improvement) is tried. Each candidate is confirmed by an exact replay.
    """
    who = FRAMEWORK_NAMES.get(spec.semantics, spec.semantics)
    plus = replace(spec, patience=spec.patience + 1)
    ev = replay.early_stop(plus, values)
    if ev is not None and ev.index == last:
        return (HAND_WRITTEN, plus.patience,
                f"consistent with a hand-written loop that stops when its counter exceeds the "
                f"patience (counter > patience): one {unit} later than {who}'s count "
                f"(wait >= patience), an effective patience of {plus.patience} in the "
                "frameworks' counting")
    finite = np.where(np.isfinite(values[: last + 1]), values[: last + 1], np.inf)
    best = int(np.argmax(finite) if spec.mode == "max" else np.argmin(finite))
    implied = last - best
    if implied < 1 or implied in (spec.patience, plus.patience):
        return None
    ev = replay.early_stop(replace(spec, patience=implied), values)
    if ev is None or ev.index != last:
        return None
    return ("wait >= patience", implied,
            f"inconsistent with the configured patience {spec.patience}: the logged stop is "
            f"what a patience of {implied} gives ({who}'s wait >= patience; counter > "
            f"{implied - 1} in a hand-written loop), {implied} {unit}s after the best")
