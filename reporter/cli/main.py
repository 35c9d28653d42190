"""The ``reporter`` command: argument parsing, exit codes, nothing else.

Sub-commands are imported only when chosen, so ``reporter --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import textwrap
from collections.abc import Sequence

from reporter.cli import exitcodes
from reporter.errors import ReporterError, UsageError, suggest

# name -> (module with add_arguments(parser) and run(args) -> int, one-line summary)
COMMANDS: dict[str, tuple[str, str]] = {
    "analyze": ("reporter.cli.analyze", "analyze a run's logs and write the fix report"),
    "replay": ("reporter.cli.replay", "preview or replay an LR schedule, no report"),
    "formats": ("reporter.cli.formats", "list the log formats reporter reads"),
    "compare": ("reporter.cli.compare", "compare two runs (before and after a fix): curves, "
                "findings, a verdict"),
    "comment": ("reporter.cli.comment", "post or update the pull-request comment on GitHub"),
    "schema": ("reporter.cli.schema", "print the JSON Schema of report.json"),
}

PROG = "reporter"


def _top_parser() -> argparse.ArgumentParser:
    lines = "\n".join(f"  {name:<10} {summary}" for name, (_, summary) in COMMANDS.items())
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Turn what a training run left behind into a computed fix report.",
        epilog=f"commands:\n{lines}\n\nrun '{PROG} COMMAND --help' for a command's options\n\n"
        + textwrap.fill(exitcodes.HELP, 79),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument("command", nargs="?", help="one of: " + ", ".join(COMMANDS))
    return parser


def _command_parser(name: str, summary: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"{PROG} {name}", description=summary)
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code (see ``reporter.cli.exitcodes``)."""
    args_in = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args_in
    try:
        return _dispatch(args_in)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return exitcodes.INTERRUPTED
    except BrokenPipeError:
        return exitcodes.SUCCESS
    except ReporterError as err:
        hint = f" (hint: {err.hint})" if err.hint else ""
        from reporter.report.filters import clean_text  # a name's escapes stay out of the terminal

        print(clean_text(f"{PROG}: error: {err}{hint}"), file=sys.stderr)
        return err.exit_code
    except Exception as err:  # the one place that turns any failure into an exit code
        if debug:
            import traceback

            traceback.print_exc()
        print(f"{PROG}: internal error: {type(err).__name__}: {err}", file=sys.stderr)
        if not debug:
            print(f"{PROG}: rerun with --debug for the traceback", file=sys.stderr)
        return exitcodes.INTERNAL_ERROR


def _dispatch(args_in: list[str]) -> int:
    if not args_in or args_in[0].startswith("-"):
        top = _top_parser()
        try:
            ns = top.parse_args(args_in[:1] if args_in else [])
        except SystemExit as exc:
            return int(exc.code or 0)
        if ns.version:
            from reporter import __version__

            print(f"{PROG} {__version__}")
            return exitcodes.SUCCESS
        top.print_help(sys.stderr if not args_in else sys.stdout)
        return exitcodes.SUCCESS if args_in else exitcodes.BAD_INPUT
    name, rest = args_in[0], args_in[1:]
    if name not in COMMANDS:
        hint = suggest(name, COMMANDS)
        raise UsageError(f"unknown command {name!r} (choose from {', '.join(COMMANDS)})",
                         hint=hint)
    module_name, summary = COMMANDS[name]
    module = importlib.import_module(module_name)
    parser = _command_parser(name, summary)
    module.add_arguments(parser)
    try:
        args = parser.parse_args(rest)
    except SystemExit as exc:
        return int(exc.code or 0)
    code = module.run(args)
    assert isinstance(code, int), f"{module_name}.run returned {code!r}"
    return code


if __name__ == "__main__":
    raise SystemExit(main())
