"""The loss curves a diagnosis looks at, pulled out of a Run once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from reporter.ingest.run import Run

LOSS_METRICS = ("train/loss", "val/loss")


@dataclass(frozen=True)
class Curve:
    """One metric as plain arrays: ``x`` (epoch index or step) and ``y`` (values, NaN kept).

    ``axis`` is ``"epoch"`` or ``"step"``; ``smoothed`` says whether the source already
    averaged the values (HF logging windows, detectron2 medians).
    """

    metric: str
    x: np.ndarray
    y: np.ndarray
    axis: str = "epoch"
    smoothed: bool = False

    def __len__(self) -> int:
        return len(self.y)

    def label(self, i: int) -> str:
        """``"epoch 13"`` / ``"step 1200"`` for position ``i`` (0-based epochs as logged)."""
        return f"{self.axis} {_fmt_x(self.x[i])}"


def _fmt_x(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def curves(run: Run) -> dict[str, Curve]:
    """The per-epoch curves when the run has epochs, else per-step ones.

    Per-epoch is preferred: it is the granularity of plateau schedulers and of the
    validation loss. Metrics that are only logged per step fall back to ``by_step``.
    """
    out: dict[str, Curve] = {}
    smoothed = bool(run.meta.get("smoothed", False))
    wide = run.by_epoch()
    for metric in (*LOSS_METRICS, "lr", "grad_norm"):
        if metric in getattr(wide, "columns", ()):
            col = wide[metric]
            col = col[_logged(run, metric, col.index)]
            if len(col):
                out[metric] = Curve(metric, col.index.to_numpy(dtype=float),
                                    col.to_numpy(dtype=float), "epoch", smoothed)
    if "train/loss" not in out and "val/loss" not in out:
        steps = run.by_step()
        for metric in (*LOSS_METRICS, "lr", "grad_norm"):
            if metric in getattr(steps, "columns", ()):
                col = steps[metric].dropna() if metric in ("lr", "grad_norm") else steps[metric]
                col = col[_logged(run, metric, col.index, by="step")]
                if len(col):
                    out[metric] = Curve(metric, col.index.to_numpy(dtype=float),
                                        col.to_numpy(dtype=float), "step", smoothed)
    return out


def _logged(run: Run, metric: str, index, by: str = "epoch") -> np.ndarray:
    """Mask of index positions where ``metric`` has a row (logged NaN counts as logged)."""
    rows = run.scalars[run.scalars["metric"] == metric]
    if by == "epoch":
        from reporter.ingest.run import _epoch_index

        progress = run.meta.get("epoch_kind") == "progress"
        present = {_epoch_index(float(e), progress) for e in rows["epoch"].dropna()}
    else:
        present = set(rows["step"].dropna().tolist())
    return np.array([i in present for i in index], dtype=bool)
