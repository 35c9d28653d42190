"""The view model: plain dicts the templates render, built from the Analysis dict only.

Every number that reaches a template travels with its honesty label (``observed``,
``exact replay``, ``conditional replay``, ``measured``).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

from reporter.report.figures import describe
from reporter.report.filters import clean_text, code_fence, fmt_number
from reporter.report.guards_view import guards_view
from reporter.report.narrative import at, convention, extent, root_cause, timeline
from reporter.report.summary import MARKS, SEVERITY_ICONS, marks_legend, summary

SETTING = "setting"
FIDELITY_WORDS = {
    "match": "Matches.",
    "mismatch": "Does not match.",
    "unidentified": "Schedule not identified.",
    "no_lr_logged": "Not checked.",
    "per_step": "Per-epoch check not applicable.",
}


def build_view(data: dict[str, Any], files: dict[str, str] | None = None,
               out_dir: str = ".") -> dict[str, Any]:
    """``data`` is ``Analysis.to_dict()``; ``files`` maps a role (``history_png``…) to a name;
    ``out_dir`` is where those files lie, as the user can type it."""
    files = files or {}
    spike = data["diagnosis"]["primary_spike"]
    collapse = data["diagnosis"]["primary_collapse"]
    options = [_option_view(i, o, data, out_dir) for i, o in enumerate(data["options"])]
    notes = [n["text"] for n in data["notes"]]
    # "selection": the eval loss rose while the run's own selection metric improved
    not_lr = next(("selection" if f["evidence"].get("selection_metric") else f["kind"]
                   for f in data["diagnosis"]["findings"]
                   if f["kind"] in ("overfitting", "no_progress")), None)
    return {
        "title": data["headline"],
        "severity": data["diagnosis"]["severity"],
        "icon": SEVERITY_ICONS.get(data["diagnosis"]["severity"], ""),
        "summary": summary(data, options, _sections(options, notes, not_lr)),
        "marks": MARKS,
        "legend": marks_legend(),
        "run": {**data["run"], "extent": extent(data["run"]),
                "convention": convention(data["run"])},
        "setup": data["setup"],
        "timeline": timeline(data, spike, collapse),
        "findings": [{**f, "icon": SEVERITY_ICONS.get(f["severity"], "")}
                     for f in data["diagnosis"]["findings"]],
        "rules": _rules(data["diagnosis"]["findings"]),
        "checks": data["diagnosis"].get("coverage") or [],  # what the verdict covered
        "guards": guards_view(data),  # early warnings and the live guards replayed
        "root_cause": root_cause(data, spike, collapse),
        "fidelity": data["fidelity"],
        "fidelity_word": FIDELITY_WORDS.get((data["fidelity"] or {}).get("status"), "Not checked."),
        "options": options,
        "confirmation": _confirmation(data),
        "comparison": _comparison(data, options),
        "how_to_test": _how_to_test(data, options, spike),
        "recommendation": data["recommendation"],
        "notes": notes,
        "not_lr": not_lr,
        "files": files,
        "figure": describe(data, files["history_png"]) if files.get("history_png") else None,
        "spike": spike,
        "collapse": collapse,
    }


def slug(title: str) -> str:
    """The anchor GitHub gives a heading (lower case, punctuation dropped, spaces to ``-``);
    the HTML uses the same ids, so a link works in both formats."""
    kept = re.sub(r"[^\w\- ]", "", clean_text(title).strip().lower())
    return kept.replace(" ", "-")


SECTIONS = {"what": "What Happened", "cause": "Root Cause",
            "config": "Does the config match the logs?", "options": "Options",
            "expected": "Expected Results After Fix", "comparison": "Comparison Table",
            "test": "How to Test", "not_lr": "No Learning-Rate Options",
            "nothing": "Nothing to Fix", "action": "Recommended Action", "notes": "Data Notes",
            "files": "Files Written"}


def _sections(options: list[dict], notes: list[str], not_lr: str | None) -> list[dict]:
    """The contents of this report, in its order: ``key``, ``title``, ``anchor``."""
    keys = ["what", "cause", "config"]
    if options:
        keys += ["options", "expected", "comparison", "test"]
    else:
        keys.append("not_lr" if not_lr else "nothing")
    keys += ["action"] + (["notes"] if notes else []) + ["files"]
    return [{"key": k, "title": SECTIONS[k], "anchor": slug(SECTIONS[k])} for k in keys]


def _rules(findings: list[dict]) -> list[dict]:
    """Each kind's rule and caveats once, in the order the findings come."""
    seen: dict[str, dict] = {}
    for f in findings:
        seen.setdefault(f["kind"], {"kind": f["kind"].replace("_", " "),
                                    "criterion": f["criterion"], "caveats": f["caveats"]})
    return list(seen.values())


