"""Analyze every run under a folder: one report per run and an index ranked by severity."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reporter.errors import ReporterError

SEVERITY_RANK = {"critical": 0, "warning": 1, "info": 2}
INDEX_NAMES = {"md": "INDEX.md", "html": "index.html", "json": "index.json"}


def slug(name: str) -> str:
    """A folder name for a run's report (its path below the root, made safe)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "run"


def analyze_tree(
    root: Path,
    runs: list[Path],
    out: Path,
    formats: list[str],
    analyze_one: Callable[[Path, Path], Any],
    say: Callable[[str], None],
) -> tuple[list[dict[str, Any]], list[Path]]:
    """Run ``analyze_one(run_path, out_dir)`` for each run; collect one index row per run.

    A run that cannot be read gets a row with its error instead of stopping the others.
    """
    from reporter.ingest.discover import relative_name

    rows: list[dict[str, Any]] = []
    for i, run_path in enumerate(runs, start=1):
        name = relative_name(run_path, root)
        say(f"[{i}/{len(runs)}] {name}")
        target = out / slug(name)
        try:
            analysis = analyze_one(run_path, target)
        except ReporterError as err:
            rows.append({"name": name, "path": str(run_path), "error": str(err),
                         "severity": "error"})
            say(f"  skipped: {err}")
            continue
        rows.append(_row(name, run_path, target, out, analysis))
    rows.sort(key=_rank)
    written = write_index(rows, out, formats, root)
    return rows, written


def _row(name: str, run_path: Path, target: Path, out: Path, analysis) -> dict[str, Any]:
    from reporter.report.narrative import extent

    data = analysis.to_dict()
    spike = data["diagnosis"]["primary_spike"]
    findings = data["diagnosis"]["findings"]
    return {
        "name": name,
        "path": str(run_path),
        "report": str((target / "TRAINING_INSTABILITY_FIX.md").relative_to(out)),
        "html": str((target / "report.html").relative_to(out)),
        "format": data["run"]["format"],
        "severity": data["diagnosis"]["severity"],
        "headline": data["headline"],
        "critical": sum(f["severity"] == "critical" for f in findings),
        "spike_ratio": spike["evidence"]["ratio"] if spike else None,
        "recommendation": data["recommendation"].get("option"),
        "extent": extent(data["run"]),
    }


def _rank(row: dict[str, Any]) -> tuple:
    if row["severity"] == "error":
        return (3, 0, 0.0, row["name"])
    return (SEVERITY_RANK[row["severity"]], -row["critical"], -(row["spike_ratio"] or 0.0),
            row["name"])


def write_index(rows: list[dict[str, Any]], out: Path, formats: list[str], root: Path
                ) -> list[Path]:
    """INDEX.md / index.html / index.json for the formats asked for (comment counts as md).

    Written like the reports (``report/atomic.py``): atomically, a changed file kept as .bak.
    """
    from reporter.report.atomic import write_bytes
    from reporter.report.render import index_text

    written = []
    data = {"root": str(root), "runs": rows}
    kinds = {"md" if f == "comment" else f for f in formats}
    for fmt in sorted(kinds):
        text = (json.dumps(data, indent=2) + "\n" if fmt == "json" else index_text(data, fmt))
        written.append(write_bytes(out / INDEX_NAMES[fmt], text.encode("utf-8")))
    return written
