"""Two runs side by side (``reporter compare BASE HEAD``): the same detectors on both, their
findings compared kind by kind, the loss curves and LR paths overlaid, and a one-line verdict.

The verdict compares findings at warning or critical severity, per kind (spike, collapse,
divergence, …; overfitting is listed but not counted: it is not a training instability, as
the report says), by their worst severity and then their count:

- **gone**: HEAD has none of them;
- **reduced**: no kind is worse or new in HEAD and at least one is milder or rarer;
- **still there**: anything else while BASE had some (a kind as bad as before, worse, or new);
- **appeared**: BASE had none and HEAD has some; **none**: neither has any.

Everything is observed in the two logs; nothing is replayed or measured here.
"""

from __future__ import annotations

import math
import re
from typing import Any

from reporter.report.comment import clip, link, marker
from reporter.report.mermaid import Line, line_chart

RANK = {"warning": 1, "critical": 2}
NOT_INSTABILITY = frozenset({"overfitting"})
CHANGE_WORDS = {"gone": "gone", "milder": "milder", "rarer": "fewer", "same": "unchanged",
                "worse": "worse", "more": "more", "new": "new"}
VERDICT_ICONS = {"gone": "✅", "reduced": "🟡", "still there": "⛔", "appeared": "⛔",
                 "none": "✅"}
SVG_W, SVG_H, SVG_PAD = 640, 220, 36


def compare(base: dict, head: dict) -> dict[str, Any]:
    """The comparison document (``comparison.json``): both analyses and what changed."""
    rows = _kind_rows(base, head)
    return {"comparison": {"verdict": _verdict(rows, base, head), "kinds": rows,
                           "base_name": base["run"]["name"], "head_name": head["run"]["name"]},
            "base": base, "head": head}


def _worst(data: dict) -> dict[str, dict]:
    """Per kind: worst severity, count, and the first such finding's title (≥ warning)."""
    out: dict[str, dict] = {}
    for f in data["diagnosis"]["findings"]:
        if f["severity"] not in RANK:
            continue
        row = out.setdefault(f["kind"], {"severity": f["severity"], "count": 0,
                                         "title": f["title"]})
        row["count"] += 1
        if RANK[f["severity"]] > RANK[row["severity"]]:
            row.update(severity=f["severity"], title=f["title"])
    return out


def _change(b: dict | None, h: dict | None) -> str:
    if b is None:
        return "new"
    if h is None:
        return "gone"
    rb, rh = RANK[b["severity"]], RANK[h["severity"]]
    if rh != rb:
        return "milder" if rh < rb else "worse"
    if h["count"] != b["count"]:
        return "rarer" if h["count"] < b["count"] else "more"
    return "same"


def _kind_rows(base: dict, head: dict) -> list[dict]:
    wb, wh = _worst(base), _worst(head)
    kinds = sorted(set(wb) | set(wh), key=lambda k: (
        -max(RANK[wb[k]["severity"]] if k in wb else 0, RANK[wh[k]["severity"]] if k in wh
             else 0), k))
    return [{"kind": k, "base": wb.get(k), "head": wh.get(k), "change": _change(wb.get(k),
             wh.get(k))} for k in kinds]


def _said(side: dict | None) -> str:
    return "none" if side is None else f"{side['count']} {side['severity']}"


def _verdict(rows: list[dict], base: dict, head: dict) -> dict[str, str]:
    rows = [r for r in rows if r["kind"] not in NOT_INSTABILITY]
    had = [r for r in rows if r["base"]]
    has = [r for r in rows if r["head"]]
    changes = {r["change"] for r in rows}
    if not had:
        status = "appeared" if has else "none"
    elif not has:
        status = "gone"
    elif changes <= {"gone", "milder", "rarer", "same"} and changes & {"gone", "milder",
                                                                        "rarer"}:
        status = "reduced"
    else:
        status = "still there"
    kinds = {r["kind"]: r for r in rows}

    def listed(side: str) -> str:
        return ", ".join(f"{k.replace('_', ' ')} ({_said(r[side])})" for k, r in kinds.items()
                         if r[side]) or "no finding at warning or critical"

    line = {
        "gone": "The instability is gone",
        "reduced": "The instability is reduced",
        "still there": "The instability is still there",
        "appeared": "An instability appeared",
        "none": "No instability in either run",
    }[status]
    worse = [r["kind"].replace("_", " ") for r in rows if r["change"] in ("worse", "more", "new")]
    if status == "still there" and worse:
        line += f", and worse in {', '.join(worse)}"
    detail = (f"BASE {clip(base['run']['name'], 80)}: {listed('base')}; HEAD "
              f"{clip(head['run']['name'], 80)}: {listed('head')} (observed in both logs by "
              "the same detectors).")
    return {"status": status, "icon": VERDICT_ICONS[status], "line": line,
            "detail": clip(detail, 600)}


def _loss_name(data: dict) -> str | None:
    spike = data["diagnosis"]["primary_spike"]
    if spike:
        return spike["metric"]
    return next((m for m in ("val/loss", "train/loss") if m in data["series"]),
                next((m for m in data["series"] if m.endswith("loss")), None))


def _lines(data: dict, names: list[str | None], tag: str, shown: str | None = None
           ) -> list[Line]:
    """The first of ``names`` the run logged, as ``"{tag} {shown or name}"``."""
    for name in names:
        s = data["series"].get(name) if name else None
        if s:
            base = data["run"].get("epoch_base", 0) if s["axis"] == "epoch" else 0
            return [Line(f"{tag} {shown or name}", [x + base for x in s["x"]], list(s["y"]))]
    return []