def _option_view(i: int, opt: dict, data: dict, out_dir: str) -> dict:
    rep = opt["replay"]
    axis = data["run"]["axis"]
    facts = []
    if rep["first_reduction"] is not None:
        facts.append(
            {
                "what": "first LR reduction",
                "value": f"after {at(data, axis, rep['first_reduction'])} (new LR from "
                f"{at(data, axis, rep['first_reduction'] + 1)})",
                "label": rep["first_reduction_label"],
            }
        )
    elif opt["plan"]["scheduler_kind"] == "plateau":
        facts.append(
            {
                "what": "first LR reduction",
                "value": f"none over the recorded {axis}s",
                "label": _whole_replay_label(rep),
            }
        )
    if rep["lr_at_onset"] is not None:
        obs = rep["observed_lr_at_onset"]
        rel = f" ({rep['lr_at_onset'] / obs:.2f}× the run's {fmt_number(obs)})" if obs else ""
        facts.append(
            {
                "what": "LR when the spike began",
                "value": f"{fmt_number(rep['lr_at_onset'])}{rel}",
                "label": rep["lr_at_onset_label"],
            }
        )
    if rep["stop"] is not None:
        facts.append(
            {
                "what": "early stop",
                "value": f"after {at(data, axis, rep['stop'])}",
                "label": "exact replay"
                if rep["horizon"] is None or rep["stop"] < rep["horizon"]
                else "conditional replay",
            }
        )
    if rep.get("clip_fraction_before") is not None:
        facts.append(
            {
                "what": "logged grad norms it would clip before the spike",
                "value": f"{rep['clip_fraction_before']:.0%}",
                "label": "exact replay",
            }
        )
    if rep.get("clip_fraction_at_spike") is not None:
        facts.append(
            {
                "what": "clips the update at the spike",
                "value": "yes" if rep["clip_fraction_at_spike"] else "no",
                "label": "exact replay",
            }
        )
    patch = next((p for p in data["patches"] if p["option"] == opt["key"]), None)
    patch_error = patch["error"] if patch else None
    if patch_error:
        patch = None
    elif patch is not None:  # where the copy lies, as the user can type it
        path = (Path(out_dir) / patch["file"]).as_posix()
        original = patch["original"]
        patch = {**patch, "path": path, "fence": code_fence(patch["diff"]),
                 "cp": f"cp {shlex.quote(original)} {shlex.quote(original + '.bak')} && "
                       f"cp {shlex.quote(path)} {shlex.quote(original)}"}
    title = f"Option {i + 1}: {opt['title']}" + (
        " (recommended)" if data["recommendation"].get("option") == opt["key"] else "")
    return {**opt, "number": i + 1, "facts": facts, "patch": patch, "patch_error": patch_error,
            "heading": title, "anchor": slug(title), "code": opt.get("code", ())}


def _confirmation(data: dict) -> dict | None:
    conf = data.get("confirmation")
    if not conf:
        return None
    names = {"current": "Current settings"}
    names.update({o["key"]: f"Option {i + 1}: {o['title']}" for i, o in enumerate(data["options"])})
    rows = []
    base = data["run"].get("epoch_base", 0)
    for key, t in conf["trials"].items():
        rows.append({"key": key, "name": names.get(key, key), **t, **_interval_cells(t, base)})
    return {**conf, "rows": rows}


def _measured_text(t: dict, key: str) -> str:
    return t[key] if key.endswith("_text") else f"{t[key]}/{t['n']}"


def _interval_cells(t: dict, base: int) -> dict:
    """A setting's failure rate, best loss and early stops as table text, with intervals."""
    low, high = t.get("failed_interval") or (0.0, 1.0)
    best = fmt_number(t["median_best_val"])
    if t.get("best_val_interval"):
        best += " ({}–{})".format(*(fmt_number(v) for v in t["best_val_interval"]))
    stopped = t.get("stopped_epochs") or []
    return {
        "failed_text": f"{t['failed']}/{t['n']} ({low:.0%}–{high:.0%})",
        "best_text": best,
        "stopped_text": (f"{len(stopped)}/{t['n']} (after epoch "
                         f"{', '.join(str(e + base) for e in stopped)})" if stopped
                         else f"0/{t['n']}"),
    }


def _whole_replay_label(rep: dict) -> str:
    """How a statement about the whole replay ("no reduction at all") was obtained: exact
    only when no part of the replay is conditional."""
    c = rep.get("conditional_from")
    return "exact replay" if c is None or c >= len(rep["lr"]) else "conditional replay"


