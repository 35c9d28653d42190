"""``reporter formats``: the log formats reporter reads and how each is recognised."""

from __future__ import annotations

import argparse

from reporter.cli import exitcodes


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print as JSON")


def run(args: argparse.Namespace) -> int:
    from reporter.ingest import formats

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
