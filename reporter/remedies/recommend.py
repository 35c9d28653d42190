"""The title line and the recommendation, from computed results only."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reporter.report.filters import fmt_number

if TYPE_CHECKING:
    from reporter.analysis.model import Analysis


def recommend(analysis: Analysis) -> dict[str, Any]:
    """Pick an option: by measurement when the confirmation ran, else by replay, and say which."""
    options = analysis.options
    if not options:
        kinds = {f["kind"] for f in analysis.diagnosis["findings"]}
        text = "Nothing to change: keep the current settings."
        if "overfitting" in kinds:
            text = ("Keep the checkpoint of the best validation epoch and stop there (early "
                    "stopping); the learning-rate options do not apply to overfitting.")
        elif "no_progress" in kinds:
            text = ("The loss did not go down: check the learning rate's order of magnitude, "
                    "the loss and the labels before tuning a schedule.")
        return {"option": None, "basis": "observed", "extra": [], "text": text}
    conf = analysis.confirmation
    collapse = any(f["kind"] == "collapse" for f in analysis.diagnosis["findings"])
    extra = []
    if collapse:
        extra.append(
            "The run also ended on a flat plateau at or above its starting level: restart from "
            "the checkpoint of the best epoch rather than continuing from the last one."
        )
    trials = conf["trials"] if conf else None
    if trials and _failures(trials["current"]) > 0:
        return {**_by_measurement(options, trials, conf["where"]), "extra": extra}
    pick = _by_replay(options, trials)
    if trials:
        t, cur = trials[pick["option"]], trials["current"]
        pick["text"] += (
            f" {conf['where'].capitalize()} the current settings spiked in {cur['spiked']} of "
            f"{cur['n']} seeds and this option in {t['spiked']} of {t['n']}: the instability was "
            "not reproduced there, so the confirmation cannot rank the options by stability. "
            f"Its median best validation loss was {fmt_number(t['median_best_val'])} against "
            f"{fmt_number(cur['median_best_val'])} under the current settings (measured)."
        )
        pick["basis"] = "replay, with measured costs"
    return {**pick, "extra": extra}


def _failures(t: dict) -> int:
    """Seeds that spiked, collapsed or diverged (each seed counted once)."""
    return t["failed"]


def _rank(trials: dict):
    """Fewest failing seeds first, then the lowest median best validation loss."""
    def key(o: dict) -> tuple:
        t = trials[o["key"]]
        best = t["median_best_val"]
        return (_failures(t), best if best is not None else float("inf"))

    return key


def _by_measurement(options: list[dict], trials: dict, where: str) -> dict[str, Any]:
    best = min(options, key=_rank(trials))
    t, cur = trials[best["key"]], trials["current"]
    text = (
        f"{best['title']}: {where} it failed (spiked, collapsed or diverged) in {_failures(t)} "
        f"of {t['n']} seeds (current settings: {_failures(cur)} of {cur['n']}) with a median "
        f"best validation loss of {fmt_number(t['median_best_val'])} (current: "
        f"{fmt_number(cur['median_best_val'])}; measured)."
    )
    if _failures(t) >= _failures(cur):
        text += (f" No option failed less often than the current settings {where}, so this is "
                 "a weak preference.")
    elif _failures(cur) - _failures(t) <= 1:
        text += (f" With {t['n']} seeds per setting a difference of one seed can be chance; "
                 "run more seeds (--seeds) before relying on it.")
    lower = [o for o in options if o is not best and trials[o["key"]]["median_best_val"]
             is not None and t["median_best_val"] is not None
             and trials[o["key"]]["median_best_val"] < t["median_best_val"]]
    if lower:
        o = min(lower, key=lambda o: trials[o["key"]]["median_best_val"])
        u = trials[o["key"]]
        text += (f" {o['title']} reached a lower median best validation loss "
                 f"({fmt_number(u['median_best_val'])}) but failed in {_failures(u)} of "
                 f"{u['n']} seeds.")
    return {"option": best["key"], "basis": "measured", "text": text}


def _by_replay(options: list[dict], trials: dict | None = None) -> dict[str, Any]:
    acting = [o for o in options if o["replay"]["acted_before_spike"]]
    if trials:  # the confirmation could not rank stability: prefer what failed least
        acting.sort(key=_rank(trials))
    else:  # exact before conditional, then the lowest LR at the spike relative to the run's
        acting.sort(key=_replay_rank)
    pick = acting[0] if acting else options[0]
    if acting:
        rep = pick["replay"]
        ratio = (f"{rep['lr_at_onset'] / rep['observed_lr_at_onset']:.2f}× the run's"
                 if rep.get("observed_lr_at_onset") else "below the run's")
        text = (
            f"{pick['title']}: its LR when the spike began is {ratio} ({rep['lr_at_onset_label']}"
            "), the largest reduction at the spike among the options, exact replays preferred "
            "over conditional ones. This is not a measured result."
        )
    else:
        text = (
            f"{pick['title']}: no option could have lowered the LR before the spike in "
            "replay, so this pick is not backed by the replay or by a measurement."
        )
    return {"option": pick["key"], "basis": "replay", "text": text}


def _replay_rank(o: dict) -> tuple:
    rep = o["replay"]
    ref = rep.get("observed_lr_at_onset") or 1.0
    return (rep.get("lr_at_onset_label") != "exact replay", (rep["lr_at_onset"] or ref) / ref)
