"""``reporter compare BASE HEAD``: the same analysis of two runs (before and after a fix),
their curves overlaid and a one-line verdict, as Markdown, HTML, JSON and a PR comment."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from reporter.cli import exitcodes
from reporter.errors import UsageError

NAMES = {"md": "COMPARISON.md", "html": "comparison.html", "json": "comparison.json",
         "comment": "pr_comment.md"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("base", type=Path, help="the run before (a log file or a run folder)")
    parser.add_argument("head", type=Path, help="the run after, e.g. with an option applied")
    parser.add_argument("-o", "--out", type=Path, default=Path("reporter_compare"),
                        help="output folder (default: ./reporter_compare)")
    parser.add_argument("--format", default="md,html,json",
                        help="comma-separated: md, html, json, comment (default: md,html,json)")
    parser.add_argument("--loss", dest="loss_metric", metavar="METRIC",
                        help="the metric to analyse as the loss in both runs")
    parser.add_argument("--log-format", dest="log_format",
                        help="force a log reader for both runs (see 'reporter formats')")
    parser.add_argument("--report-url", dest="report_url", metavar="URL",
                        default=os.environ.get("REPORTER_REPORT_URL"),
                        help="where the PR comment links to the full comparison")
    parser.add_argument("--fail-on", dest="fail_on", choices=exitcodes.FAIL_LEVELS,
                        help="exit 1 when HEAD has a finding at or above this severity")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress messages")
    parser.epilog = ("The verdict compares the findings at warning or critical severity kind "
                     "by kind: gone, reduced, still there (or appeared). " + exitcodes.HELP)


def run(args: argparse.Namespace) -> int:
    from reporter.cli.analyze import parse_formats

    formats = parse_formats(args.format)
    if args.out.exists() and not args.out.is_dir():
        raise UsageError(f"{args.out}: the output folder is an existing file",
                         hint="give -o a folder path")
    from reporter.analysis.pipeline import analyze
    from reporter.report.atomic import staged
    from reporter.report.compare import compare, render_compare

    data = {}
    for tag, path in (("BASE", args.base), ("HEAD", args.head)):
        if not args.quiet:
            print(f"reporter: {tag} {path}", file=sys.stderr, flush=True)
        data[tag] = analyze(path, confirm="off", format=args.log_format,
                            loss_metric=args.loss_metric).to_dict()
    doc = compare(data["BASE"], data["HEAD"])
    from reporter.report.atomic import write_bytes

    with staged(args.out) as outputs:
        written = [write_bytes(args.out / NAMES[f], render_compare(
            doc, f, report_url=args.report_url).encode("utf-8")) for f in formats]
    outputs.commit()
    verdict = doc["comparison"]["verdict"]
    print(f"{verdict['line']}. {verdict['detail']}")
    for p in written:
        print(p, file=sys.stderr)
    if exitcodes.failing([data["HEAD"]["diagnosis"]["severity"]], args.fail_on):
        print(f"reporter: --fail-on {args.fail_on}: HEAD has a "
              f"{data['HEAD']['diagnosis']['severity']} finding", file=sys.stderr)
        return exitcodes.CHECK_FAILED
    return exitcodes.SUCCESS