def overlay(doc: dict) -> dict[str, list[Line]]:
    """The curves to overlay: the analysed loss of each run, and each run's LR."""
    base, head = doc["base"], doc["head"]
    loss = _lines(base, [_loss_name(base)], "BASE") + _lines(head, [_loss_name(head)], "HEAD")
    lr = (_lines(base, ["lr_used", "lr"], "BASE", "LR")
          + _lines(head, ["lr_used", "lr"], "HEAD", "LR"))
    return {"loss": loss, "lr": lr}


def _axis(doc: dict) -> str:
    return doc["head"]["run"]["axis"]


def mermaid_charts(doc: dict) -> list[dict]:
    curves = overlay(doc)
    axis = _axis(doc)
    charts = [line_chart(f"Loss per {axis}: BASE and HEAD", axis, curves["loss"], how="max",
                         y_label="loss"),
              line_chart(f"Learning rate per {axis}: BASE and HEAD", axis, curves["lr"],
                         how="last", y_label="LR")]
    return [c for c in charts if c]


def svg_chart(lines: list[Line], *, logy: bool) -> dict | None:
    """Polylines in a ``SVG_W`` × ``SVG_H`` box for the HTML (the template draws them)."""
    pts = [(x, y) for line in lines for x, y in zip(line.x, line.y, strict=False)
           if y is not None and (y > 0 or not logy)]
    if not pts:
        return None
    tf = (lambda v: math.log10(v)) if logy else (lambda v: v)
    xs, ys = [p[0] for p in pts], [tf(p[1]) for p in pts]
    x0, x1 = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1
    y0, y1 = min(ys), max(ys)
    if y1 <= y0:  # a constant curve: a band around it (±10 %, or ±1 at zero or on log10)
        half = 0.04 if logy else (abs(y0) * 0.1 or 1.0)
        y0, y1 = y0 - half, y1 + half

    def px(x: float, y: float) -> str:
        sx = SVG_PAD + (x - x0) / (x1 - x0) * (SVG_W - 2 * SVG_PAD)
        sy = SVG_H - SVG_PAD - (tf(y) - y0) / (y1 - y0) * (SVG_H - 2 * SVG_PAD)
        return f"{sx:.1f},{sy:.1f}"

    polylines = [{"name": line.name, "points": " ".join(
        px(x, y) for x, y in zip(line.x, line.y, strict=False)
        if y is not None and (y > 0 or not logy))} for line in lines]
    fmt = (lambda v: f"{10 ** v:.3g}") if logy else (lambda v: f"{v:.3g}")
    return {"w": SVG_W, "h": SVG_H, "pad": SVG_PAD, "lines": polylines,
            "x0": f"{x0:g}", "x1": f"{x1:g}", "y0": fmt(y0), "y1": fmt(y1), "logy": logy}


def compare_view(doc: dict, report_url: str | None = None, key: str | None = None) -> dict:
    """What the compare templates show (Markdown, HTML, comment)."""
    from reporter.report.mermaid import log_scale

    comp = doc["comparison"]
    curves = overlay(doc)
    sides = []
    for tag in ("base", "head"):
        data = doc[tag]
        rec = data["recommendation"]
        sides.append({"tag": tag.upper(), "name": clip(data["run"]["name"], 120),
                      "source": clip(data["run"]["source"], 200),
                      "headline": clip(data["headline"], 200),
                      "severity": data["diagnosis"]["severity"],
                      "recommendation": clip(rec.get("text", "")),
                      "scheduler": clip(data["current"]["plan"]["scheduler"], 160),
                      "lr": data["current"]["plan"]["learning_rate"]})
    return {
        "marker": marker(key if key is not None else
                         f"compare {comp['base_name']} {comp['head_name']}"),
        "verdict": comp["verdict"],
        "kinds": [{"kind": r["kind"].replace("_", " ") + (
                       " (not an instability)" if r["kind"] in NOT_INSTABILITY else ""),
                   "base": _said(r["base"]),
                   "head": _said(r["head"]), "change": CHANGE_WORDS[r["change"]],
                   "title": clip((r["head"] or r["base"])["title"], 200)}
                  for r in comp["kinds"][:20]],
        "kinds_cut": max(0, len(comp["kinds"]) - 20),
        "sides": sides,
        "axis": _axis(doc),
        "charts": mermaid_charts(doc),
        "svg": {"loss": svg_chart(curves["loss"], logy=log_scale(
                    [[v for v in line.y] for line in curves["loss"]])),
                "lr": svg_chart(curves["lr"], logy=False)},
        "link": link(report_url),
    }


COMPARE_TEMPLATES = {"md": "md/compare.md.j2", "html": "html/compare.html.j2",
                     "comment": "md/compare_comment.md.j2"}


def render_compare(doc: dict, fmt: str, *, report_url: str | None = None,
                   key: str | None = None) -> str:
    """``doc`` (from :func:`compare`) as ``md``, ``html``, ``comment`` or ``json``."""
    import json

    from reporter.report.comment import bounded
    from reporter.report.render import _env

    if fmt == "json":
        return json.dumps(doc, indent=2, allow_nan=False) + "\n"
    view = compare_view(doc, report_url, key)
    text = _env(fmt == "html").get_template(COMPARE_TEMPLATES[fmt]).render(v=view)
    if fmt == "html":
        return text
    text = re.sub(r"\n{3,}", "\n\n", text)
    return bounded(text) if fmt == "comment" else text
