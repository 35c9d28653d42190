"""Analyze every run under a folder: one report per run, an index ranked by severity with
summary counts and the folders skipped (and why), and one PR comment for the worst runs."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reporter.errors import ReporterError

SEVERITY_RANK = {"critical": 0, "warning": 1, "info": 2}
INDEX_NAMES = {"md": "INDEX.md", "html": "index.html", "json": "index.json",
               "comment": "pr_comment.md"}
MAX_SKIPPED = 50  # folders listed in the index; the count says how many more


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
    report_url: str | None = None,
) -> tuple[list[dict[str, Any]], list[Path]]:
    """Run ``analyze_one(run_path, out_dir)`` for each run; collect one index row per run.

    A run that cannot be read gets a row with its error instead of stopping the others.
    The report dicts of the worst runs so far are kept for the combined PR comment.
    """
    from reporter.ingest.discover import relative_name
    from reporter.report.tree_comment import MAX_DETAILED

    rows: list[dict[str, Any]] = []
    details: dict[str, dict] = {}
    for i, run_path in enumerate(runs, start=1):
        name = relative_name(run_path, root)
        say(f"[{i}/{len(runs)}] {name}")
        target = out / slug(name)
        try:
            analysis = analyze_one(run_path, target)
        except ReporterError as err:
            rows.append({"name": name, "path": _shown(run_path, root), "error": str(err),
                         "severity": "error"})
            say(f"  skipped: {err}")
            continue
        rows.append(_row(name, run_path, root, target, out, analysis, formats))
        if "comment" in formats:
            details[name] = analysis.to_dict()
            keep = {r["name"] for r in sorted(rows, key=_rank)[:MAX_DETAILED]}
            details = {k: v for k, v in details.items() if k in keep}
    rows.sort(key=_rank)
    skipped = skipped_folders(root, runs)
    written = write_index(rows, out, formats, root, skipped=skipped, details=details,
                          report_url=report_url)
    return rows, written


def _shown(path: Path, root: Path) -> str:
    from reporter.report.filters import display_path

    return display_path(path, Path.cwd(), root)


def _row(name: str, run_path: Path, root: Path, target: Path, out: Path, analysis,
         formats: list[str]) -> dict[str, Any]:
    from reporter.report.narrative import extent

    data = analysis.to_dict()
    spike = data["diagnosis"]["primary_spike"]
    findings = data["diagnosis"]["findings"]
    rec = data["recommendation"].get("option")
    return {
        "name": name,
        "path": _shown(run_path, root),
        "report": (target / "TRAINING_INSTABILITY_FIX.md").relative_to(out).as_posix(),
        "html": (target / "report.html").relative_to(out).as_posix(),
        "json": (target / "report.json").relative_to(out).as_posix() if "json" in formats
        else None,
        "format": data["run"]["format"],
        "severity": data["diagnosis"]["severity"],
        "headline": data["headline"],
        "critical": sum(f["severity"] == "critical" for f in findings),
        "spike_ratio": spike["evidence"]["ratio"] if spike else None,
        "recommendation": rec,
        "recommendation_title": next((f"Option {i + 1}: {o['title']}"
                                      for i, o in enumerate(data["options"])
                                      if o["key"] == rec), None),
        "extent": extent(data["run"]),
    }


def _rank(row: dict[str, Any]) -> tuple:
    if row["severity"] == "error":
        return (3, 0, 0.0, row["name"])
    return (SEVERITY_RANK[row["severity"]], -row["critical"], -(row["spike_ratio"] or 0.0),
            row["name"])


def skipped_folders(root: Path, runs: list[Path]) -> list[dict[str, str]]:
    """The topmost folders under ``root`` that hold no run, each with why it was skipped."""
    from reporter.ingest.discover import _SKIP_DIRS

    run_dirs = [(r if r.is_dir() else r.parent).resolve() for r in runs]
    out: list[dict[str, str]] = []

    def holds_run(folder: Path) -> bool:
        real = folder.resolve()
        return any(d == real or real in d.parents or d in real.parents for d in run_dirs)

    def walk(folder: Path) -> None:
        try:
            children = sorted(c for c in folder.iterdir() if c.is_dir())
        except OSError:
            return
        for child in children:
            reason = _skip_reason(child, _SKIP_DIRS)
            if reason is None and holds_run(child):
                if not any(d == child.resolve() for d in run_dirs):
                    walk(child)
                continue
            if reason is None:
                reason = _content_reason([p for p in child.rglob("*") if p.is_file()])
            out.append({"folder": child.relative_to(root).as_posix(), "reason": reason})

    walk(root)
    return out


CONFIG_SUFFIXES = frozenset({".yaml", ".yml", ".toml", ".cfg", ".ini", ".json"})


def _content_reason(files: list[Path]) -> str:
    """Why a folder without a run was skipped, from what it holds."""
    if not files:
        return "empty"
    if all(f.suffix.lower() in CONFIG_SUFFIXES for f in files):
        return (f"{len(files)} config file(s), no log (a run beside them reads its config "
                "from here)")
    return f"no log that reporter reads among its {len(files)} file(s)"


def _skip_reason(folder: Path, skip_names: frozenset[str]) -> str | None:
    if folder.name.startswith("."):
        return "hidden folder (name starts with a dot)"
    if folder.name in skip_names:
        return f"'{folder.name}' folders hold no logs (checkpoints, artifacts, code, …)"
    if folder.is_symlink():
        return "symbolic link (read where it points, once)"
    return None


def write_index(rows: list[dict[str, Any]], out: Path, formats: list[str], root: Path, *,
                skipped: list[dict[str, str]] | None = None,
                details: dict[str, dict] | None = None,
                report_url: str | None = None) -> list[Path]:
    """INDEX.md / index.html / index.json (and the combined pr_comment.md) for the formats
    asked for. Written like the reports (``report/atomic.py``)."""
    from reporter.report.atomic import write_bytes
    from reporter.report.filters import display_path
    from reporter.report.render import index_text
    from reporter.report.tree_comment import counts, render_tree_comment

    skipped = skipped or []
    data = {"root": display_path(root, Path.cwd(), root.parent), "counts": counts(rows),
            "runs": rows, "skipped": skipped[:MAX_SKIPPED],
            "skipped_more": max(0, len(skipped) - MAX_SKIPPED)}
    written = []
    kinds = set(formats) | ({"md"} if "comment" in formats else set())
    for fmt in sorted(kinds):
        if fmt == "json":
            text = json.dumps(data, indent=2) + "\n"
        elif fmt == "comment":
            text = render_tree_comment(data, out, details=details, report_url=report_url)
        else:
            text = index_text(data, fmt)
        written.append(write_bytes(out / INDEX_NAMES[fmt], text.encode("utf-8")))
    return written
