"""The run's own selection metric: which checkpoint it calls best, and by what (issue 8, item 3).

A Hugging Face trainer state records ``best_metric`` (the value of ``metric_for_best_model``
at the best checkpoint), ``best_model_checkpoint`` (``…/checkpoint-3000``) and, since
transformers 4.47, ``best_global_step``. ``metric_for_best_model`` itself lives in the
training arguments, not in the state, so it is identified here: the evaluation metric whose
logged value at the best checkpoint's step equals ``best_metric``. Its direction is read from
the logged values (the best is the lowest or the highest of the evaluations up to it); with
one evaluation, HF's own default applies (``greater_is_better = not name.endswith("loss")``,
``TrainingArguments.__post_init__``).

A Whisper fine-tune selected by WER can have its best checkpoint long after the lowest eval
loss; checkpoint advice follows the run's choice, and a rising eval loss while that metric
improves is told as such, not as overfitting to fix.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from reporter.report.filters import fmt_number, fmt_x

if TYPE_CHECKING:
    from reporter.diagnose.findings import Finding
    from reporter.diagnose.series import Curve
    from reporter.ingest.run import Run

__all__ = ["Selection", "find_selection", "with_selection"]

_CHECKPOINT = re.compile(r"checkpoint-(\d+)/?$")
_NOT_METRICS = ("runtime", "per_second", "num_tokens", "gen_len", "_flos")
_REL = 1e-9


@dataclass(frozen=True)
class Selection:
    """How the run chose its best checkpoint (HF ``best_metric`` / ``best_model_checkpoint``).

    ``metric`` is the logged name of the selection metric (``eval_wer``, ``val/loss``),
    ``greater_is_better`` its direction (None when the log cannot tell), ``best`` its value at
    the best checkpoint, ``best_at`` that checkpoint's step, ``checkpoint`` its folder name;
    ``how`` says how the metric was identified. When the validation loss overfits,
    ``loss_best_at`` is the step of its lowest point and ``metric_at_loss_best`` the selection
    metric there; ``advice`` is the checkpoint advice built from these numbers.
    """

    metric: str
    greater_is_better: bool | None
    best: float
    best_at: float | None
    checkpoint: str | None
    how: str
    loss_best_at: float | None = None
    metric_at_loss_best: float | None = None
    advice: str | None = None


def _best_step(meta: dict) -> tuple[float | None, str | None]:
    """The best checkpoint's step (``best_global_step`` or the ``checkpoint-N`` folder) and
    the folder name."""
    path = meta.get("best_model_checkpoint")
    name = str(path).rstrip("/").rsplit("/", 1)[-1] if isinstance(path, str) and path else None
    step = meta.get("best_global_step")
    if isinstance(step, (int, float)) and not isinstance(step, bool):
        return float(step), name
    found = _CHECKPOINT.search(str(path)) if name else None
    return (float(found[1]) if found else None), name


def _candidates(run: Run) -> list[str]:
    """Evaluation metrics of the run: ``val/…`` and ``eval_…``, without timings and counts."""
    names = [m for m in run.metrics if m.startswith(("val/", "eval_"))]
    return [m for m in names if not any(part in m for part in _NOT_METRICS)]


def _same(a: float, b: float) -> bool:
    return math.isfinite(a) and abs(a - b) <= _REL * max(1.0, abs(b))


def find_selection(run: Run) -> Selection | None:
    """The run's selection metric and best checkpoint, when its log records them."""
    best = run.meta.get("best_metric")
    if not isinstance(best, (int, float)) or isinstance(best, bool) or not math.isfinite(best):
        return None
    best_at, checkpoint = _best_step(run.meta)
    matches = []
    for metric in _candidates(run):
        s = run.series(metric)
        rows = s if best_at is None else s[s["step"] == best_at]
        if any(_same(float(v), float(best)) for v in rows["value"].tolist()):
            matches.append(metric)
    if not matches:
        return None
    metric = "val/loss" if "val/loss" in matches else matches[0]
    s = run.series(metric)
    upto = s if best_at is None else s[s["step"] <= best_at]
    values = [float(v) for v in upto["value"].tolist() if math.isfinite(float(v))]
    lower, higher = best <= min(values), best >= max(values)
    greater = None if lower == higher else higher
    if lower and higher:  # one evaluation: HF's default direction
        greater = not metric.endswith("loss")
    where = f" at step {fmt_x(best_at)}" if best_at is not None else ""
    how = (f"best_metric {fmt_number(best)} in trainer_state.json equals the logged {metric}"
           f"{where}" + (f" ({checkpoint})" if checkpoint else ""))
    return Selection(metric, greater, float(best), best_at, checkpoint, how)


