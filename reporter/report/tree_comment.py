"""One PR comment for a folder of runs: the counts, the worst runs in a table, and for the
worst few their verdict, recommendation, diff and loss chart (from their own report.json).

Bounded like a run's comment (``report/comment.py``): at most ``MAX_RUNS`` rows and
``MAX_DETAILED`` detailed runs, each text clipped.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from reporter.report.comment import bounded, clip, link, loss_chart, marker, short_diff

MAX_RUNS = 10
MAX_DETAILED = 3
DETAIL_DIFF_LINES = 20  # per detailed run: three of them stay well within the limit
SEVERITY_WORDS = {"critical": "⛔ critical", "warning": "⚠️ warning", "info": "✅ info",
                  "error": "not read"}


def counts(rows: list[dict]) -> dict[str, int]:
    """Runs per severity (``error``: could not be read), in severity order."""
    out = {s: 0 for s in ("critical", "warning", "info", "error")}
    for r in rows:
        out[r["severity"]] = out.get(r["severity"], 0) + 1
    return out


def _detail(data: dict) -> dict:
    """A worst run's verdict line, recommendation, short diff and loss chart."""
    rec = data["recommendation"]
    option = next((o for o in data["options"] if o["key"] == rec.get("option")), None)
    patch = next((p for p in data["patches"] if option and p["option"] == option["key"]
                  and not p.get("error")), None)
    first = data["diagnosis"]["findings"][0]["title"] if data["diagnosis"]["findings"] else \
        data["headline"]
    return {"verdict": clip(first), "recommendation": clip(rec.get("text", "")),
            "diff": short_diff(patch["diff"] if patch else None, DETAIL_DIFF_LINES),
            "chart": loss_chart(data)}


def _load(base: Path | None, row: dict) -> dict | None:
    if base is None or not row.get("json"):
        return None
    try:
        return json.loads((base / row["json"]).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def tree_comment_view(index: dict, details: dict[str, dict] | None = None,
                      base: Path | None = None, report_url: str | None = None,
                      key: str | None = None) -> dict[str, Any]:
    """``index`` is index.json; each detailed run's report dict comes from ``details`` (by
    run name) or from its report.json below ``base``."""
    rows = index["runs"]
    worst = [r for r in rows if r["severity"] in ("critical", "warning")]
    detailed = []
    for r in worst[:MAX_DETAILED]:
        data = (details or {}).get(r["name"]) or _load(base, r)
        if data is not None:
            detailed.append({"name": clip(r["name"], 120), **_detail(data)})
    return {
        "marker": marker(key if key is not None else f"tree {Path(index['root']).name}"),
        "root": clip(Path(index["root"]).name, 120),
        "counts": counts(rows),
        "total": len(rows),
        "rows": [{"name": clip(r["name"], 120), "severity": SEVERITY_WORDS.get(r["severity"],
                  r["severity"]), "finding": clip(r.get("headline") or r.get("error", ""), 160),
                  "option": clip(r.get("recommendation_title") or "", 80)}
                 for r in rows[:MAX_RUNS]],
        "rows_cut": max(0, len(rows) - MAX_RUNS),
        "skipped": len(index.get("skipped", [])),
        "detailed": detailed,
        "link": link(report_url),
    }


def render_tree_comment(index: dict, base: Path | None = None, *,
                        details: dict[str, dict] | None = None, report_url: str | None = None,
                        key: str | None = None) -> str:
    """The combined comment's Markdown (``md/index_comment.md.j2``)."""
    from reporter.report.render import _env

    view = tree_comment_view(index, details, base, report_url, key)
    text = _env(False).get_template("md/index_comment.md.j2").render(v=view)
    return bounded(re.sub(r"\n{3,}", "\n\n", text))
