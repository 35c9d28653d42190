"""``reporter comment SOURCE [--pr N]``: post or update the one PR comment on GitHub.

SOURCE is what reporter wrote: a run's ``report.json``, a comparison's ``comparison.json``,
a tree's ``index.json`` (rendered here, with ``--report-url`` as the link to the full
report), or a comment already rendered (``pr_comment.md``). The comment is found again by
its marker, its first line, and edited in place (``report/github.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from reporter.cli import exitcodes
from reporter.errors import UsageError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", type=Path,
                        help="report.json, comparison.json, index.json, or a rendered "
                             "pr_comment.md")
    parser.add_argument("--pr", type=int, metavar="N",
                        help="the pull request number (default: from the workflow's event "
                             "file, $GITHUB_EVENT_PATH)")
    parser.add_argument("--report-url", dest="report_url", metavar="URL",
                        default=os.environ.get("REPORTER_REPORT_URL"),
                        help="link to the full report, e.g. the workflow run's artifact "
                             "(default: $REPORTER_REPORT_URL; for a .json SOURCE)")
    parser.add_argument("--key", help="the key in the comment's marker (default: the run's "
                                      "name); one comment per key and pull request")
    parser.add_argument("--author", metavar="LOGIN",
                        help="only a comment by this user counts as ours, e.g. "
                             "'github-actions[bot]' (default: anyone's)")
    parser.add_argument("--head-sha", dest="head_sha", metavar="SHA",
                        help="post only if the pull request's head is this commit (the one "
                             "analysed; for a workflow_run job, whose PR number comes from an "
                             "artifact)")
    parser.add_argument("--print", dest="print_only", action="store_true",
                        help="print the comment instead of posting it (no token needed)")
    parser.epilog = ("environment: GITHUB_TOKEN (needs pull-requests: write), "
                     "GITHUB_REPOSITORY (owner/name), GITHUB_API_URL (default "
                     "https://api.github.com), GITHUB_EVENT_PATH. " + exitcodes.HELP)


def run(args: argparse.Namespace) -> int:
    from reporter.report.comment import COMMENT_LIMIT, marker_of

    body = comment_body(args.source, args.report_url, args.key)
    if len(body) > COMMENT_LIMIT:
        raise UsageError(f"{args.source}: {len(body):,} characters, more than GitHub's "
                         f"{COMMENT_LIMIT:,}")
    mark = marker_of(body)
    if mark is None:
        raise UsageError(f"{args.source}: not a reporter comment (its first line is not the "
                         "'<!-- reporter:v1 key=... -->' marker)")
    if args.print_only:
        sys.stdout.write(body if body.endswith("\n") else body + "\n")
        return exitcodes.SUCCESS
    from reporter.report.github import check_head, target_from_env, upsert_comment

    target = target_from_env(args.pr)
    if args.head_sha:
        check_head(target, args.head_sha)
    action, comment = upsert_comment(target, body, mark, args.author)
    print(f"reporter: {action} comment {comment.get('id')} on {target.repo}#{target.number}",
          file=sys.stderr)
    if comment.get("html_url"):
        print(comment["html_url"])
    return exitcodes.SUCCESS


def comment_body(source: Path, report_url: str | None, key: str | None) -> str:
    """The comment for ``source``: rendered from reporter's JSON, or read as written."""
    from reporter.report.comment import marker, marker_of

    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise UsageError(f"{source}: cannot read ({getattr(err, 'strerror', None) or err})"
                         ) from err
    if source.suffix != ".json":  # rendered already: its link stays as it is
        if key is not None and marker_of(text):
            text = marker(key) + text[len(text.split("\n", 1)[0]):]
        return text
    try:
        data = json.loads(text)
    except ValueError as err:
        raise UsageError(f"{source}: not JSON ({err})") from err
    try:
        return _render(source, data, report_url, key)
    except (KeyError, TypeError, IndexError) as err:
        raise UsageError(f"{source}: not as reporter writes it ({type(err).__name__}: {err})",
                         hint="render it with the reporter version that wrote it") from err


def _render(source: Path, data: object, report_url: str | None, key: str | None) -> str:
    if isinstance(data, dict) and "comparison" in data:
        from reporter.report.compare import render_compare

        return render_compare(data, "comment", report_url=report_url, key=key)
    if isinstance(data, dict) and "runs" in data and "root" in data:
        from reporter.report.tree_comment import render_tree_comment

        return render_tree_comment(data, source.parent, report_url=report_url, key=key)
    if isinstance(data, dict) and "diagnosis" in data and "run" in data:
        from reporter.analysis.model import SCHEMA_VERSION
        from reporter.report.comment import render_comment

        if data.get("schema_version") != SCHEMA_VERSION:
            raise UsageError(f"{source}: schema_version {data.get('schema_version')!r}, this "
                             f"reporter reads {SCHEMA_VERSION}",
                             hint="render it with the reporter version that wrote it")

        return render_comment(data, report_url, key)
    raise UsageError(f"{source}: not a report.json, comparison.json or index.json written by "
                     "reporter")
