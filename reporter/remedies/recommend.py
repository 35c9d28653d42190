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
        if "crash" in kinds:  # diagnose/crashes.py: the log ends in a fatal error
            crash = next(f for f in diagnosis.findings if f.kind == "crash")
            text = (f"{crash.title[:1].upper()}{crash.title[1:]}. Fix that first: no "
                    "learning-rate change applies to a crash.")
        elif "overfitting" in kinds and diagnosis.selection and diagnosis.selection.advice:
            text = diagnosis.selection.advice  # the run's own best checkpoint and metric
        elif "overfitting" in kinds:
            text = ("Keep the checkpoint of the best validation epoch and stop there (early "
                    "stopping); the learning-rate options do not apply to overfitting.")
        elif "no_progress" in kinds:
            text = ("The loss did not go down: check the learning rate's order of magnitude, "
                    "the loss and the labels before tuning a schedule.")
        elif "stall" in kinds:
            text = ("The loss stopped improving early and stayed flat: check the labels, the "
                    "model's outputs and the learning rate's order of magnitude before tuning "
                    "a schedule.")
        elif "flat_tail" in kinds:  # diagnose/lr_tail.py: a long stretch without gain
            flat = next(f for f in diagnosis.findings if f.kind == "flat_tail")
            text = (f"Nothing to change in the learning rate. The loss stopped improving for the "
                    f"last {flat.evidence['tail_share']:.0%} of the run: if that is as low as "
                    "this model goes, stop earlier (early stopping); if runs of the same model "
                    "reach lower, this one stalled, so check the learning rate's order of "
                    "magnitude and the initialisation.")
        return Recommendation(None, "observed", text)
    extra = (COLLAPSE_ADVICE,) if "collapse" in kinds else ()
    trials = confirmation.trials if confirmation else None
    measured = [o for o in options if trials and o.key in trials]
    calibration = confirmation.calibration if confirmation else None
    if measured and "current" in trials and calibration is not None and calibration.confirmed:
        key, text = _by_measurement(measured, trials, confirmation.where)
        return Recommendation(key, "measured", text, extra)
    key, text = _by_replay(options)
    if confirmation and trials and "current" in trials:
        text += " " + _not_ranked(confirmation, trials, key)
        return Recommendation(key, "replay, with measured costs", text, extra)
    return Recommendation(key, "replay", text, extra)


def overlap(a: tuple[float, float] | None, b: tuple[float, float] | None) -> bool:
    """Whether two intervals share a point (True when either is unknown: nothing separates
    them)."""
    if a is None or b is None:
        return True
    return a[0] <= b[1] and b[0] <= a[1]


def _rate(t: TrialSummary) -> str:
    """``3 of 8 seeds (95% interval 14–69%)``: a failure count with its Wilson interval."""
    low, high = t.failed_interval
    return f"{t.failed} of {t.n} seeds (95% interval {low:.0%}–{high:.0%})"


def _loss(t: TrialSummary) -> str:
    """The median best validation loss with its bootstrap interval."""
    text = fmt_number(t.median_best_val)
    if t.best_val_interval is not None:
        low, high = t.best_val_interval
        text += f" (95% interval {fmt_number(low)}–{fmt_number(high)})"
    return text


def _rank(trials: dict[str, TrialSummary]):
    """Fewest failing seeds (unrecovered spike, collapse or divergence, each seed once) first,
    then the lowest median best validation loss."""
    def key(o: OptionInfo) -> tuple:
        t = trials[o.key]
        best = t.median_best_val
        return (t.failed, best if best is not None else float("inf"))

    return key


def _by_measurement(options: Sequence[OptionInfo], trials: dict[str, TrialSummary],
                    where: str) -> tuple[str, str]:
    """The option that failed least (then lowest loss), with every comparison's significance."""
    ranked = sorted(options, key=_rank(trials))
    best = ranked[0]
    t, cur = trials[best.key], trials["current"]
    text = (f"{best.title}: {where} it failed (unrecovered spike, collapse or divergence) in "
            f"{_rate(t)}, against {_rate(cur)} under the current settings, with a median best "
            f"validation loss of {_loss(t)} (current: {_loss(cur)}; measured).")
    if t.failed >= cur.failed:
        text += (f" No option failed less often than the current settings {where}, so this is "
                 "a weak preference.")
    elif overlap(t.failed_interval, cur.failed_interval):
        text += (" No significant difference in failure rate from the current settings: the "
                 "95% intervals overlap; more seeds (--seeds) would be needed to separate them.")
    else:
        text += (" Its failure rate is significantly lower than under the current settings "
                 "(the 95% intervals do not overlap).")
    if len(ranked) > 1 and overlap(t.failed_interval, trials[ranked[1].key].failed_interval):
        u = trials[ranked[1].key]
        text += (f" Against the next option, {ranked[1].title} ({u.failed} of {u.n}), there "
                 "is no significant difference in failure rate (the intervals overlap).")
    return best.key, text + _worse_loss(best, t, cur, options, trials)


def _worse_loss(best: OptionInfo, t: TrialSummary, cur: TrialSummary,
                options: Sequence[OptionInfo], trials: dict[str, TrialSummary]) -> str:
    """Say so when the pick's median best loss is worse than the current settings' or
    another option's, and whether the bootstrap intervals separate them."""
    if t.median_best_val is None:
        return ""
    text = ""
    if cur.median_best_val is not None and cur.median_best_val < t.median_best_val:
        text += (f" Its median best validation loss is worse than under the current settings "
                 f"({fmt_number(t.median_best_val)} against {fmt_number(cur.median_best_val)}): "
                 f"{_significance(t, cur)}.")
    lower = [o for o in options if o is not best and trials[o.key].median_best_val is not None
             and trials[o.key].median_best_val < t.median_best_val]
    if lower:
        o = min(lower, key=lambda o: trials[o.key].median_best_val)
        u = trials[o.key]
        text += (f" {o.title} reached a lower median best validation loss "
                 f"({fmt_number(u.median_best_val)}; {_significance(t, u)}) but failed in "
                 f"{u.failed} of {u.n} seeds.")
    return text


def _significance(a: TrialSummary, b: TrialSummary) -> str:
    if overlap(a.best_val_interval, b.best_val_interval):
        return "no significant difference, the 95% bootstrap intervals overlap"
    return "a significant difference, the 95% bootstrap intervals do not overlap"


def _not_ranked(confirmation: Confirmation, trials: dict[str, TrialSummary], key: str) -> str:
    """Why the measurement ranks nothing, and the pick's measured cost."""
    cal, cur, where = confirmation.calibration, trials["current"], confirmation.where
    if cal is None:
        text = (f"The confirmation had no failure of your run to reproduce {where}, so it "
                "ranks no option by stability; the pick rests on the replay.")
    else:
        text = (f"The confirmation could not reproduce the instability: {where} the current "
                f"settings reproduced your run's {cal.target} in {cal.reproduced} of {cal.n} "
                "seeds, not a majority, so no option is ranked on measurement and the pick "
                "rests on the replay.")
    if key in trials:
        text += (f" Its median best validation loss was {_loss(trials[key])} against "
                 f"{_loss(cur)} under the current settings (measured).")
    return text


def _by_replay(options: Sequence[OptionInfo]) -> tuple[str, str]:
    """Exact replays before conditional ones, then the lowest LR at the spike relative to
    the run's."""
    acting = sorted((o for o in options if o.replay.acted_before_spike), key=_replay_rank)
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
