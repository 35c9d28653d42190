"""The view model: plain dicts the templates render, built from the Analysis dict only.

Every number that reaches a template travels with its honesty label (``observed``,
``exact replay``, ``conditional replay``, ``measured``).
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from reporter.diagnose.findings import fmt_ratio

FIDELITY_WORDS = {
    "match": "Matches.",
    "mismatch": "Does not match.",
    "unidentified": "Schedule not identified.",
    "no_lr_logged": "Not checked.",
    "per_step": "Per-epoch check not applicable.",
}


def build_view(data: dict[str, Any], files: dict[str, str] | None = None) -> dict[str, Any]:
    """``data`` is ``Analysis.to_dict()``; ``files`` maps a role (``history_png``…) to a name."""
    files = files or {}
    spike = data["diagnosis"]["primary_spike"]
    collapse = data["diagnosis"]["primary_collapse"]
    options = [_option_view(i, o, data) for i, o in enumerate(data["options"])]
    return {
        "title": data["headline"],
        "severity": data["diagnosis"]["severity"],
        "run": data["run"],
        "setup": data["setup"],
        "timeline": _timeline(data, spike, collapse),
        "findings": data["diagnosis"]["findings"],
        "root_cause": _root_cause(data, spike, collapse),
        "fidelity": data["fidelity"],
        "fidelity_word": FIDELITY_WORDS.get((data["fidelity"] or {}).get("status"), "Not checked."),
        "options": options,
        "confirmation": _confirmation(data),
        "comparison": _comparison(data, options),
        "how_to_test": _how_to_test(data, options, spike),
        "recommendation": data["recommendation"],
        "notes": data["notes"],
        "files": files,
        "spike": spike,
        "collapse": collapse,
    }


def _n(x: float | None) -> str:
    if x is None:
        return "?"
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _timeline(data: dict, spike: dict | None, collapse: dict | None) -> list[dict]:
    """The 'what happened' lines, each labelled observed."""
    series = data["series"]
    metric = spike["metric"] if spike else ("val/loss" if "val/loss" in series else "train/loss")
    s = series.get(metric)
    if not s:
        return []
    x, y = s["x"], s["y"]
    axis = s["axis"]
    rows = []
    if spike:
        ev = spike["evidence"]
        best_at = ev["best_at"]
        rows.append(
            {
                "when": f"{axis}s {_n(x[0])}–{_n(best_at)}",
                "what": f"{metric} fell from {_fmt(y[0])} to its best, {_fmt(ev['best_before'])}",
            }
        )
        rows.append(
            {
                "when": f"{axis} {_n(ev['onset'])}",
                "what": f"{metric} jumped to {_fmt(ev['onset_value'])}"
                f" (peak {_fmt(ev['peak_value'])} at {axis} {_n(ev['peak'])}, "
                f"{fmt_ratio(ev['ratio'])} the best)",
            }
        )
        if collapse:
            cev = collapse["evidence"]
            rows.append(
                {
                    "when": f"{axis}s {_n(collapse['start'])}–{_n(collapse['end'])}",
                    "what": f"{metric} stayed flat at {_fmt(cev['plateau_level'])} "
                    f"({fmt_ratio(cev['ratio_to_first'])} its first value, "
                    f"{_fmt(cev['first_value'])})",
                }
            )
        elif ev["recovered"]:
            rows.append(
                {
                    "when": f"{axis} {_n(ev['recovered_at'])}",
                    "what": f"{metric} back within 1.5× of its earlier best",
                }
            )
    else:
        finite = [v for v in y if v is not None]
        if finite:
            rows.append(
                {
                    "when": f"{axis}s {_n(x[0])}–{_n(x[-1])}",
                    "what": f"{metric} went from {_fmt(y[0])} to {_fmt(y[-1])} "
                    f"(best {_fmt(min(finite))})",
                }
            )
    late = next((f for f in data["diagnosis"]["findings"] if f["kind"] == "slow_reaction"), None)
    if late and late["evidence"]["first_reduction"] is not None:
        rows.append(
            {
                "when": f"{axis} {_n(late['evidence']['first_reduction'])}",
                "what": "the logged LR went down for the first time after the spike",
            }
        )
    lr = series.get("lr_used")
    if lr and not late and _stepwise(lr["y"]):
        drops = [
            i
            for i in range(1, len(lr["y"]))
            if lr["y"][i] is not None and lr["y"][i - 1] is not None and lr["y"][i] < lr["y"][i - 1]
        ]
        if drops:
            rows.append(
                {
                    "when": f"{axis} {_n(lr['x'][drops[0]])}",
                    "what": f"first LR reduction, {_fmt(lr['y'][drops[0] - 1])} → "
                    f"{_fmt(lr['y'][drops[0]])}",
                }
            )
    rows.append({"when": f"{axis} {_n(x[-1])}", "what": "last logged point (run ended)"})
    return sorted(rows, key=_row_start)


def _stepwise(values: list) -> bool:
    """An LR that changes in a few discrete drops (plateau, step), not a smooth decay."""
    finite = [v for v in values if v is not None]
    changes = sum(1 for a, b in itertools.pairwise(finite) if a != b)
    return 0 < changes <= max(1, len(finite) // 4)


def _row_start(row: dict) -> float:
    """The first number of a timeline row's ``when`` (rows are built out of order)."""
    found = re.search(r"-?\d+(?:\.\d+)?", row["when"])
    return float(found.group()) if found else 0.0