def _first_reduction_cell(col: dict, data: dict) -> dict:
    if col["plan"]["scheduler_kind"] != "plateau":
        return _cell("n/a (no plateau rule)", None)
    first = col["replay"]["first_reduction"]
    if first is None:
        return _cell("none", _whole_replay_label(col["replay"]))
    return _cell(f"after {at(data, data['run']['axis'], first)}",
                 col["replay"]["first_reduction_label"])


def _cell(text: str, label: str | None) -> dict:
    """A table cell: its text and the marker of how it was obtained (None: nothing to mark)."""
    return {"text": text, "label": label, "mark": MARKS.get(label or "", "")}


def _lr_label(col: dict, label: str) -> str:
    """``assumed`` for an LR that rests on an assumed base LR, else ``label``."""
    return "assumed" if col["plan"].get("learning_rate_assumed") else label


def _lr_cell(rep: dict, *, observed: bool = False, assumed: bool = False) -> dict:
    if observed and rep.get("observed_lr_at_onset") is not None:
        return _cell(fmt_number(rep["observed_lr_at_onset"]), "observed")
    if rep["lr_at_onset"] is None:
        return _cell("n/a", None)
    return _cell(fmt_number(rep["lr_at_onset"]),
                 "assumed" if assumed else rep["lr_at_onset_label"])


def _comparison(data: dict, options: list[dict]) -> dict:
    cols = [{"key": "current", "name": "Current", "plan": data["current"]["plan"],
             "replay": data["current"]["replay"]}]
    cols += [
        {"key": o["key"], "name": f"Option {o['number']}", "plan": o["plan"], "replay": o["replay"]}
        for o in options
    ]
    conf = data.get("confirmation")
    rows = [
        ("Scheduler", [_cell(c["plan"]["scheduler"], SETTING) for c in cols]),
        ("Initial LR", [_cell(fmt_number(c["plan"]["learning_rate"]), _lr_label(c, SETTING))
                        for c in cols]),
        ("Gradient clip (max norm)",
         [_cell(fmt_number(c["plan"]["clip_grad_norm"]) if c["plan"]["clip_grad_norm"]
                else "none", SETTING) for c in cols]),
    ]
    if data["diagnosis"]["primary_spike"]:
        rows.append(("LR when the spike began",
                     [_lr_cell(c["replay"], observed=c["key"] == "current",
                               assumed=c["plan"].get("learning_rate_assumed", False))
                      for c in cols]))
    if any(c["plan"]["scheduler_kind"] == "plateau" for c in cols):
        rows.append(("First plateau reduction", [_first_reduction_cell(c, data) for c in cols]))
    if conf:
        base = data["run"].get("epoch_base", 0)
        t = {k: {**v, **_interval_cells(v, base)} for k, v in conf["trials"].items()}
        for what, key in (("Failed, 95% interval", "failed_text"),
                          ("Collapsed", "collapsed"), ("Median best val loss, 95% interval",
                                                       "best_text")):
            rows.append((f"{what} ({conf['subject']})",
                         [_cell(_measured_text(t[c["key"]], key), "measured")
                          if c["key"] in t else _cell("not trained", None) for c in cols]))
    rec = data["recommendation"].get("option")
    rows.append(("Recommended", [_cell("★ yes" if c["key"] == rec else "", None) for c in cols]))
    return {
        "columns": [c["name"] for c in cols],
        "rows": [{"name": n, "cells": v} for n, v in rows],
        "basis": data["recommendation"].get("basis", ""),
    }


def _how_to_test(data: dict, options: list[dict], spike: dict | None) -> list[dict]:
    axis = data["run"]["axis"]
    onset = at(data, spike["evidence"]["axis"], spike["evidence"]["onset"]) if spike else None
    out = []
    for o in options:
        rep = o["replay"]
        watch = []
        if rep["first_reduction"] is not None:
            watch.append(
                f"the logged LR should first drop after {at(data, axis, rep['first_reduction'])} "
                f"({rep['first_reduction_label']}; later drops depend on the new run)"
            )
        if o["plan"]["scheduler_kind"] == "cosine":
            watch.append(
                f"the LR should follow the cosine curve, "
                f"{fmt_number(rep['lr_at_onset'])} at {onset}"
                if spike and rep["lr_at_onset"] is not None
                else "the LR should follow the cosine curve"
            )
        if spike:
            watch.append(f"no jump of the loss like this one around {onset}")
        for f in data["diagnosis"]["findings"]:
            if f["kind"] == "divergence":
                watch.append(f"{f['metric']} stays finite past {at(data, axis, f['start'])}")
        how = ("train with the patched config" if o["patch"] else
               "apply it in your training code (above)" if o.get("code") else
               "make the changes above")
        out.append({"option": o["number"], "title": o["title"], "how": how, "watch": watch})
    return out