def _better(sel: Selection, a: float, b: float) -> bool:
    """``a`` is a better value of the selection metric than ``b``."""
    return a > b if sel.greater_is_better else a < b


def _step_of(run: Run, val: Curve, x: float) -> float | None:
    """The logged step of the point of ``val`` at ``x`` (a per-epoch curve holds the same
    evaluations as the run's series, in order); None when they cannot be matched."""
    if val.axis == "step":
        return x
    steps = run.series(val.metric)["step"].tolist()
    hits = [i for i, xi in enumerate(val.x.tolist()) if xi == x]
    if len(steps) != len(val) or not hits or steps[hits[0]] is None:
        return None
    return float(steps[hits[0]])


def with_selection(over: Finding, sel: Selection | None, run: Run,
                   val: Curve) -> tuple[Finding, Selection | None]:
    """The overfitting finding and the selection, retold when the run selects by a task
    metric that improved after the validation loss was lowest.

    Then the title says that the loss rose while the metric improved, the evidence holds the
    metric's values, and ``Selection.advice`` names the run's own best checkpoint.
    """
    if sel is None or sel.greater_is_better is None:
        return over, sel
    if sel.metric == over.metric:
        keep = sel.checkpoint or f"the checkpoint of step {fmt_x(sel.best_at)}"
        return over, replace(sel, advice=(
            f"Keep the run's own best checkpoint, {keep} ({sel.metric} "
            f"{fmt_number(sel.best)}, its best), and stop there (early stopping on "
            f"{sel.metric}); the learning-rate options do not apply to overfitting."))
    loss_best_at = _step_of(run, val, float(over.evidence["val_best_at"]))
    if loss_best_at is None or sel.best_at is None or sel.best_at <= loss_best_at:
        return over, sel
    s = run.series(sel.metric)
    there = s[s["step"] == loss_best_at]["value"].tolist()
    if not there:
        return over, sel
    at_loss_best = float(there[0])
    if not _better(sel, sel.best, at_loss_best):
        return over, sel
    name = "validation loss" if over.metric == "val/loss" else over.metric
    title = (f"{name} rose after step {fmt_x(loss_best_at)} while {sel.metric}, the metric "
             f"the run selects its best checkpoint by, improved until step {fmt_x(sel.best_at)} "
             f"({fmt_number(at_loss_best)} → {fmt_number(sel.best)})")
    caveat = (f"A loss that rises while the task metric improves is not the overfitting that "
              f"early stopping on the loss would fix: the model's outputs got better by "
              f"{sel.metric} while its errors grew more confident. The run's own selection "
              f"({sel.how}) already keeps the better checkpoint.")
    evidence = {**over.evidence, "selection_metric": sel.metric,
                "selection_best": sel.best, "selection_best_at": sel.best_at,
                "selection_at_loss_best": at_loss_best, "checkpoint": sel.checkpoint}
    new = replace(over, title=title, evidence=evidence, caveats=(*over.caveats, caveat))
    keep = sel.checkpoint or f"the checkpoint of step {fmt_x(sel.best_at)}"
    advice = (f"Keep the run's own best checkpoint, {keep}: {sel.metric}, the metric it "
              f"selects by, was best there ({fmt_number(sel.best)} at step "
              f"{fmt_x(sel.best_at)}) and {fmt_number(at_loss_best)} at step "
              f"{fmt_x(loss_best_at)}, where the validation loss was lowest. The validation "
              f"loss rose while {sel.metric} improved, so stopping on the loss would keep the "
              "worse model; the learning-rate options do not apply.")
    return new, replace(sel, loss_best_at=loss_best_at, metric_at_loss_best=at_loss_best,
                        advice=advice)
