"""The loss curves a diagnosis looks at, pulled out of a Run once."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from reporter.ingest.run import epoch_indices
from reporter.report.filters import fmt_x

if TYPE_CHECKING:
    from reporter.ingest.run import Run

# The two losses every detector reads; a run's other losses are chosen into these names by the
# analysis (``analysis.loss_choice.choose_loss``), or kept beside them as curves.
LOSS_METRICS = ("train/loss", "val/loss")
# Loss curves made available beside the analysed ones (issue 7, item 4): every extra
# evaluation set (``val/<set>/loss``), a test loss, a GAN's discriminator loss. The detectors
# read ``LOSS_METRICS`` only; these are there for the report and for detectors to come
# (overfitting on any evaluation set).
EXTRA_LOSS_ROLES = ("val", "test", "discriminator")


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
    #: added to an epoch index when it is named (``Run.epoch_base``); steps are named as logged
    base: int = 0

    def __len__(self) -> int:
        return len(self.y)

    def label(self, i: int) -> str:
        """``"epoch 13"`` / ``"step 1200"`` for position ``i``, named as the run's log names it."""
        return self.name_x(self.x[i])

    def name_x(self, x: float) -> str:
        """``"epoch 13"`` for the x value (epoch index or step) ``x``, as the log names it."""
        return f"{self.axis} {fmt_x(x + (self.base if self.axis == 'epoch' else 0))}"



STEP_AXIS_MIN_PER_EPOCH = 3
CURVE_METRICS = (*LOSS_METRICS, "lr", "grad_norm")


def curve_metrics(names, parts=()) -> tuple[str, ...]:
    """``CURVE_METRICS`` plus the run's extra loss curves (``EXTRA_LOSS_ROLES``) and the
    ``parts`` of its training loss among ``names``, sorted."""
    from reporter.ingest.aliases import loss_kind

    extra = sorted(n for n in names if n not in CURVE_METRICS and (n in parts or (
        (kind := loss_kind(n)) is not None and kind.role in EXTRA_LOSS_ROLES)))
    return (*LOSS_METRICS, *extra, *CURVE_METRICS[len(LOSS_METRICS):])


def train_loss_parts(run: Run) -> tuple[str, ...]:
    """The metrics the training loss is the sum of (``meta["loss_parts"]``, set by a reader
    that adds the total itself: Ultralytics logs box, cls and dfl losses and no total)."""
    parts = (run.meta.get("loss_parts") or {}).get("train/loss") or ()
    return tuple(str(p) for p in parts)


def curves(run: Run) -> dict[str, Curve]:
    """The run's loss, LR and grad-norm curves, with every logged point of each loss.

    Per epoch when that keeps every loss point (one value per epoch: the granularity of
    plateau schedulers and of most validation losses). Otherwise every point of each metric,
    in logged order (each HF log entry, each evaluation, per-batch values logged at one step),
    so a NaN or a spike between two epoch ends reaches the detectors; nothing is averaged or
    thinned here. Dense logging (``STEP_AXIS_MIN_PER_EPOCH`` points an epoch or more, or no
    epochs) is read per step, where the detectors look through a rolling median; sparser
    logging (two points an epoch) and steps that count epochs stay on the epoch axis, every
    point at its epoch, where each point is judged by itself.
    """
    smoothing = str(run.meta.get("smoothing") or "")
    by_epoch = _columns(run, run.by_epoch(), "epoch", smoothing)
    losses = run.scalars[run.scalars["metric"].isin(LOSS_METRICS)]
    counts = losses.groupby("metric", observed=True).size()  # a text log's metric: categorical
    if not losses.empty and all(len(by_epoch.get(m) or ()) >= count
                                for m, count in counts.items()):
        return _named_as_logged(by_epoch, run)  # nothing left out
    axis = "step" if _prefer_steps(run, losses) else "epoch"
    return _named_as_logged(_points(run, axis, smoothing) or by_epoch, run)


def _named_as_logged(out: dict[str, Curve], run: Run) -> dict[str, Curve]:
    """Each curve with the run's ``epoch_base``, so its labels count epochs as the log does."""
    base = run.epoch_base
    return {m: replace(c, base=base) for m, c in out.items()} if base else out


def _prefer_steps(run: Run, losses) -> bool:
    """Every loss point on the step axis: dense logging, or points the epochs do not place."""
    if losses.empty or run.step_kind == "epoch":
        return losses.empty
    if losses["step"].isna().any():
        return False
    if losses["epoch"].isna().any():
        return True
    progress = run.meta.get("epoch_kind") == "progress"
    most = losses.groupby("metric", observed=True).size().idxmax()
    epochs = losses.loc[losses["metric"] == most, "epoch"]
    return len(epochs) >= STEP_AXIS_MIN_PER_EPOCH * len(set(epoch_indices(epochs, progress)))


def _points(run: Run, axis: str, smoothing: str) -> dict[str, Curve]:
    """Every row of each curve metric placed on ``axis``, ordered by it (stable: as logged)."""
    rows = run.scalars[run.scalars[axis].notna()]
    progress = run.meta.get("epoch_kind") == "progress"
    out: dict[str, Curve] = {}
    where = rows.groupby("metric", sort=False, observed=True).indices  # one pass for all
    for metric in curve_metrics(where, train_loss_parts(run)):
        part = rows.iloc[where[metric]] if metric in where else rows.iloc[:0]
        if len(part):
            x = part[axis].to_numpy(dtype=float) if axis == "step" else \
                epoch_indices(part[axis], progress)
            y = part["value"].to_numpy(dtype=float)
            if not np.all(x[1:] >= x[:-1]):  # logged in order (the usual case): no sort
                order = np.argsort(x, kind="stable")
                x, y = x[order], y[order]
            out[metric] = Curve(metric, x, y, axis, smoothing)
    if axis == "step" and "lr" in out:
        out["lr"] = _lr_in_effect(out["lr"], out.get("val/loss") or out.get("train/loss"))
    return out


def _lr_in_effect(lr: Curve, watched: Curve | None) -> Curve:
    """``lr`` with a point at each step of ``watched`` that has none: the last LR logged at or
    before it, the LR in effect there (Lightning's LR monitor logs at an epoch's first step,
    the validation loss at its last), so per-epoch replays find the LR of each evaluation."""
    if watched is None:
        return lr
    missing = np.setdiff1d(watched.x, lr.x)
    before = np.searchsorted(lr.x, missing, side="right") - 1
    missing, before = missing[before >= 0], before[before >= 0]
    if not len(missing):
        return lr
    x = np.concatenate([lr.x, missing])
    order = np.argsort(x, kind="stable")
    y = np.concatenate([lr.y, lr.y[before]])
    return Curve(lr.metric, x[order], y[order], lr.axis, lr.smoothing)


def _columns(run: Run, wide, axis: str, smoothing: str) -> dict[str, Curve]:
    out: dict[str, Curve] = {}
    for metric in curve_metrics(getattr(wide, "columns", ()), train_loss_parts(run)):
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


def values_at(curve: Curve, x: np.ndarray) -> np.ndarray:
    """``curve``'s value at each of ``x`` (NaN where it has none; the last one logged at an
    x logged twice), found by a sorted search, not a dictionary of every point."""
    x = np.asarray(x, dtype=float)
    order = np.argsort(curve.x, kind="stable")
    xs, ys = curve.x[order], curve.y[order]
    at = np.searchsorted(xs, x, side="right") - 1
    found = (at >= 0) & (xs[np.clip(at, 0, None)] == x) if xs.size else np.zeros(x.size, bool)
    out = np.full(x.size, np.nan)
    out[found] = ys[at[found]]
    return out
