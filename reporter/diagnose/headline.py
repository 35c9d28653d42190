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
    if diagnosis.first("collapse"):
        return "Loss Collapsed to a Flat Plateau"
    if blip is not None:
        return "Non-Finite Loss at a Step, Then Finite Again"
    if diagnosis.first("slow_divergence"):
        return "Training Loss Rising: Slow Divergence"
    if diagnosis.first("overfitting"):
        return "Validation Loss Rising: Overfitting"
    if diagnosis.first("no_progress"):
        return "Loss Did Not Go Down"
    if diagnosis.first("stall"):
        return "Loss Stalled After an Early Drop"
    if diagnosis.first("grad_spike"):
        return "Gradient-Norm Spike"
    return "No Instability Found"
