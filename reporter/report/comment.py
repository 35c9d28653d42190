"""The pull-request comment: verdict, charts, comparison table, the recommended diff, a link.

Its size is bounded by construction: every text that comes from the logs or the config is
clipped to a budget before it reaches the template (table cells, timeline rows, diff lines),
tables keep at most ``MAX_ROWS`` rows and ``MAX_COLUMNS`` columns with a note saying what was
left out. A real report's comment is a few thousand characters. Only text made to expand
under Markdown escaping (every character a ``<``, four characters escaped) could push the
table and the timeline past GitHub's limit of 65,536 characters; then the comment is rendered
without them, with a note, and that compact form is bounded at about half the limit: the
texts (7 × ``MAX_TEXT`` × 4), the diff (``MAX_DIFF_LINES`` × ``MAX_DIFF_LINE``), two charts
(≤ 4 lines × ``POINTS`` numbers) and the link (``MAX_LINK``).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from reporter.report.filters import clean_text, code_fence
from reporter.report.mermaid import Line, line_chart

COMMENT_LIMIT = 65_536  # GitHub rejects a comment body longer than this (characters)
MARKER_TAG = "reporter:v1"
MAX_TEXT = 400  # a sentence: verdict, recommendation, a timeline row
MAX_CELL = 120  # a table cell
MAX_ROWS = 12
MAX_COLUMNS = 7  # current + 6 options
MAX_TIMELINE = 8
MAX_DIFF_LINES = 60
MAX_DIFF_LINE = 160
MAX_LINK = 2000


def marker(key: str) -> str:
    """The hidden first line that finds this comment again; ``key`` can never close it.

    >>> marker("runs/a --> b")
    '<!-- reporter:v1 key=runs/a%20--%3E%20b -->'
    """
    return f"<!-- {MARKER_TAG} key={quote(clip(str(key), 200), safe='/')} -->"


def marker_of(body: str) -> str | None:
    """The marker line a comment body starts with, or None."""
    first = body.split("\n", 1)[0].strip()
    return first if re.fullmatch(rf"<!-- {MARKER_TAG} key=[^\s>]* -->", first) else None


def clip(text: Any, limit: int = MAX_TEXT) -> str:
    """``text`` on one line without control characters or ANSI escapes, at most ``limit``
    characters (``…`` marks a cut)."""
    one = " ".join(clean_text(text).split())
    return one if len(one) <= limit else one[: limit - 1] + "…"


def fenced(text: str, lang: str = "") -> str:
    """A Markdown code block whose fence no line inside can close (``filters.code_fence``)."""
    fence = code_fence(text)
    return f"{fence}{lang}\n{text}\n{fence}"


def link(url: str | None) -> str | None:
    """An http(s) URL made safe inside ``[text](url)``, or None."""
    if not url or not re.match(r"https?://", url):
        return None
    return quote(clip(url, MAX_LINK), safe=":/?&=#%+,;~@!$*'")[:MAX_LINK]


def short_diff(diff: str | None, max_lines: int = MAX_DIFF_LINES) -> dict | None:
    """The recommended diff, at most ``max_lines`` lines of ``MAX_DIFF_LINE`` characters."""
    if not diff:
        return None
    lines = clean_text(diff).rstrip("\n").split("\n")
    kept = [line if len(line) <= MAX_DIFF_LINE else line[: MAX_DIFF_LINE - 1] + "…"
            for line in lines[:max_lines]]
    note = (f"{len(lines) - max_lines} more line(s) of the diff are in the full report"
            if len(lines) > max_lines else None)
    return {"block": fenced("\n".join(kept), "diff"), "note": note}


def cell(value: Any) -> dict[str, str]:
    """A comparison cell as ``{text, mark}`` (a plain string has no marker), clipped."""
    if isinstance(value, dict):
        return {"text": clip(value["text"], MAX_CELL), "mark": clip(value.get("mark") or "", 4)}
    return {"text": clip(value, MAX_CELL), "mark": ""}


def short_table(columns: list[str], rows: list[dict], keep: int | None = None) -> dict:
    """The comparison table cut to ``MAX_COLUMNS`` columns (column ``keep`` stays) and
    ``MAX_ROWS`` rows."""
    idx = list(range(len(columns)))
    if len(idx) > MAX_COLUMNS:
        chosen = idx[: MAX_COLUMNS - 1]
        chosen.append(keep if keep is not None and keep not in chosen else idx[MAX_COLUMNS - 1])
        idx = sorted(chosen)
    notes = []
    if len(idx) < len(columns):
        notes.append(f"{len(columns) - len(idx)} column(s) left out")
    if len(rows) > MAX_ROWS:
        notes.append(f"{len(rows) - MAX_ROWS} row(s) left out")
    return {
        "columns": [clip(columns[i], MAX_CELL) for i in idx],
        "rows": [{"name": clip(r["name"], MAX_CELL),
                  "cells": [cell(r["cells"][i]) for i in idx],
                  "label": clip(r.get("label") or "", MAX_CELL)} for r in rows[:MAX_ROWS]],
        "note": "; ".join(notes) + " (the full report has them all)" if notes else None,
    }


def verdict(view: dict) -> dict:
    """The report's verdict line (``report/summary.py``) and its evidence, clipped."""
    summary = view.get("summary") or {}
    said = summary.get("verdict") or {"icon": "", "word": view["severity"],
                                      "line": view["title"]}
    evidence = summary.get("evidence")
    # the comment lists no findings: the others are in the full report, not "below"
    line = re.sub(r"(more findings?) below$", r"\1 in the full report", said["line"])
    return {"mark": f"{said['icon']} {said['word']}".strip(), "text": clip(line),
            "evidence": {"label": evidence["label"], "text": clip(evidence["text"])}
            if evidence else None}