def _root_cause(data: dict, spike: dict | None, collapse: dict | None) -> list[str]:
    """Statements about why, each built from observed or replayed numbers."""
    out: list[str] = []
    if not spike:
        return out
    ev = spike["evidence"]
    axis = ev["axis"]
    cur = data["current"]["replay"]
    plan = data["current"]["plan"]
    lr_at = cur.get("observed_lr_at_onset")
    if lr_at is not None:
        same = (
            "the base LR"
            if abs(lr_at - plan["learning_rate"]) <= 1e-12 * lr_at
            else f"down from the base {_fmt(plan['learning_rate'])}"
        )
        out.append(
            f"When the spike began ({axis} {_n(ev['onset'])}) the run trained with LR "
            f"{_fmt(lr_at)} ({same}; observed)."
        )
    else:
        out.append(
            "No learning rate was logged, so the LR in effect when the spike began is "
            "not known from the logs."
        )
    if ev["recovered"]:
        out.append(
            f"The loss came back within 1.5× of its earlier best at {axis} "
            f"{_n(ev['recovered_at'])}, {_n(ev['recovered_at'] - ev['onset'])} {axis}(s) "
            "after the spike began (observed). A transient spike that recovers by itself "
            "may need no fix; the options below make a repeat less likely."
        )
    sched = plan["scheduler"]
    if "ReduceLROnPlateau" in sched:  # torch's or Keras' plateau rule
        first = cur.get("first_reduction")
        best_at = ev["best_at"]
        if first is not None:
            gap = ev["onset"] - best_at
            out.append(
                f"{sched} watches {data['fidelity']['metric'] if data['fidelity'] else 'the loss'}"
                f": its best was at {axis} {_n(best_at)}, {_n(gap)} {axis}s before the spike. By "
                f"torch's rule (reduce when the bad-epoch count exceeds patience) its first "
                f"reduction comes in the step after {axis} {first}, so the new LR applies from "
                f"{axis} {first + 1} (exact replay) — "
                + (
                    "after the spike had begun."
                    if first + 1 > ev["onset"]
                    else "before the spike, yet the spike still happened."
                )
            )
        else:
            out.append(f"{sched} never reduces the LR over the recorded {axis}s (exact replay).")
    gn = data["series"].get("grad_norm")
    if gn:
        before = [
            v for x, v in zip(gn["x"], gn["y"], strict=False) if x < ev["onset"] and v is not None
        ]
        at = [v for x, v in zip(gn["x"], gn["y"], strict=False) if x == ev["onset"]]
        if before and at and at[0] is not None:
            med = sorted(before)[len(before) // 2]
            out.append(
                f"The logged gradient norm at the spike was {_fmt(at[0])}, "
                f"{at[0] / med:.1f}× its median before it ({_fmt(med)}; observed)."
                + (
                    f" Clipping at max_norm {_fmt(plan['clip_grad_norm'])} scaled "
                    "that update down but did not prevent the jump: clip_grad_norm_ "
                    "limits the step length, not its direction."
                    if plan["clip_grad_norm"] and at[0] > plan["clip_grad_norm"]
                    else ""
                )
            )
    if collapse:
        cev = collapse["evidence"]
        out.append(
            f"After the spike the loss settled at {_fmt(cev['plateau_level'])}, "
            f"{fmt_ratio(cev['ratio_to_first'])} its first value, and stayed within "
            f"{cev['plateau_spread']:.1%} for {cev['plateau_points']} {axis}s (observed). That is "
            "the signature of a collapse to a constant prediction, which no LR schedule "
            "repairs: the options below aim at avoiding the spike, not at leaving the plateau."
        )
    return out


def _option_view(i: int, opt: dict, data: dict) -> dict:
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
    elif "Plateau" in opt["plan"]["scheduler"]:
        facts.append(
            {
                "what": "first LR reduction",
                "value": "none over the recorded epochs",
                "label": "exact replay",
            }
        )
    if rep["lr_at_onset"] is not None:
        obs = rep["observed_lr_at_onset"]
        rel = f" ({rep['lr_at_onset'] / obs:.2f}× the run's {_fmt(obs)})" if obs else ""
        facts.append(
            {
                "what": "LR when the spike began",
                "value": f"{_fmt(rep['lr_at_onset'])}{rel}",
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
    patch = next((p for p in data.get("patches", []) if p["option"] == opt["key"]), None)
    patch_error = patch.get("error") if patch else None
    if patch_error:
        patch = None
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


def _lr_cell(rep: dict) -> str:
    if rep["lr_at_onset"] is None:
        return "n/a"
    mark = " (conditional)" if rep["lr_at_onset_label"] == "conditional replay" else ""
    return _fmt(rep["lr_at_onset"]) + mark


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
        ("Scheduler", [c["plan"]["scheduler"] for c in cols], "config"),
        ("Initial LR", [_fmt(c["plan"]["learning_rate"]) for c in cols], "config"),
        (
            "Gradient clip (max norm)",
            [
                _fmt(c["plan"]["clip_grad_norm"]) if c["plan"]["clip_grad_norm"] else "none"
                for c in cols
            ],
            "config",
        ),
        (
            "LR when the spike began",
            [_lr_cell(c["replay"]) for c in cols],
            "exact replay unless marked",
        ),
        (
            "First LR reduction after epoch",
            [
                str(c["replay"]["first_reduction"])
                if c["replay"]["first_reduction"] is not None
                else "none"
                for c in cols
            ],
            "replay",
        ),
    ]
    if conf:
        t = conf["trials"]
        rows.append(
            (
                "Spiked on the proxy",
                [f"{t[c['key']]['spiked']}/{t[c['key']]['n']}" for c in cols],
                "measured",
            )
        )
        rows.append(
            (
                "Collapsed on the proxy",
                [f"{t[c['key']]['collapsed']}/{t[c['key']]['n']}" for c in cols],
                "measured",
            )
        )
        rows.append(
            (
                "Median best val loss (proxy)",
                [_fmt(t[c["key"]]["median_best_val"]) for c in cols],
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
        if "Cosine" in o["plan"]["scheduler"]:
            watch.append(
                f"the LR should follow the cosine curve, "
                f"{_fmt(rep['lr_at_onset'])} at {axis} {_n(spike['evidence']['onset'])}"
                if spike and rep["lr_at_onset"] is not None
                else "the LR should follow the cosine curve"
            )
        if spike:
            watch.append(
                f"no jump of the loss above 2× its best around {axis} "
                f"{_n(spike['evidence']['onset'])}"
            )
        out.append({"option": o["number"], "title": o["title"], "watch": watch})
    return out


def _fmt(v: float | None) -> str:
    if v is None:
        return "n/a"
    if v == 0:
        return "0"
    return f"{v:.4g}"
