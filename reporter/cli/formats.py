"""``reporter formats``: the log formats reporter reads and how each is recognised."""

from __future__ import annotations

import argparse

from reporter.cli import exitcodes


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print as JSON")
    parser.add_argument("--explain", metavar="FILE",
                        help="say which format reads FILE and, for a text log, which line "
                             "templates it holds")


def _explain(path: str) -> int:
    from pathlib import Path

    from reporter.errors import LogFormatError
    from reporter.ingest import text_log
    from reporter.ingest.registry import detect

    if not Path(path).exists():
        raise LogFormatError(path, "no such file or directory")
    scores = detect(path)
    if not scores:
        print(f"{path}: no format claims this file")
    for score, format_id in scores:
        print(f"{path}: {format_id} (score {score:.2f})")
    if Path(path).is_file() and (not scores or scores[0][1] == text_log.ID):
        for line in text_log.explain(Path(path)):
            print(f"  {line}")
    return exitcodes.SUCCESS


def run(args: argparse.Namespace) -> int:
    from reporter.ingest import formats

    if args.explain:
        return _explain(args.explain)

    rows = [{"id": f.id, "description": f.description, "reads": f.reads,
             "detect": f.detected_by} for f in formats()]
    if args.json:
        import json

        print(json.dumps(rows, indent=2))
        return exitcodes.SUCCESS
    width = max(len(r["id"]) for r in rows)
    for r in rows:
        print(f"{r['id']:<{width}}  {r['description']}")
        print(f"{'':<{width}}  reads: {r['reads']}")
        print(f"{'':<{width}}  detected by: {r['detect']}")
    return exitcodes.SUCCESS
