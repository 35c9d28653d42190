"""Mermaid ``xychart-beta`` line charts for the PR comment (GitHub draws them, no image host).

A chart's lines share one evenly spaced x grid (Mermaid places the i-th value of a line at
the i-th grid position), so curves logged at other points are put on that grid: at most
``POINTS`` positions, each holding the highest value logged in its bin (a spike stays
visible) or, for a learning rate, the last one. The caption says which.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from decimal import Decimal

POINTS = 60  # positions per chart: readable in a 700 px wide comment, small in characters
PALETTE = ("#0969da", "#cf222e", "#1a7f37", "#8250df")
COLOR_NAMES = ("blue", "red", "green", "purple")
LOG_DECADES = 2.0  # a loss spanning more than this many decades is drawn as log10


@dataclass(frozen=True)
class Line:
    """One curve: its legend name, x and y as logged (None for a non-finite value)."""

    name: str
    x: list[float]
    y: list[float | None]


@dataclass(frozen=True)
class Grid:
    """Evenly spaced bins over ``[lo, hi]``; ``exact`` when each bin holds one logged x."""

    lo: float
    hi: float
    n: int
    exact: bool


def grid(lines: list[Line], points: int = POINTS) -> Grid | None:
    """The common grid of ``lines``: their logged x when it is evenly spaced and short."""
    xs = sorted({x for line in lines for x, y in zip(line.x, line.y, strict=False)
                 if y is not None})
    if not xs:
        return None
    lo, hi = xs[0], xs[-1]
    if len(xs) <= points and len(xs) > 1:
        step = (hi - lo) / (len(xs) - 1)
        if all(abs(b - a - step) <= 1e-9 * max(1.0, abs(step))
               for a, b in itertools.pairwise(xs)):
            return Grid(lo, hi, len(xs), True)
    if len(xs) == 1:
        return Grid(lo, hi, 1, True)
    # uneven x: positions as fine as the closest two logged points allow, up to ``points``
    closest = min(b - a for a, b in itertools.pairwise(xs))
    return Grid(lo, hi, min(points, max(len(xs), round((hi - lo) / closest) + 1)), False)


def binned(line: Line, g: Grid, how: str = "max") -> tuple[list[float | None], int]:
    """``line`` on grid ``g`` (``max`` or ``last`` per bin); empty bins carry the value before.

    Returns the values and how many bins had no finite point of their own.
    """
    bins: list[list[float]] = [[] for _ in range(g.n)]
    width = (g.hi - g.lo) / (g.n - 1) if g.n > 1 else 1.0
    for x, y in zip(line.x, line.y, strict=False):
        if y is None or not math.isfinite(y):
            continue
        k = min(g.n - 1, max(0, round((x - g.lo) / width))) if g.n > 1 else 0
        bins[k].append(y)
    values: list[float | None] = []
    empty = 0
    for b in bins:
        if b:
            values.append(max(b) if how == "max" else b[-1])
        else:
            empty += 1
            values.append(values[-1] if values else None)
    first = next((v for v in values if v is not None), None)
    return [first if v is None else v for v in values], empty


def plain(v: float) -> str:
    """A number Mermaid's lexer reads (no exponent), to 4 significant digits.

    >>> plain(2.035e-05), plain(-4.69), plain(1234567.0)
    ('0.00002035', '-4.69', '1235000')
    """
    text = format(Decimal(f"{v:.4g}"), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def label(text: str, limit: int = 60) -> str:
    """A chart title or axis label: no quotes, newlines or Markdown fences, clipped."""
    clean = "".join(ch for ch in str(text) if ch.isprintable() and ch not in '"`')
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"


def log_scale(values: list[list[float | None]]) -> bool:
    """Whether positive curves span more than ``LOG_DECADES`` decades."""
    flat = [v for vs in values for v in vs if v is not None]
    if not flat or min(flat) <= 0:
        return False
    return math.log10(max(flat) / min(flat)) > LOG_DECADES


def xychart(title: str, x_label: str, g: Grid, y_label: str,
            series: list[list[float | None]]) -> str:
    """The Mermaid source of a line chart, one ``line`` per series, colours from PALETTE."""
    palette = ", ".join(PALETTE[: len(series)])
    hi = g.hi if g.hi > g.lo else g.lo + 1
    rows = [
        '%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "' + palette + '"}}}}%%',
        "xychart-beta",
        f'    title "{label(title)}"',
        f'    x-axis "{label(x_label)}" {plain(g.lo)} --> {plain(hi)}',
        f'    y-axis "{label(y_label)}"',
    ]
    for values in series:
        rows.append("    line [" + ", ".join(plain(v if v is not None else 0.0)
                                             for v in values) + "]")
    return "\n".join(rows)


def legend(names: list[str]) -> str:
    """``blue: val/loss, red: train/loss`` (xychart draws no legend of its own)."""
    return ", ".join(f"{COLOR_NAMES[i]}: {name}" for i, name in enumerate(names))


def line_chart(title: str, axis: str, lines: list[Line], *, how: str = "max",
               y_label: str = "value", points: int = POINTS) -> dict | None:
    """A chart of ``lines`` and a caption saying how it was thinned and scaled; None if empty."""
    lines = [line for line in lines if any(v is not None for v in line.y)]
    g = grid(lines, points)
    if g is None:
        return None
    put = [binned(line, g, how) for line in lines]
    series = [values for values, _ in put]
    logy = how == "max" and log_scale(series)
    if logy:
        series = [[math.log10(v) if v is not None and v > 0 else None for v in s]
                  for s in series]
        y_label = f"log10 {y_label}"
    nonfinite = sum(1 for line in lines for v in line.y if v is None)
    parts = [legend([line.name for line in lines])]
    if g.exact:
        parts.append(f"all {g.n} logged {axis}s")
    else:
        pick = ("the highest value logged in its bin, so a spike stays visible" if how == "max"
                else "the last value logged in its bin")
        parts.append(f"thinned to {g.n} evenly spaced points over {axis}s {plain(g.lo)}–"
                     f"{plain(g.hi)}, each {pick}")
    if logy:
        parts.append("y is the log10 of the value")
    carried = sum(empty for _, empty in put)
    if carried:
        parts.append(f"{carried} point(s) with nothing logged repeat the value before them")
    if nonfinite:
        parts.append(f"{nonfinite} non-finite value(s) not drawn")
    return {"source": xychart(title, axis, g, y_label, series), "caption": "; ".join(parts),
            "points": g.n}
