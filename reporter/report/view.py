"""The view model: plain dicts the templates render, built from the Analysis dict only.

Every number that reaches a template travels with its honesty label (``observed``,
``exact replay``, ``conditional replay``, ``measured``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reporter.report.filters import fmt_number, fmt_x
from reporter.report.narrative import extent, root_cause, timeline

SETTING_LABEL = "current: as run (see the settings table); options: proposed"
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
    return {
        "title": data["headline"],
        "severity": data["diagnosis"]["severity"],
        "run": {**data["run"], "extent": extent(data["run"])},
        "setup": data["setup"],
        "timeline": timeline(data, spike, collapse),
        "findings": _first_rule_only(data["diagnosis"]["findings"]),
        "root_cause": root_cause(data, spike, collapse),
        "fidelity": data["fidelity"],
        "fidelity_word": FIDELITY_WORDS.get((data["fidelity"] or {}).get("status"), "Not checked."),
        "options": options,
        "confirmation": _confirmation(data),
        "comparison": _comparison(data, options),
        "how_to_test": _how_to_test(data, options, spike),
        "recommendation": data["recommendation"],
        "notes": [n["text"] for n in data["notes"]],
        "not_lr": next((f["kind"] for f in data["diagnosis"]["findings"]
                        if f["kind"] in ("overfitting", "no_progress")), None),
        "files": files,
        "spike": spike,
        "collapse": collapse,
    }


def _option_view(i: int, opt: dict, data: dict, out_dir: str) -> dict:
    rep = opt["replay"]
    axis = data["run"]["axis"]
    facts = []
    if rep["first_reduction"] is not None:
        facts.append(
            {
                "what": "first LR reduction",
                "value": f"after {axis} {rep['first_reduction']} (new LR from "
                f"{axis} {rep['first_reduction'] + 1})",
                "label": rep["first_reduction_label"],
            }
        )
    elif opt["plan"]["scheduler_kind"] == "plateau":
        facts.append(
            {
                "what": "first LR reduction",
                "value": f"none over the recorded {axis}s",
                "label": "exact replay"
                if rep.get("conditional_from") is None or rep["conditional_from"] >= len(rep["lr"])
                else "conditional replay",
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
                "value": f"after {axis} {rep['stop']}",
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
        patch = {**patch, "path": str(Path(out_dir) / patch["file"])}
    return {**opt, "number": i + 1, "facts": facts, "patch": patch, "patch_error": patch_error}


def _confirmation(data: dict) -> dict | None:
    conf = data.get("confirmation")
    if not conf:
        return None
    names = {"current": "Current settings"}
    names.update({o["key"]: f"Option {i + 1}: {o['title']}" for i, o in enumerate(data["options"])})
    rows = []
    for key, t in conf["trials"].items():
        rows.append({"key": key, "name": names.get(key, key), **t})
    return {**conf, "rows": rows}


def _first_reduction_cell(col: dict) -> str:
    if col["plan"]["scheduler_kind"] != "plateau":
        return "n/a (no plateau rule)"
    first = col["replay"]["first_reduction"]
    return str(first) if first is not None else "none"


def _first_rule_only(findings: list[dict]) -> list[dict]:
    """Each kind's rule and caveats are shown with its first finding only."""
    seen: set[str] = set()
    out = []
    for f in findings:
        out.append({**f, "show_rule": f["kind"] not in seen})
        seen.add(f["kind"])
    return out


def _lr_cell(rep: dict, *, observed: bool = False) -> str:
    if observed and rep.get("observed_lr_at_onset") is not None:
        return fmt_number(rep["observed_lr_at_onset"]) + " (observed)"
    if rep["lr_at_onset"] is None:
        return "n/a"
    mark = " (conditional)" if rep["lr_at_onset_label"] == "conditional replay" else ""
    return fmt_number(rep["lr_at_onset"]) + mark


def _comparison(data: dict, options: list[dict]) -> dict:
    cols = [
        {
            "key": "current",
            "name": "Current",
            "plan": data["current"]["plan"],
            "replay": data["current"]["replay"],
        }
    ]
    cols += [
        {"key": o["key"], "name": f"Option {o['number']}", "plan": o["plan"], "replay": o["replay"]}
        for o in options
    ]
    conf = data.get("confirmation")
    rows = [
        ("Scheduler", [c["plan"]["scheduler"] for c in cols], SETTING_LABEL),
        ("Initial LR", [fmt_number(c["plan"]["learning_rate"]) for c in cols], SETTING_LABEL),
        (
            "Gradient clip (max norm)",
            [
                fmt_number(c["plan"]["clip_grad_norm"]) if c["plan"]["clip_grad_norm"] else "none"
                for c in cols
            ],
            SETTING_LABEL,
        ),
        (
            "LR when the spike began",
            [_lr_cell(c["replay"], observed=c["key"] == "current") for c in cols],
            "exact replay unless marked",
        ),
        (
            f"First plateau reduction after {data['run']['axis']}",
            [_first_reduction_cell(c) for c in cols],
            "exact replay",
        ),
    ]
    if conf:
        t = conf["trials"]
        rows.append(
            (
                f"Spiked ({conf['subject']})",
                [f"{t[c['key']]['spiked']}/{t[c['key']]['n']}" for c in cols],
                "measured",
            )
        )
        rows.append(
            (
                f"Collapsed ({conf['subject']})",
                [f"{t[c['key']]['collapsed']}/{t[c['key']]['n']}" for c in cols],
                "measured",
            )
        )
        rows.append(
            (
                f"Median best val loss ({conf['subject']})",
                [fmt_number(t[c["key"]]["median_best_val"]) for c in cols],
                "measured",
            )
        )
    rec = data["recommendation"].get("option")
    rows.append(
        (
            "Recommended",
            ["★" if c["key"] == rec else "" for c in cols],
            data["recommendation"].get("basis", ""),
        )
    )
    return {
        "columns": [c["name"] for c in cols],
        "rows": [{"name": n, "cells": v, "label": lab} for n, v, lab in rows],
    }


def _how_to_test(data: dict, options: list[dict], spike: dict | None) -> list[dict]:
    axis = data["run"]["axis"]
    out = []
    for o in options:
        rep = o["replay"]
        watch = []
        if rep["first_reduction"] is not None:
            watch.append(
                f"the logged LR should first drop after {axis} {rep['first_reduction']} "
                f"({rep['first_reduction_label']}; later drops depend on the new run)"
            )
        if o["plan"]["scheduler_kind"] == "cosine":
            watch.append(
                f"the LR should follow the cosine curve, "
                f"{fmt_number(rep['lr_at_onset'])} at {axis} {fmt_x(spike['evidence']['onset'])}"
                if spike and rep["lr_at_onset"] is not None
                else "the LR should follow the cosine curve"
            )
        if spike:
            watch.append(
                f"no jump of the loss like this one around {axis} "
                f"{fmt_x(spike['evidence']['onset'])}"
            )
        for f in data["diagnosis"]["findings"]:
            if f["kind"] == "divergence":
                watch.append(f"{f['metric']} stays finite past {axis} {fmt_x(f['start'])}")
        out.append({"option": o["number"], "title": o["title"], "watch": watch})
    return out
