"""How the run ended, as far as the log tells: finished, stopped, interrupted, crashed, or
only "the log ends here" (issue 8, item 3).

A last logged point is not the end of a run. A Hugging Face trainer state records
``global_step`` and ``max_steps`` (the Trainer stops when they meet) and the
``TrainerControl``'s ``should_training_stop``; a text log may end in a traceback
(``meta["fatal"]``, written by the text reader); a config gives the planned epochs. Where none
of them says, the report says the log ends there, not that the run did.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reporter.report.filters import fmt_x

if TYPE_CHECKING:
    from reporter.diagnose.series import Curve
    from reporter.ingest.run import Run

__all__ = ["RUN_END_STATUSES", "RunEnd", "logged_extent", "run_end"]

# what a run's ``step`` counts, in words (``Run.step_kind``)
_STEP_WORDS = {"iteration": "iterations", "optimizer_step": "optimizer steps", "row": "rows"}

#: ``finished``: the planned steps or epochs ran; ``stopped``: the trainer stopped itself
#: before them (early stopping, a callback); ``interrupted``: Ctrl-C; ``crashed``: an
#: exception ended it; ``log_ends``: the log stops before the plan and says no more;
#: ``unknown``: nothing in the log or the config gives the plan.
RUN_END_STATUSES = ("finished", "stopped", "interrupted", "crashed", "log_ends", "unknown")


@dataclass(frozen=True)
class RunEnd:
    """How the run ended (``status``, one of ``RUN_END_STATUSES``) and how that is known.

    ``text`` completes "last logged point (...)"; ``last`` is the last logged step or epoch
    (as the log names it) and ``planned`` the planned total on the same axis (``max_steps``,
    the configured epochs), when known; ``source`` names what says so; ``line`` is the line of
    the traceback that ended a text log.
    """

    status: str
    text: str
    axis: str
    last: float
    planned: float | None
    source: str
    line: int | None = None


def run_end(run: Run, curve: Curve, *, planned_epochs: int | None = None,
            stopped_early: bool | None = None) -> RunEnd:
    """How the run behind ``curve`` (the watched loss) ended.

    ``planned_epochs``: the configured number of epochs (None when no config gives it);
    ``stopped_early``: True when the configured early stopping, replayed over the logged
    metric, stops exactly at the last logged point.
    """
    end = _from_traceback(run, curve) or _from_trainer_state(run, curve)
    if end is not None:
        return end
    last = float(curve.x[-1]) if len(curve) else 0.0
    named = curve.name_x(last)
    if curve.axis == "epoch" and planned_epochs is not None:
        if last + 1 >= planned_epochs:
            return RunEnd("finished", f"run ended: all {planned_epochs} configured epochs ran",
                          "epoch", last, planned_epochs, "the configured epochs")
        if stopped_early:
            return RunEnd("stopped", f"run ended: early stopping stopped it after {named}, "
                          f"of {planned_epochs} configured epochs", "epoch", last,
                          planned_epochs, "the early-stopping replay")
        return RunEnd("log_ends", f"the log ends at {named} of {planned_epochs} configured "
                      "epochs; it does not say why", "epoch", last, planned_epochs,
                      "the configured epochs")
    if stopped_early:
        return RunEnd("stopped", f"run ended: early stopping stopped it after {named}",
                      curve.axis, last, None, "the early-stopping replay")
    return RunEnd("unknown", "the log ends here; it does not say whether the run did",
                  curve.axis, last, None, "nothing in the log or the config gives the plan")


def _from_traceback(run: Run, curve: Curve) -> RunEnd | None:
    """A text log that ends in a traceback: interrupted (KeyboardInterrupt) or crashed."""
    tail = run.meta.get("fatal_end")
    if not isinstance(tail, dict):
        return None
    last = float(curve.x[-1]) if len(curve) else 0.0
    exc, line = str(tail.get("exception", "")), int(tail.get("line", 0))
    if exc.split(":", 1)[0].strip().endswith("KeyboardInterrupt"):
        return RunEnd("interrupted", f"run interrupted: the log ends in a KeyboardInterrupt "
                      f"traceback at line {line}", curve.axis, last, None,
                      "the traceback at the end of the log", line)
    cause = f" ({tail['cause']})" if tail.get("cause") and \
        str(tail["cause"]).lower() not in exc.lower() else ""
    return RunEnd("crashed", f"run crashed: the log ends in a traceback at line {line}, "
                  f"{_short(exc)}{cause}", curve.axis, last, None,
                  "the traceback at the end of the log", line)


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _trainer_stop(meta: dict[str, Any]) -> bool | None:
    """``should_training_stop`` of the TrainerControl in an HF trainer state, if recorded."""
    callbacks = meta.get("stateful_callbacks")
    control = callbacks.get("TrainerControl") if isinstance(callbacks, dict) else None
    args = control.get("args") if isinstance(control, dict) else None
    flag = args.get("should_training_stop") if isinstance(args, dict) else None
    return flag if isinstance(flag, bool) else None


def _from_trainer_state(run: Run, curve: Curve) -> RunEnd | None:
    """HF: ``global_step`` against ``max_steps``, then ``should_training_stop``."""
    meta = run.meta
    step, total = meta.get("global_step"), meta.get("max_steps")
    if not isinstance(step, int) or not isinstance(total, int) or total <= 0:
        return None
    where = "trainer_state.json: global_step, max_steps"
    if step >= total:
        return RunEnd("finished", f"run ended: global_step {fmt_x(step)} reached max_steps "
                      f"{fmt_x(total)}", "step", step, total, where)
    if _trainer_stop(meta):
        return RunEnd("stopped", f"run ended at step {fmt_x(step)} of {fmt_x(total)}: the "
                      "Trainer was told to stop (should_training_stop, e.g. early stopping)",
                      "step", step, total, where + ", should_training_stop")
    return RunEnd("log_ends", f"the log ends at step {fmt_x(step)} of {fmt_x(total)} "
                  "(max_steps): this trainer state was saved before the end of training",
                  "step", step, total, where)


def logged_extent(run: Run, curve: Curve) -> str:
    """``"200 train/loss points over iterations 19–3999"``: what a per-step log holds, so a
    count of logged points is never taken for a number of epochs."""
    unit = _STEP_WORDS.get(run.step_kind, "steps") if curve.axis == "step" else "epochs"
    if not len(curve):
        return f"no {curve.metric} point"
    shift = curve.base if curve.axis == "epoch" else 0  # epochs as the log names them
    return (f"{len(curve)} {curve.metric} points over {unit} "
            f"{fmt_x(float(curve.x[0]) + shift)}–{fmt_x(float(curve.x[-1]) + shift)}")
