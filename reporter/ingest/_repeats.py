"""Values logged several times at one step: per-batch values at the epoch's step, or a re-log.

Ultralytics 8.0 logs each batch's running loss to TensorBoard at the epoch's step (realog
r13: 1375 values on 25 steps); scripts call ``mlflow.log_metric(name, loss, step=epoch)``
inside the batch loop. A metric that has several values at more than half of its steps is
read that way: every value is kept, in logged order (issue 7, item 6). An occasional value
logged again at a step is a correction: ``finish_run`` keeps the last one, with a note.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reporter.ingest._table import finish_run

POINT = ["metric", "step", "segment"]


def finish_keeping_batches(path: Path, format_id: str, table: Any, **options: Any):
    """``finish_run`` on a DataFrame, keeping every value of per-batch metrics."""
    batches = batch_metrics(table)
    if not batches:
        return finish_run(path, format_id, table, **options)
    last = ~table.duplicated(POINT, keep="last") | ~table["metric"].isin(batches)
    run = finish_run(path, format_id, table[last], **options)
    _put_back(run, table[table["metric"].isin(batches)], batches)
    return run


def batch_metrics(table: Any) -> list[str]:
    """Metrics with several values at more than half of their steps (per-batch values)."""
    if _steps_rise(table):
        return []  # no metric logged twice at a step: nothing to count (a million-row log)
    counts = table.dropna(subset=["step"]).groupby(POINT, sort=False, observed=True).size()
    repeated = (counts > 1).groupby(level="metric", observed=True).mean()
    return sorted(repeated[repeated > 0.5].index)


def _steps_rise(table: Any) -> bool:
    """True when each metric's steps strictly rise in logged order (no value repeated at a
    step): one pass per metric instead of grouping every row."""
    import numpy as np
    import pandas as pd

    rows = table.dropna(subset=["step"])
    codes, names = pd.factorize(rows["metric"])
    steps = rows["step"].to_numpy(dtype=np.float64)
    for code in range(len(names)):
        s = steps[codes == code]
        if s.size > 1 and not bool(np.all(s[1:] > s[:-1])):
            return False
    return True


def _put_back(run: Any, rows: Any, batches: list[str]) -> None:
    """All values of ``batches`` at the steps that the restart rule kept, in logged order."""
    import pandas as pd

    scalars = run.scalars
    kept = scalars.loc[scalars["metric"].isin(batches), POINT].dropna()
    rows = rows.dropna(subset=["step"])
    rows = rows.astype({"step": "int64"}).merge(kept.astype({"step": "int64"}), on=POINT,
                                                how="inner")
    run.scalars = pd.concat([scalars[~scalars["metric"].isin(batches)],
                             rows.astype(scalars.dtypes.to_dict())[list(scalars.columns)]],
                            ignore_index=True)
    counts = rows.groupby(POINT, sort=False, observed=True).size()
    run.notes.append(f"{', '.join(batches)}: several values per step ({int(counts.max())} at "
                     "most, as when each batch's value is logged at the epoch's step): all "
                     f"{len(rows)} kept, in logged order")
