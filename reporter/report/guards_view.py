"""The view of the early warnings and the live guards replayed (issue 8, item 7): sentences and
a table row per guard, built from the Analysis dict only."""

from __future__ import annotations

from typing import Any

from reporter.report.filters import fmt_number
from reporter.report.narrative import at


def _units(axis: str, n: float) -> str:
    return f"{fmt_number(abs(n))} {axis}{'' if abs(n) == 1 else 's'}"


def warning_sentence(data: dict[str, Any], w: dict[str, Any]) -> str:
    """``"An online check with our rule would have fired at step 3000, 10 steps (2 logged
    points) before the first non-finite value at step 3010."``"""
    fired, worst = at(data, w["axis"], w["fired_at"]), at(data, w["axis"], w["worst_at"])
    subject = f"{w['kind']} on {w['metric']}"
    if w["lead"] <= 0:
        return (f"{subject}: an online check with our rule fires at the {w['worst']} itself "
                f"({worst}); nothing in the log announces it earlier.")
    points = w["lead_points"]
    text = (f"{subject}: an online check with our rule would have fired at {fired}, "
            f"{_units(w['axis'], w['lead'])} ({points} logged point{'s' if points != 1 else ''})"
            f" before the {w['worst']} at {worst}; a run stopped there keeps the weights from "
            f"before it.")
    if not w["exact"]:
        text += (" (Approximate: the spike is among the first points of the log, where the rule "
                 "also measures the noise after it.)")
    return text


def guard_row(data: dict[str, Any], g: dict[str, Any]) -> dict[str, str]:
    """One guard as table cells."""
    first = "never" if g["first_fire"] is None else at(data, g["axis"], g["first_fire"])
    if g["lead"] is None:
        lead = "–"
    elif g["lead"] > 0:
        lead = f"{_units(g['axis'], g['lead'])} before the worst point"
    elif g["lead"] == 0:
        lead = "at the worst point"
    else:
        lead = f"{_units(g['axis'], g['lead'])} after the worst point"
    return {"name": g["name"], "rule": g["rule"], "action": g["action"], "first": first,
            "on_findings": str(g["on_findings"]), "on_healthy": str(g["on_healthy"]),
            "lead": lead, "source": g["source"]}


def guards_view(data: dict[str, Any]) -> dict[str, Any] | None:
    """The early warnings' sentences and the guards' rows, or None when there is neither."""
    diagnosis = data["diagnosis"]
    # a lead of zero is worth a line only for a NaN: nothing announced it
    warnings = [warning_sentence(data, w) for w in diagnosis.get("early_warnings") or []
                if w["lead"] > 0 or w["kind"] == "divergence"]
    live = diagnosis.get("live_guards")
    if not warnings and not live:
        return None
    rows = [guard_row(data, g) for g in live["replays"]] if live else []
    scope = ""
    if live:
        per = live["per_point"]
        scope = (f"Replayed over the {live['points']} logged {live['metric']} values. ")
        if not live["exact"]:
            step = ("one logged value per epoch" if live["axis"] == "epoch" and per == 1
                    else f"one logged value per {fmt_number(per)} {live['axis']}s"
                    if per > 0 else "several logged values per epoch")
            scope += (f"The callbacks read every batch's loss; this log has {step}, so their "
                      "windows span more of the run here than they would live: approximate.")
        else:
            scope += "The log has every step, as the callbacks read it: exact."
    return {"warnings": warnings, "rows": rows, "scope": scope}
