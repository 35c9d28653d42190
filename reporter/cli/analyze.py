"""``reporter analyze PATH... [-o DIR]``: read, diagnose, replay, confirm, write the report."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from reporter.cli import exitcodes
from reporter.errors import UsageError

ALL_FORMATS = ("md", "html", "json", "comment")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", type=Path,
                        help="a log file, a run folder, or a folder of runs (one report each, "
                             "plus an index ranked by severity)")
    parser.add_argument("-o", "--out", type=Path, default=Path("reporter_out"),
                        help="output folder (default: ./reporter_out)")
    parser.add_argument("--format", default="md,html,json",
                        help="comma-separated formats: md, html, json, comment "
                             "(default: md,html,json)")
    parser.add_argument("--config", type=Path, help="the training config, if not beside the logs")
    parser.add_argument("--confirm", default="auto", metavar="auto|off|proxy|ENTRY",
                        help="short confirmation trainings: 'proxy' (a built-in task), 'off', "
                             "an entry point to your own model ('path/to/file.py:function' or "
                             "'package.module:function', see samples/entry_point/), or 'auto' "
                             "(default: proxy for one run, off for a tree of runs)")
    parser.add_argument("--seeds", type=int, default=8, help="seeds per option (default 8)")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1),
                        help="processes for the confirmation trainings (default: up to 2)")
    parser.add_argument("--budget", type=float, default=120.0, metavar="SECONDS",
                        help="wall time for the confirmation trainings (default 120: fits on "
                             "two cores in about two minutes); seeds beyond the minimum are "
                             "cut first, then the last options; the report says what was cut")
    parser.add_argument("--no-cache", dest="no_cache", action="store_true",
                        help="train every confirmation again instead of reading finished ones "
                             "from the trial cache ($REPORTER_CACHE_DIR, else "
                             "$XDG_CACHE_HOME/reporter/trials)")
    parser.add_argument("--executor", default="local", choices=("local", "ray"),
                        help="where the confirmation trainings run: local processes (default) "
                             "or Ray tasks (needs the ray extra)")
    parser.add_argument("--ray-address", dest="ray_address", metavar="ADDRESS",
                        help="the Ray cluster for --executor ray (default: $RAY_ADDRESS, else "
                             "a new local Ray instance)")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"),
                        help="where an entry point's model trains: the GPU when torch sees "
                             "one (auto, the default), the CPU, or cuda (an error without one)")
    parser.add_argument("--resume", metavar="CHECKPOINT",
                        help="rewind every confirmation training of an entry point to this "
                             "torch.save checkpoint from before the spike (see "
                             "samples/entry_point/); needs --resume-epoch")
    parser.add_argument("--resume-epoch", dest="resume_epoch", type=int, metavar="K",
                        help="the number of epochs trained when the checkpoint was saved; "
                             "the trainings start with the next one")
    parser.add_argument("--log-format", dest="log_format",
                        help="force a log reader instead of detecting it (see 'reporter formats')")
    parser.add_argument("--loss", dest="loss_metric", metavar="METRIC",
                        help="the metric to analyse as the training loss: any metric of the "
                             "run, e.g. train/box_om of a YOLOv10 run (default: the run's own "
                             "losses; the report's notes say which was chosen and why)")
    parser.add_argument("--pattern", metavar="REGEX",
                        help="read a plain-text log with this regex: named groups step/epoch/iter "
                             "give the x-axis, the other groups are metrics, e.g. "
                             "'ep (?P<epoch>\\d+) loss (?P<loss>[\\d.eE+-]+)'")
    parser.add_argument("--report-url", dest="report_url", metavar="URL",
                        default=os.environ.get("REPORTER_REPORT_URL"),
                        help="where the PR comment (--format comment) links to the full report, "
                             "e.g. the workflow run's artifact (default: $REPORTER_REPORT_URL)")
    parser.add_argument("--fail-on", dest="fail_on", choices=exitcodes.FAIL_LEVELS,
                        help="exit 1 when a finding at or above this severity exists (a CI "
                             "gate; the reports are written all the same)")
    parser.add_argument("--full-series", dest="full_series", action="store_true",
                        help="keep every logged point in report.json's plot series (default: "
                             "about 4000 points per curve, extremes and changes kept; the "
                             "findings always use every point)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress messages")
    parser.epilog = exitcodes.HELP


def parse_formats(text: str) -> list[str]:
    """``"md, html"`` → ``["md", "html"]``; an unknown name or an empty list is a usage error
    (``compare`` reads its ``--format`` the same way)."""
    formats = [f.strip() for f in text.split(",") if f.strip()]
    bad = [f for f in formats if f not in ALL_FORMATS]
    if bad or not formats:
        raise UsageError(f"--format: unknown {', '.join(bad) or 'empty list'} "
                         f"(choose from {', '.join(ALL_FORMATS)})")
    return formats


def run(args: argparse.Namespace) -> int:
    formats = parse_formats(args.format)
    if args.seeds < 1:
        raise UsageError(f"--seeds must be at least 1, got {args.seeds}")
    if not args.budget > 0:
        raise UsageError(f"--budget must be a positive number of seconds, got {args.budget:g}")

    # no escape sequence in a name reaches the terminal (issue 9, item 10)
    from reporter.report.filters import clean_text

    def say(msg: str) -> None:
        if not args.quiet:
            print(f"reporter: {clean_text(msg)}", file=sys.stderr, flush=True)

    if args.out.exists() and not args.out.is_dir():
        raise UsageError(f"{args.out}: the output folder is an existing file",
                         hint="give -o a folder path")
    jobs = [(path, _runs_in(path, args)) for path in args.paths]
    total = sum(len(runs) for _, runs in jobs)
    if total > 1 and args.config:
        raise UsageError(f"--config applies to one run, but {total} runs were found",
                         hint="give the path of a single run with --config")
    from reporter.report.atomic import staged

    # Everything is rendered in memory first and written at the end, all together: a Ctrl-C
    # or an error before that leaves the output folder as it was (issue 11, item 6).
    listed: list[Path] = []
    severities: list[str] = []
    with staged(args.out) as outputs:
        code = _analyze_jobs(jobs, formats, args, say, listed, severities)
    result = outputs.commit()
    for p in listed:
        print(clean_text(p))
    _tell_previous(result, say)
    failed = exitcodes.failing(severities, args.fail_on)
    if code == exitcodes.SUCCESS and failed:
        print(f"reporter: --fail-on {args.fail_on}: {len(failed)} run(s) with a "
              f"{'critical' if 'critical' in failed else 'warning'} finding", file=sys.stderr)
        return exitcodes.CHECK_FAILED
    return code


def _analyze_jobs(jobs, formats: list[str], args: argparse.Namespace, say,
                  listed: list[Path], severities: list[str]) -> int:
    for path, runs in jobs:
        out = args.out if len(args.paths) == 1 else args.out / path.name
        if len(runs) == 1:
            confirm = "proxy" if args.confirm == "auto" else args.confirm
            analysis = _one(runs[0], out, formats, args, confirm, say, explicit=path,
                            listed=listed)
            severities.append(analysis.diagnosis.severity)
            continue
        from reporter.cli.tree import analyze_tree

        confirm = "off" if args.confirm == "auto" else args.confirm
        if args.confirm == "auto":
            say(f"{len(runs)} runs under {path}: confirmation trainings are off for a tree "
                "(analyze one run, or pass --confirm proxy, to measure)")
        rows, written = analyze_tree(
            path, runs, out, formats,
            lambda run_path, target, c=confirm: _one(run_path, target, formats, args, c,
                                                     say, quiet=True),
            say, report_url=args.report_url)
        listed.extend(written)
        severities.extend(r["severity"] for r in rows)
        if all(r["severity"] == "error" for r in rows):
            return exitcodes.BAD_INPUT
    return exitcodes.SUCCESS


def _tell_previous(result, say) -> None:
    """Say what became of the files an earlier run wrote and this one did not."""
    if result.removed:
        say(f"removed {len(result.removed)} file(s) an earlier run wrote and this one did not: "
            + ", ".join(str(p) for p in result.removed))
    if result.stale:  # shown even with --quiet: these files no longer match the report
        print(f"reporter: stale: {len(result.stale)} file(s) from an earlier run, edited since, "
              "kept (remove them if they are no longer wanted): "
              + ", ".join(str(p) for p in result.stale), file=sys.stderr, flush=True)


def _runs_in(path: Path, args: argparse.Namespace) -> list[Path]:
    """The runs under ``path``: itself when it is a file, a forced format or one run."""
    from reporter.ingest.discover import discover

    if args.log_format or args.pattern or not path.is_dir():
        return [path]
    runs = discover(path)
    return runs if len(runs) > 1 else [path]


def _one(path: Path, out: Path, formats: list[str], args: argparse.Namespace, confirm: str,
         say, *, quiet: bool = False, explicit: Path | None = None,
         listed: list[Path] | None = None):
    from reporter.analysis.pipeline import analyze
    from reporter.cli.progress import TrialBar
    from reporter.report.write import write_outputs

    bar = None if quiet or args.quiet or not sys.stderr.isatty() else TrialBar(sys.stderr)
    try:
        analysis = analyze(explicit or path, config=args.config, confirm=confirm,
                           seeds=args.seeds, workers=args.workers, format=args.log_format,
                           loss_metric=args.loss_metric, pattern=args.pattern,
                           device=args.device, resume=args.resume,
                           resume_epoch=args.resume_epoch, cache=not args.no_cache,
                           budget=args.budget, executor=args.executor,
                           ray_address=args.ray_address, progress=None if quiet else say,
                           trial_progress=bar,
                           full_series=getattr(args, "full_series", False))
    finally:
        if bar is not None:
            bar.close()
    written = write_outputs(analysis, out, formats, report_url=args.report_url)
    if not quiet:
        say(f"{analysis.headline} ({analysis.run.seconds:.1f} s)")
        if listed is not None:
            listed.extend(written)  # printed once they are on disk
    return analysis
