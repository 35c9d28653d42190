"""The canonical run every reader produces (design.md, "The canonical run")."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from reporter.config.setup import TrainingSetup

# the note every reader adds when the log counted epochs from 1 (the report tells the user)
EPOCH_SHIFT_NOTE = "shifted to 0-based epoch indices"
# meta["precision"] of values read from printed text (a console log's few decimals)
PRINTED = "printed"
SCALAR_COLUMNS = ("metric", "step", "epoch", "wall_time", "value", "segment")
STEP_KINDS = ("optimizer_step", "iteration", "epoch", "row")


@dataclass
class Run:
    """One training run as a tidy table of scalars.

    ``scalars`` has the columns of ``SCALAR_COLUMNS``: ``metric`` (canonical name), ``step``
    (the format's native x-axis, nullable), ``epoch`` (float, nullable), ``wall_time``
    (seconds since the epoch, nullable), ``value`` (float; a logged NaN stays NaN, a value
    that was not logged has no row), ``segment`` (0 for the first launch, +1 per resume).
    ``step_kind`` says what ``step`` counts. ``meta["epoch_kind"]`` is ``"index"`` (default:
    ``epoch`` is the 0-based epoch index) or ``"progress"`` (completed epochs, HF style).
    ``notes`` are data-quality remarks for the report.
    """

    name: str
    source: Path
    format: str
    scalars: pd.DataFrame
    step_kind: str = "epoch"
    setup: TrainingSetup | None = None
    notes: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    #: Points that a restart or a re-logged step replaced (same columns as ``scalars``).
    superseded: pd.DataFrame | None = None

    @property
    def epochs_shifted(self) -> bool:
        """True when the log counted epochs from 1 and the reader shifted them to 0-based."""
        return bool(self.meta.get("epochs_shifted"))

    @property
    def epoch_base(self) -> int:
        """The number the run's own log gives its first epoch: 1 when it counted from 1 (the
        reader shifted it) or counts completed epochs (HF's 1.0 ends epoch index 0), else 0.
        Reports name epoch index ``i`` as ``i + epoch_base`` (issue 9, item 3)."""
        return int(self.epochs_shifted or self.meta.get("epoch_kind") == "progress")

    @property
    def metrics(self) -> list[str]:
        """Metric names present, sorted."""
        return sorted(self.scalars["metric"].unique().tolist())

    def has(self, metric: str) -> bool:
        return bool((self.scalars["metric"] == metric).any())

    def series(self, metric: str) -> pd.DataFrame:
        """Rows of one metric, ordered by step (or epoch), with duplicates already resolved."""
        rows = self.scalars[self.scalars["metric"] == metric]
        order = "step" if rows["step"].notna().all() else "epoch"
        return rows.sort_values(order, kind="stable").reset_index(drop=True)

    def by_epoch(self) -> pd.DataFrame:
        """Wide per-epoch table: one row per integer epoch, one column per metric.

        Metrics logged several times within an epoch keep the last value of that epoch;
        metrics without an epoch are left out. The index is the 0-based epoch.
        """
        import pandas as pd

        rows = self.scalars.dropna(subset=["epoch"])
        if rows.empty:
            return pd.DataFrame()
        progress = self.meta.get("epoch_kind") == "progress"
        rows = rows.assign(_epoch=epoch_indices(rows["epoch"], progress))
        wide = rows.pivot_table(index="_epoch", columns="metric", values="value", aggfunc="last",
                                dropna=False)
        wide.index.name = "epoch"
        wide.columns.name = None
        return wide.sort_index()

    def by_step(self) -> pd.DataFrame:
        """Wide per-step table (index ``step``), for metrics that carry a step."""
        import pandas as pd

        rows = self.scalars.dropna(subset=["step"])
        if rows.empty:
            return pd.DataFrame()
        wide = rows.pivot_table(index="step", columns="metric", values="value", aggfunc="last",
                                dropna=False)
        wide.columns.name = None
        return wide.sort_index()


def epoch_index(epoch: float, progress: bool) -> int:
    """The 0-based epoch a value belongs to.

    ``epoch`` is a 0-based index (Keras, our own samples) unless ``progress`` is set, in
    which case it counts completed epochs (HF: 1.0 is the end of the first epoch).
    """
    import math

    if progress:
        return max(math.ceil(epoch) - 1, 0)
    return math.floor(epoch)


def epoch_indices(epochs, progress: bool):
    """``epoch_index`` of each value of a Series or array, as a float array."""
    import numpy as np

    e = np.asarray(epochs, dtype=float)
    return np.maximum(np.ceil(e) - 1, 0) if progress else np.floor(e)
