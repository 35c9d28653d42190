"""The report's title line, from the diagnosis alone."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reporter.report.filters import fmt_x

if TYPE_CHECKING:
    from reporter.diagnose import Diagnosis


def headline(diagnosis: Diagnosis) -> str:
    """The report's title: the main finding, like the hand-written reports."""
    div = diagnosis.first("divergence")
    spike = diagnosis.primary_spike
    if div is not None:
        curve = diagnosis.curves.get(div.metric)
        axis = curve.axis.title() if curve is not None else "Epoch"
        return f"Loss Diverged to NaN/inf at {axis} {fmt_x(div.start)}"
    if spike is not None:
        ev = spike.evidence
        text = f"Loss Spike at {ev['axis'].title()} {fmt_x(ev['onset'])}"
        if diagnosis.first("collapse"):
            text += ", Then a Flat Plateau"
        return text
    if div is not None:
        curve = diagnosis.curves.get(div.metric)
        axis = curve.axis.title() if curve is not None else "Epoch"
        return f"Loss Diverged to NaN/inf at {axis} {fmt_x(div.start)}"
    if diagnosis.first("overfitting"):
        return "Validation Loss Rising: Overfitting"
    if diagnosis.first("no_progress"):
        return "Loss Did Not Go Down"
    return "No Instability Found"
