"""The recommendation, from computed results only: measured when the confirmation ranked the
options, replayed otherwise, and it says which."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from reporter.report.filters import fmt_number

if TYPE_CHECKING:
    from collections.abc import Sequence

    from reporter.analysis.model import Confirmation, DiagnosisInfo, OptionInfo
    from reporter.confirm.summary import TrialSummary

COLLAPSE_ADVICE = ("The run also ended on a flat plateau at or above its starting level: restart "
                   "from the checkpoint of the best epoch rather than continuing from the last "
                   "one.")


@dataclass(frozen=True)
class Recommendation:
    """The pick (an option key or None), what it rests on, and the text that says so."""

    option: str | None
    basis: str
    text: str
    extra: tuple[str, ...] = ()


def recommend(options: Sequence[OptionInfo], confirmation: Confirmation | None,
              diagnosis: DiagnosisInfo) -> Recommendation:
    """Pick an option: by measurement when the confirmation ran, else by replay, and say which."""
    kinds = {f.kind for f in diagnosis.findings}
    if not options:
        text = "Nothing to change: keep the current settings."
        if "overfitting" in kinds:
            text = ("Keep the checkpoint of the best validation epoch and stop there (early "
                    "stopping); the learning-rate options do not apply to overfitting.")
        elif "no_progress" in kinds:
            text = ("The loss did not go down: check the learning rate's order of magnitude, "
                    "the loss and the labels before tuning a schedule.")
        elif "stall" in kinds:
            text = ("The loss stopped improving early and stayed flat: check the labels, the "
                    "model's outputs and the learning rate's order of magnitude before tuning "
                    "a schedule.")
        return Recommendation(None, "observed", text)
    extra = (COLLAPSE_ADVICE,) if "collapse" in kinds else ()
    trials = confirmation.trials if confirmation else None
    if confirmation and trials and trials["current"].failed > 0:
        key, text = _by_measurement(options, trials, confirmation.where)
        return Recommendation(key, "measured", text, extra)
    key, text = _by_replay(options, trials)
    if confirmation and trials:
        t, cur = trials[key], trials["current"]
        text += (
            f" {confirmation.where.capitalize()} the current settings spiked in {cur.spiked} of "
            f"{cur.n} seeds and this option in {t.spiked} of {t.n}: the instability was "
            "not reproduced there, so the confirmation cannot rank the options by stability. "
            f"Its median best validation loss was {fmt_number(t.median_best_val)} against "
            f"{fmt_number(cur.median_best_val)} under the current settings (measured)."
        )
        return Recommendation(key, "replay, with measured costs", text, extra)
    return Recommendation(key, "replay", text, extra)


def _rank(trials: dict[str, TrialSummary]):
    """Fewest failing seeds (spiked, collapsed or diverged, each seed once) first, then the
    lowest median best validation loss."""
    def key(o: OptionInfo) -> tuple:
        t = trials[o.key]
        best = t.median_best_val
        return (t.failed, best if best is not None else float("inf"))

    return key


def _by_measurement(options: Sequence[OptionInfo], trials: dict[str, TrialSummary],
                    where: str) -> tuple[str, str]:
    best = min(options, key=_rank(trials))
    t, cur = trials[best.key], trials["current"]
    text = (
        f"{best.title}: {where} it failed (spiked, collapsed or diverged) in {t.failed} "
        f"of {t.n} seeds (current settings: {cur.failed} of {cur.n}) with a median "
        f"best validation loss of {fmt_number(t.median_best_val)} (current: "
        f"{fmt_number(cur.median_best_val)}; measured)."
    )
    if t.failed >= cur.failed:
        text += (f" No option failed less often than the current settings {where}, so this is "
                 "a weak preference.")
    elif cur.failed - t.failed <= 1:
        text += (f" With {t.n} seeds per setting a difference of one seed can be chance; "
                 "run more seeds (--seeds) before relying on it.")
    lower = [o for o in options if o is not best and trials[o.key].median_best_val is not None
             and t.median_best_val is not None
             and trials[o.key].median_best_val < t.median_best_val]
    if lower:
        o = min(lower, key=lambda o: trials[o.key].median_best_val)
        u = trials[o.key]
        text += (f" {o.title} reached a lower median best validation loss "
                 f"({fmt_number(u.median_best_val)}) but failed in {u.failed} of "
                 f"{u.n} seeds.")
    return best.key, text


def _by_replay(options: Sequence[OptionInfo],
               trials: dict[str, TrialSummary] | None = None) -> tuple[str, str]:
    acting = [o for o in options if o.replay.acted_before_spike]
    if trials:  # the confirmation could not rank stability: prefer what failed least
        acting.sort(key=_rank(trials))
    else:  # exact before conditional, then the lowest LR at the spike relative to the run's
        acting.sort(key=_replay_rank)
    pick = acting[0] if acting else options[0]
    if not acting:
        return pick.key, (
            f"{pick.title}: no option could have lowered the LR before the spike in "
            "replay, so this pick is not backed by the replay or by a measurement.")
    rep = pick.replay
    ratio = (f"{rep.lr_at_onset / rep.observed_lr_at_onset:.2f}× the run's"
             if rep.observed_lr_at_onset and rep.lr_at_onset is not None else "below the run's")
    return pick.key, (
        f"{pick.title}: its LR when the spike began is {ratio} ({rep.lr_at_onset_label}"
        "), the largest reduction at the spike among the options, exact replays preferred "
        "over conditional ones. This is not a measured result.")


def _replay_rank(o: OptionInfo) -> tuple:
    rep = o.replay
    ref = rep.observed_lr_at_onset or 1.0
    return (rep.lr_at_onset_label != "exact replay", (rep.lr_at_onset or ref) / ref)
