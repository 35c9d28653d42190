"""Mermaid charts for the PR comment: a common grid, thinning that keeps spikes, honest
captions (issue 9, item 5)."""

from __future__ import annotations

import math
import re

from reporter.report.mermaid import Grid, Line, binned, grid, line_chart, plain


def test_short_evenly_spaced_curve_keeps_every_point():
    g = grid([Line("a", [1.0, 2.0, 3.0], [0.5, 0.4, 0.3])])
    assert g == Grid(1.0, 3.0, 3, True)


def test_thinning_keeps_the_spike_and_says_so():
    n = 10_000
    y = [1.0] * n
    y[7_777] = 500.0  # one spike among 10,000 points
    chart = line_chart("Loss", "step", [Line("train/loss", [float(i) for i in range(n)], y)])
    values = [float(v) for v in re.search(r"line \[([^\]]*)\]", chart["source"]).group(1)
              .split(", ")]
    assert len(values) == 60 and chart["points"] == 60
    assert max(values) == round(math.log10(500.0), 3)  # log10: > 2 decades
    assert "thinned to 60 evenly spaced points" in chart["caption"]
    assert "highest value logged in its bin" in chart["caption"]


def test_gaps_and_non_finite_values_are_counted_not_hidden():
    line = Line("lr", [0.0, 1.0, 2.0, 9.0], [0.1, None, 0.05, 0.01])
    g = grid([line], points=10)
    values, empty = binned(line, g, how="last")
    assert len(values) == g.n and None not in values and empty > 0
    chart = line_chart("LR", "epoch", [line], how="last", points=10)
    assert "1 non-finite value(s) not drawn" in chart["caption"]
    assert "repeat the value before them" in chart["caption"]


def test_numbers_never_use_an_exponent():
    assert all("e" not in plain(v) for v in (1e-12, 3.3e-7, 2.5e9, -4e-5))
