"""Plot series thinned for the report (issue 8, item 8): a million-point history would make a
200 MB ``report.json`` and a figure nobody can read point by point.

The findings are computed on every point before this; only the series the report *draws*
are thinned: each curve keeps, in each of ``SERIES_POINTS // 2`` equal buckets, its lowest
and highest point (a one-step spike survives), every non-finite point, its first and last
point, and every point where it changes together with the one after (an LR step stays a
step). The curve the replays are aligned with (``lr_used``, else the watched loss) and every
replayed LR keep one shared set of positions, so position ``i`` of a replay still belongs to
``x[i]`` of that curve; ``conditional_from`` becomes a position in the thinned replay.
``reporter analyze --full-series`` keeps every point.

The pipeline hands the series over as the curves' numpy arrays (a million-point curve costs
a second to turn into Python floats and back); what leaves here is plain tuples.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from reporter.analysis.notes import Note

if TYPE_CHECKING:
    from reporter.analysis.model import Analysis, Series
    from reporter.remedies.plan import ReplayOutcome

SERIES_POINTS = 4000
NOTE_CODE = "report.series_thinned"


def keep_indices(n: int, arrays: Sequence[Sequence[float | None]],
                 extra: Sequence[int] = ()) -> np.ndarray | None:
    """Sorted positions to keep of ``n`` points (None: keep all, ``n`` is small enough)."""
    if n <= SERIES_POINTS:
        return None
    width = math.ceil(n / (SERIES_POINTS // 2))
    parts = [np.array([0, n - 1]), np.array([i for i in extra if 0 <= i < n], dtype=int)]
    for values in arrays:
        a = _floats(values[:n])
        parts.append(_extremes(a, width))
        parts.append(np.flatnonzero(~np.isfinite(a))[:SERIES_POINTS])
        changes = np.flatnonzero(a[1:] != a[:-1])
        if changes.size <= SERIES_POINTS:
            parts += [changes, changes + 1]
    keep = np.unique(np.concatenate(parts).astype(int))
    return keep[(keep >= 0) & (keep < n)]


def _floats(values: Sequence[float | None]) -> np.ndarray:
    """The values as a float array, None as NaN (one conversion when there is no None)."""
    try:
        return np.asarray(values, dtype=float)
    except TypeError:
        return np.array([np.nan if v is None else v for v in values], dtype=float)


def _extremes(a: np.ndarray, width: int) -> np.ndarray:
    """The lowest and highest finite point of each bucket of ``width`` points."""
    rows = math.ceil(a.size / width)
    padded = np.full(rows * width, np.nan)
    padded[:a.size] = a
    grid = padded.reshape(rows, width)
    finite = np.isfinite(grid)
    start = np.arange(rows) * width
    low = start + np.argmin(np.where(finite, grid, np.inf), axis=1)
    high = start + np.argmax(np.where(finite, grid, -np.inf), axis=1)
    has = finite.any(axis=1)
    return np.concatenate([low[has], high[has]])


def _take(values: Sequence, keep: np.ndarray) -> tuple:
    if isinstance(values, np.ndarray):
        return tuple(values[keep[keep < len(values)]].tolist())
    return tuple(values[i] for i in keep.tolist() if i < len(values))


def _plain(values: Sequence) -> tuple:
    return tuple(values.tolist()) if isinstance(values, np.ndarray) else values


def _plain_series(s: Series) -> Series:
    """``s`` with tuples of Python numbers (the pipeline passes the curves' arrays)."""
    if isinstance(s.x, np.ndarray) or isinstance(s.y, np.ndarray):
        return replace(s, x=_plain(s.x), y=_plain(s.y))
    return s


def _thin_series(s: Series, keep: np.ndarray | None) -> Series:
    if keep is None:
        return _plain_series(s)
    return replace(s, x=_take(s.x, keep), y=_take(s.y, keep))


def _same(a: Sequence, b: Sequence) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return bool(np.array_equal(a, b))
    return a == b


def _position(i: int | None, keep: np.ndarray, n: int) -> int | None:
    """Where point ``i`` of the full series sits in the thinned one (past the end: as far
    past the thinned end)."""
    if i is None:
        return None
    if i >= n:
        return len(keep) + (i - n)
    return int(np.searchsorted(keep, i))


def _thin_replay(rep: ReplayOutcome, keep: np.ndarray, n: int) -> ReplayOutcome:
    return replace(rep, lr=list(_take(rep.lr, keep)),
                   conditional_from=_position(rep.conditional_from, keep, n))


def _aligned(series: dict[str, Series], anchor: str | None) -> list[str]:
    """The anchor and the loss curve on the same x (``lr_used`` is on the watched loss's)."""
    if anchor is None:
        return []
    same = [m for m in ("val/loss", "train/loss") if m in series and m != anchor
            and _same(series[m].x, series[anchor].x)]
    return [anchor, *same[:1]]


def plain_series(analysis: Analysis) -> Analysis:
    """The analysis with every point of its plot series, as tuples (``--full-series``)."""
    return replace(analysis, series={m: _plain_series(s) for m, s in analysis.series.items()})


def thin_series(analysis: Analysis) -> Analysis:
    """The analysis with its plot series and replayed LRs thinned (only made plain when every
    series is short enough), and a note saying how."""
    series = analysis.series
    anchor = "lr_used" if "lr_used" in series else next(
        (m for m in ("val/loss", "train/loss") if m in series), None)
    replays = [analysis.current.replay, *(o.replay for o in analysis.options)]
    group = _aligned(series, anchor)
    out: dict[str, Series] = {}
    thinned = False
    for name, s in series.items():
        if name not in group:
            own = keep_indices(len(s.x), [s.y])
            thinned |= own is not None
            out[name] = _thin_series(s, own)
    keep = None
    if anchor is not None:
        n = len(series[anchor].x)
        cond = [r.conditional_from for r in replays if r is not None and r.conditional_from]
        keep = keep_indices(n, [*(series[m].y for m in group),
                                *(r.lr for r in replays if r is not None)], cond)
        out.update({m: _thin_series(series[m], keep) for m in group})
    biggest = max((len(s.x) for s in series.values()), default=0)
    if not thinned and keep is None:
        return replace(analysis, series={m: out[m] for m in series})
    current = analysis.current
    options = analysis.options
    if keep is not None:
        n = len(series[anchor].x)
        current = replace(current, replay=_thin_replay(current.replay, keep, n))
        options = tuple(replace(o, replay=_thin_replay(o.replay, keep, n)) for o in options)
    note = Note(NOTE_CODE, (
        f"The plot series in this report are thinned to a few thousand points each "
        f"(the longest has {biggest:,}): per bucket the lowest and highest value, every "
        "non-finite point and every change of a stepwise curve are kept; the findings were "
        "computed on every point. `reporter analyze --full-series` keeps every point."))
    return replace(analysis, series={m: out[m] for m in series}, current=current,
                   options=options, notes=(*analysis.notes, note))
