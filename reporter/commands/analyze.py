"""``reporter analyze PATH... [-o DIR]``: read, diagnose, replay, confirm, write the report."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from reporter import exitcodes
from reporter.errors import UsageError

ALL_FORMATS = ("md", "html", "json", "comment")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", type=Path, help="a log file or a run folder")
    parser.add_argument("-o", "--out", type=Path, default=Path("reporter_out"),
                        help="output folder (default: ./reporter_out)")
    parser.add_argument("--format", default="md,html,json",
                        help="comma-separated formats: md, html, json, comment "
                             "(default: md,html,json)")
    parser.add_argument("--config", type=Path, help="the training config, if not beside the logs")
    parser.add_argument("--confirm", default="proxy", choices=("off", "proxy"),
                        help="run short confirmation trainings on the proxy task (default) or not")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per option (default 3)")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1),
                        help="processes for the confirmation trainings (default: up to 2)")
    parser.add_argument("--log-format", dest="log_format",
                        help="force a log reader instead of detecting it (see 'reporter formats')")
    parser.add_argument("--loss", dest="loss_metric", metavar="METRIC",
                        help="the metric to analyse as the training loss, when the logs have "
                             "no train/val loss reporter recognises")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress messages")


def run(args: argparse.Namespace) -> int:
    from reporter.pipeline import analyze
    from reporter.report.write import write_outputs

    formats = [f.strip() for f in args.format.split(",") if f.strip()]
    bad = [f for f in formats if f not in ALL_FORMATS]
    if bad or not formats:
        raise UsageError(f"--format: unknown {', '.join(bad) or 'empty list'} "
                         f"(choose from {', '.join(ALL_FORMATS)})")
    if args.seeds < 1:
        raise UsageError(f"--seeds must be at least 1, got {args.seeds}")
    if len(args.paths) > 1 and args.config:
        raise UsageError("--config applies to one run; give one path with it")

    def say(msg: str) -> None:
        if not args.quiet:
            print(f"reporter: {msg}", file=sys.stderr, flush=True)

    for path in args.paths:
        out = args.out if len(args.paths) == 1 else args.out / path.name
        analysis = analyze(path, config=args.config, confirm=args.confirm, seeds=args.seeds,
                           workers=args.workers, format=args.log_format,
                           loss_metric=args.loss_metric, progress=say)
        setup = analysis.internals.get("setup")
        changes = analysis.internals.get("option_changes")
        written = write_outputs(analysis, out, formats, setup=setup, option_changes=changes)
        say(f"{analysis.headline} ({analysis.run['seconds']:.1f} s)")
        for p in written:
            print(p)
    return exitcodes.SUCCESS
