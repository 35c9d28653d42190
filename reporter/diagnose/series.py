"""The loss curves a diagnosis looks at, pulled out of a Run once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from reporter.report.filters import fmt_x

if TYPE_CHECKING:
    from reporter.ingest.run import Run

LOSS_METRICS = ("train/loss", "val/loss")


@dataclass(frozen=True)
class Curve:
    """One metric as plain arrays: ``x`` (epoch index or step) and ``y`` (values, NaN kept).

    ``axis`` is ``"epoch"`` or ``"step"``; ``smoothing`` says how the source already
    averaged the values (HF logging windows, detectron2 medians).
    """

    metric: str
    x: np.ndarray
    y: np.ndarray
    axis: str = "epoch"
    smoothing: str = ""

    def __len__(self) -> int:
        return len(self.y)

    def label(self, i: int) -> str:
        """``"epoch 13"`` / ``"step 1200"`` for position ``i`` (0-based epochs as logged)."""
        return f"{self.axis} {fmt_x(self.x[i])}"



STEP_AXIS_MIN_PER_EPOCH = 3
STEP_AXIS_MAX_EPOCHS = 20
CURVE_METRICS = (*LOSS_METRICS, "lr", "grad_norm")


def curves(run: Run) -> dict[str, Curve]:
    """The run's loss, LR and grad-norm curves, per epoch or per step.

    Per epoch is the granularity of plateau schedulers and of most validation losses, so it is
    preferred; a run with few epochs whose training loss is logged several times per epoch
    (LLM fine-tuning, HF Trainer) is read per step, where its spikes are visible.
    """
    smoothing = str(run.meta.get("smoothing") or "")
    wide = run.by_epoch()
    by_epoch = _columns(run, wide, "epoch", smoothing)
    if not _prefer_steps(run, by_epoch):
        return by_epoch
    by_step = _columns(run, run.by_step(), "step", smoothing)
    return by_step or by_epoch


def _prefer_steps(run: Run, by_epoch: dict[str, Curve]) -> bool:
    loss = by_epoch.get("train/loss") or by_epoch.get("val/loss")
    if loss is None:
        return True
    if len(loss) >= STEP_AXIS_MAX_EPOCHS:
        return False
    rows = run.scalars[(run.scalars["metric"] == "train/loss") & run.scalars["step"].notna()]
    return rows["step"].nunique() >= STEP_AXIS_MIN_PER_EPOCH * max(len(loss), 1)


def _columns(run: Run, wide, axis: str, smoothing: str) -> dict[str, Curve]:
    out: dict[str, Curve] = {}
    for metric in CURVE_METRICS:
        if metric not in getattr(wide, "columns", ()):
            continue
        col = wide[metric]
        col = col[_logged(run, metric, col.index, by=axis)]
        if len(col):
            out[metric] = Curve(metric, col.index.to_numpy(dtype=float),
                                col.to_numpy(dtype=float), axis, smoothing)
    return out


def _logged(run: Run, metric: str, index, by: str = "epoch") -> np.ndarray:
    """Mask of index positions where ``metric`` has a row (logged NaN counts as logged)."""
    rows = run.scalars[run.scalars["metric"] == metric]
    if by == "epoch":
        from reporter.ingest.run import epoch_index

        progress = run.meta.get("epoch_kind") == "progress"
        present = {epoch_index(float(e), progress) for e in rows["epoch"].dropna()}
    else:
        present = set(rows["step"].dropna().tolist())
    return np.array([i in present for i in index], dtype=bool)
