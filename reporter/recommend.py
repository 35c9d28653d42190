"""The title line and the recommendation, from computed results only."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reporter.analysis import Analysis
    from reporter.diagnose import Diagnosis


def headline(diagnosis: Diagnosis) -> str:
    """The report's title: the main finding, like the hand-written reports."""
    div = diagnosis.first("divergence")
    spike = diagnosis.primary_spike
    if spike is not None:
        ev = spike.evidence
        text = f"Loss Spike at {ev['axis'].title()} {_x(ev['onset'])}"
        if diagnosis.first("collapse"):
            text += ", Then a Flat Plateau"
        return text
    if div is not None:
        return f"{div.metric} Diverged (NaN/inf) at {_x(div.start)}"
    if diagnosis.first("overfitting"):
        return "Validation Loss Rising: Overfitting"
    return "No Instability Found"


def recommend(analysis: Analysis) -> dict[str, Any]:
    """Pick an option: by measurement when the confirmation ran, else by replay, and say which."""
    options = analysis.options
    if not options:
        return {"option": None, "basis": "none", "text": "Nothing to recommend."}
    conf = analysis.confirmation
    collapse = any(f["kind"] == "collapse" for f in analysis.diagnosis["findings"])
    extra = []
    if collapse:
        extra.append(
            "The run also ended on a flat plateau at its starting level: restart from "
            "the checkpoint of the best epoch rather than continuing from the last one."
        )
    if conf:
        trials = conf["trials"]
        ranked = sorted(
            options,
            key=lambda o: (
                trials[o["key"]]["spiked"]
                + trials[o["key"]]["collapsed"]
                + trials[o["key"]]["diverged"],
                trials[o["key"]]["median_best_val"] or float("inf"),
            ),
        )
        best = ranked[0]
        t, cur = trials[best["key"]], trials["current"]
        text = (
            f"{best['title']}: on the proxy task it spiked in {t['spiked']} of {t['n']} "
            f"seeds (current settings: {cur['spiked']} of {cur['n']}) with a median best "
            f"validation loss of {_num(t['median_best_val'])} (current: "
            f"{_num(cur['median_best_val'])})."
        )
        if t["spiked"] >= cur["spiked"] and cur["spiked"] > 0:
            text += (
                " No option spiked less often than the current settings on the proxy, so "
                "this is a weak preference."
            )
        return {"option": best["key"], "basis": "measured", "text": text, "extra": extra}
    acting = [o for o in options if o["replay"].acted_before_spike]
    pick = acting[0] if acting else options[0]
    text = (
        f"{pick['title']}: the replay shows it lowers the LR before the spike. Without a "
        "confirmation run this is not measured; rerun with --confirm proxy to measure it."
        if acting
        else f"{pick['title']}: no option could have lowered the LR before the spike in replay; "
        "this recommendation is not measured."
    )
    return {"option": pick["key"], "basis": "replay", "text": text, "extra": extra}


def _x(value: float | None) -> str:
    if value is None:
        return "?"
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4g}"
