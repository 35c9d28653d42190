"""The report's title line, from the diagnosis alone."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reporter.report.filters import fmt_x

if TYPE_CHECKING:
    from reporter.diagnose import Diagnosis


def headline(diagnosis: Diagnosis) -> str:
    """The report's title: the main finding, like the hand-written reports."""
    div = diagnosis.first("divergence")
    blip = div if div is not None and div.severity != "critical" else None
    div = None if blip is not None else div
    spike = diagnosis.primary_spike
    if div is not None:
        return f"Loss Diverged to NaN/inf at {_named(diagnosis, div.metric, div.start)}"
    if spike is not None:
        ev = spike.evidence
        began = ev.get("began_in")  # the same event, begun on another curve (diagnose.events)
        text = (f"Loss Spike at {_named(diagnosis, began, ev['began_at'])}" if began else
                f"Loss Spike at {_named(diagnosis, spike.metric, ev['onset'])}")
        if diagnosis.first("collapse"):
            text += ", Then a Flat Plateau"
        return text
    if div is not None:
        return f"Loss Diverged to NaN/inf at {_named(diagnosis, div.metric, div.start)}"
    if diagnosis.first("collapse"):
        return "Loss Collapsed to a Flat Plateau"
    if blip is not None:
        return "Non-Finite Loss at a Step, Then Finite Again"
    return _lesser(diagnosis)


# the titles of the findings below a spike, divergence or collapse, in order of precedence
_LESSER = (
    ("crash", "Run Crashed"),
    ("slow_divergence", "Training Loss Rising: Slow Divergence"),
    ("overfitting", "Validation Loss Rising: Overfitting"),
    ("no_progress", "Loss Did Not Go Down"),
    ("stall", "Loss Stalled After an Early Drop"),
    ("grad_spike", "Gradient-Norm Spike"),
    ("flat_tail", "Loss Stopped Improving for Most of the Run"),  # info: converged or stalled
)


def _lesser(diagnosis: Diagnosis) -> str:
    """The title from the first of ``_LESSER`` found; an eval loss rising while the run's
    selection metric improved is told as such (``diagnose.selection``)."""
    for kind, title in _LESSER:
        found = diagnosis.first(kind)
        if found is None:
            continue
        metric = found.evidence.get("selection_metric")
        return f"Validation Loss Rising While {metric} Improves" if metric else title
    return "No Instability Found"


def _named(diagnosis: Diagnosis, metric: str, x: float | None) -> str:
    """``"Epoch 13"``: the point as the run's log names it (``Curve.name_x``), title case."""
    curve = diagnosis.curves.get(metric)
    if curve is None:
        return f"Epoch {fmt_x(x)}"
    return curve.name_x(x).capitalize() if x is not None else curve.axis.title() + " ?"
