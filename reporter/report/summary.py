"""The first screen of a report (issue 9, item 1): the verdict in one line, the recommended
change as a short diff, the evidence in one sentence with how it was obtained and how sure it
is, and the contents. Built from the Analysis dict and the option views only.
"""

from __future__ import annotations

from typing import Any

from reporter.report.filters import code_fence, fmt_number, fmt_ratio
from reporter.report.narrative import at

# icons that common text fonts carry (no emoji font needed), beside the word, never alone
SEVERITY_ICONS = {"critical": "✖", "warning": "⚠", "info": "✔"}
SEVERITY_WORDS = {"critical": "Critical", "warning": "Warning", "info": "No instability"}
# the short marker each way of obtaining a number gets, with its one legend
MARKS = {"observed": "O", "exact replay": "E", "conditional replay": "C", "measured": "M",
         "setting": "S", "assumed": "A"}
MARK_MEANINGS = {
    "observed": "read from your logs",
    "exact replay": "the framework's own rule replayed on your recorded metrics, while the "
                    "replayed LR still equals the logged one",
    "conditional replay": "beyond that point, assuming the recorded metrics",
    "measured": "from confirmation trainings",
    "setting": "the current value as run, an option's as proposed",
    "assumed": "the base LR is in neither your logs nor a config; an assumed one stands in, "
               "so only ratios to it carry over to your run",
}
SHORT_DIFF_LINES = 8


def summary(data: dict[str, Any], options: list[dict], sections: list[dict]) -> dict[str, Any]:
    """The summary box: ``verdict``, ``change`` (or None), ``evidence``, ``contents``."""
    return {
        "verdict": verdict(data),
        "change": _change(data, options),
        "evidence": _evidence(data, options),
        "contents": sections,
    }


def verdict(data: dict[str, Any]) -> dict[str, str]:
    """``icon``, ``word`` and one ``line``: the main finding (and a collapse after it)."""
    diag = data["diagnosis"]
    severity = diag["severity"] if diag["findings"] else "info"
    main = diag["primary_spike"] or next(iter(diag["findings"]), None)
    if main is None:
        line = ("no spike, divergence, collapse, overfitting or stall was found in the logged "
                "losses (observed)")
    else:
        line = main["title"]
        collapse = diag["primary_collapse"]
        if collapse and collapse is not main and collapse["title"] != main["title"]:
            line += f"; then {collapse['title']}"
        line += " (observed)"
        began = main["evidence"].get("began_in")
        if began:  # one event seen first on another curve (diagnose.events)
            line += (f"; the same event began in {began} at "
                     f"{at(data, main['evidence']['axis'], main['evidence']['began_at'])}")
        others = len(diag["findings"]) - 1 - (1 if collapse and collapse is not main else 0)
        if others > 0:
            line += f"; {others} more finding{'s' if others > 1 else ''} below"
    return {"icon": SEVERITY_ICONS.get(severity, ""), "word": SEVERITY_WORDS.get(severity,
            severity), "severity": severity, "line": line}


def _change(data: dict[str, Any], options: list[dict]) -> dict[str, Any] | None:
    """The recommended option's change: the changed lines of its patch, or its settings."""
    key = data["recommendation"].get("option")
    opt = next((o for o in options if o["key"] == key), None)
    if opt is None:
        return None
    patch = opt["patch"]
    if patch:
        changed = [line for line in patch["diff"].splitlines()
                   if line[:1] in "+-" and not line.startswith(("+++", "---"))]
        lines = changed[:SHORT_DIFF_LINES]
        more = len(changed) - len(lines)
        where = patch["original"]
    else:
        lines = [f"+ {k}: {v}" for k, v in opt["changes"].items()]
        more, where = 0, None
    return {"number": opt["number"], "title": opt["title"], "anchor": opt["anchor"],
            "lines": lines, "more": more, "file": where, "fence": code_fence("\n".join(lines)),
            "copy": patch["path"] if patch else None}


def _evidence(data: dict[str, Any], options: list[dict]) -> dict[str, str]:
    """One sentence: what supports the verdict or the pick, how it was obtained, how sure."""
    rec = data["recommendation"]
    opt = next((o for o in options if o["key"] == rec.get("option")), None)
    conf = data.get("confirmation")
    if opt is not None and conf and rec.get("basis") == "measured":
        t, cur = conf["trials"][opt["key"]], conf["trials"]["current"]
        overlap = _overlap(t.get("failed_interval"), cur.get("failed_interval"))
        return {"label": "measured", "text": (
            f"on {conf['subject']}, {_rate(t)} seeds failed with this change against "
            f"{_rate(cur)} under the current settings (Wilson 95% intervals); "
            + ("the intervals overlap, so the difference may be chance" if overlap else
               "the intervals do not overlap"))}
    if opt is not None:
        return _replay_evidence(data, opt, _why_untested(conf))
    return {"label": "observed", "text": _no_option_evidence(data)}