def _series(data: dict, names: list[str]) -> list[Line]:
    """The named curves, epochs counted as the run's log counts them (``run.epoch_base``)."""
    out = []
    for name in names:
        s = data["series"].get(name)
        if s:
            base = data["run"].get("epoch_base", 0) if s["axis"] == "epoch" else 0
            out.append(Line(name, [x + base for x in s["x"]], list(s["y"])))
    return out


def loss_chart(data: dict) -> dict | None:
    """The analysed loss (and its train/val twin): highest value per point, log10 if wide."""
    spike = data["diagnosis"]["primary_spike"]
    first = spike["metric"] if spike else ("val/loss" if "val/loss" in data["series"]
                                           else "train/loss")
    names = [first] + [m for m in ("val/loss", "train/loss") if m != first]
    lines = _series(data, names)
    if not lines:
        return None
    axis = data["series"][lines[0].name]["axis"]
    return line_chart(f"Loss per {axis}", axis, lines, how="max", y_label="loss")


def lr_chart(data: dict) -> dict | None:
    """The LR the run used and the recommended option's replayed LR, on one chart."""
    lines = _series(data, ["lr_used"]) or _series(data, ["lr"])
    if lines:
        lines = [Line("LR as logged", lines[0].x, lines[0].y)]
    rec = data["recommendation"].get("option")
    option = next((o for o in data["options"] if o["key"] == rec), None)
    base = lines[0].x if lines else None
    if option and base is not None and len(option["replay"]["lr"]) == len(base):
        lines.append(Line(f"{clip(option['title'], 60)} (replayed)", base,
                          list(option["replay"]["lr"])))
    if not lines:
        return None
    axis = data["run"]["axis"]
    chart = line_chart(f"Learning rate per {axis}", axis, lines, how="last", y_label="LR")
    if chart and option and len(lines) > 1:
        cond = option["replay"].get("conditional_from")
        if cond is not None and cond < len(base or []):
            chart["caption"] += (f"; the replayed LR is exact up to {axis} {base[cond]:g} and "
                                 "conditional (assuming the recorded metrics) after")
    return chart


def comment_view(data: dict, report_url: str | None = None, key: str | None = None) -> dict:
    """Everything ``md/comment.md.j2`` shows, each text already clipped to its budget."""
    from reporter.report.view import build_view

    view = build_view(data)
    rec = data["recommendation"]
    option = next((o for o in view["options"] if o["key"] == rec.get("option")), None)
    keep = option["number"] if option else None
    comparison = view["comparison"]
    return {
        "marker": marker(key if key is not None else data["run"]["name"]),
        "title": clip(view["title"], 200),
        "run": clip(data["run"]["name"], 120),
        "verdict": verdict(view),
        "timeline": [{"when": clip(r["when"], 60), "what": clip(r["what"])}
                     for r in view["timeline"][:MAX_TIMELINE]],
        "timeline_cut": max(0, len(view["timeline"]) - MAX_TIMELINE),
        "recommendation": {
            "option": f"Option {option['number']}: {clip(option['title'], 120)}" if option
            else None,
            "text": clip(rec.get("text", "")),
            "extra": [clip(e) for e in rec.get("extra", [])[:3]],
            "basis": clip(rec.get("basis", ""), 40),
        },
        "diff": short_diff(option["patch"]["diff"] if option and option["patch"] else None),
        "charts": [c for c in (loss_chart(data), lr_chart(data)) if c],
        "comparison": short_table(comparison["columns"], comparison["rows"], keep)
        if view["options"] else None,
        "legend": [{"mark": m["mark"], "meaning": clip(m["meaning"], 120)}
                   for m in view.get("legend", [])],
        "link": link(report_url),
        "compact": False,
    }


def render_comment(data: dict, report_url: str | None = None, key: str | None = None) -> str:
    """The comment's Markdown; never longer than ``COMMENT_LIMIT`` characters."""
    from reporter.report.render import _env

    template = _env(False).get_template("md/comment.md.j2")
    view = comment_view(data, report_url, key)
    text = re.sub(r"\n{3,}", "\n\n", template.render(v=view))
    if len(text) > COMMENT_LIMIT:  # only text built to expand under escaping gets here
        view.update(timeline=[], timeline_cut=0, comparison=None, compact=True)
        text = re.sub(r"\n{3,}", "\n\n", template.render(v=view))
    return bounded(text)


def bounded(text: str) -> str:
    """``text`` if within the limit; else an internal error (the budgets above keep it so)."""
    if len(text) > COMMENT_LIMIT:
        raise AssertionError(f"PR comment of {len(text)} characters exceeds {COMMENT_LIMIT}: "
                             "a text reached the template without a budget")
    return text