def _rate(t: dict) -> str:
    """``"1 of 8 (2–47%)"``: failed seeds, with the 95% interval of the rate when known."""
    low, high = t.get("failed_interval") or (None, None)
    interval = f" ({low:.0%}–{high:.0%})" if low is not None else ""
    return f"{t['failed']} of {t['n']}{interval}"


def _overlap(a, b) -> bool:
    """Whether two intervals overlap (unknown ones are taken to)."""
    return a is None or b is None or not (a[1] < b[0] or b[1] < a[0])


def _why_untested(conf: dict | None) -> str:
    """Why the pick is not measured: no confirmation, or one that did not reproduce the run's
    failure under the current settings (so it ranks nothing)."""
    if not conf:
        return ("not measured: a replay does not train, so whether the instability would recur "
                "is not known (--confirm proxy measures it)")
    # the count of the run's own failure kind (the calibration's), not of any failure
    cal = conf.get("calibration") or {}
    cur = conf["trials"].get("current")
    if cal.get("n"):
        seen = f" (only {cal['reproduced']} of {cal['n']} seeds, not a majority)"
    else:
        seen = f" ({cur['failed']} of {cur['n']} seeds failed at all)" if cur else ""
    return (f"not measured: the confirmation trainings did not reproduce your run's failure "
            f"{conf.get('where', '')}{seen}, so they cannot show whether this option prevents it")


def _when(data: dict, spike: dict) -> str:
    """``when the spike began (step 80)``, or, for one event begun on another curve
    (``diagnose.events``), when it showed on the spike's own curve, where the LR is compared."""
    ev = spike["evidence"]
    where = at(data, ev["axis"], ev["onset"])
    if ev.get("began_in"):
        return f"when the spike showed in {spike['metric']} ({where})"
    return f"when the spike began ({where})"


def _replay_evidence(data: dict, opt: dict, untested: str) -> dict[str, str]:
    rep = opt["replay"]
    spike = data["diagnosis"]["primary_spike"]
    watched = (data.get("fidelity") or {}).get("metric") or "loss"
    if rep["lr_at_onset"] is not None and rep.get("observed_lr_at_onset") and spike:
        ratio = rep["lr_at_onset"] / rep["observed_lr_at_onset"]
        return {"label": rep["lr_at_onset_label"], "text": (
            f"replayed over your logged {watched}, this option's LR {_when(data, spike)} is "
            f"{fmt_number(rep['lr_at_onset'])} instead of "
            f"{fmt_number(rep['observed_lr_at_onset'])} ({ratio:.2f}×); {untested}")}
    base_at = data["current"]["replay"]["lr_at_onset"] if data.get("current") else None
    if rep["lr_at_onset"] is not None and base_at and spike:
        return {"label": rep["lr_at_onset_label"], "text": (
            f"replayed over your logged {watched}, this option's LR {_when(data, spike)} is "
            f"{rep['lr_at_onset'] / base_at:.2f}× the run's (its base LR is in "
            f"neither the logs nor a config, so only the ratio is known); {untested}")}
    if rep["first_reduction"] is not None:
        return {"label": rep["first_reduction_label"] or "exact replay", "text": (
            f"replayed over your logged {watched}, this option first lowers the LR after "
            f"{at(data, data['run']['axis'], rep['first_reduction'])}; {untested}")}
    return {"label": data["recommendation"].get("basis", "replay"),
            "text": f"{data['recommendation']['text']} ({untested})"}


def _no_option_evidence(data: dict) -> str:
    run = data["run"]
    points = sum((run.get("counts") or {}).values()) or run.get("length", 0)
    findings = data["diagnosis"]["findings"]
    tested = f"every one of the {points} logged loss points was tested by the rules stated below"
    if run.get("superseded"):
        tested += (f" ({run['superseded']} earlier loss points, replaced by a restart at the same "
                   "steps, were not)")
    if not findings:
        return f"{tested}; a rule can miss an instability smaller than its thresholds"
    grad = next((f for f in findings if f["kind"] == "grad_spike"), None)
    if grad is not None and len(findings) == 1 and grad["evidence"].get("loss_ratio"):
        ev = grad["evidence"]
        return (f"at {at(data, ev['axis'], ev['onset'])} grad_norm was "
                f"{fmt_ratio(ev['ratio'])} its level and {ev['loss_metric']} "
                f"{fmt_ratio(ev['loss_ratio'])} its own; {tested}")
    count = len(findings)
    text = (f"{tested}; the {'finding above was' if count == 1 else f'{count} findings were'} "
            "read from the logged values")
    if not {f["kind"] for f in findings} & {"spike", "divergence", "collapse"}:
        text += (", and none is a spike, divergence or collapse that a learning-rate option "
                 "addresses")
    return text


def marks_legend() -> list[dict[str, str]]:
    """The one legend of the markers: ``mark``, ``label``, ``meaning``."""
    return [{"mark": MARKS[k], "label": k, "meaning": v} for k, v in MARK_MEANINGS.items()]
