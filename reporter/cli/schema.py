"""``reporter schema``: print the JSON Schema of ``report.json``."""

from __future__ import annotations

import argparse
import json

from reporter.cli import exitcodes


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--version-only", action="store_true",
                        help="print only the schema_version that report.json files carry")


def run(args: argparse.Namespace) -> int:
    if args.version_only:
        from reporter.analysis.model import SCHEMA_VERSION

        print(SCHEMA_VERSION)
        return exitcodes.SUCCESS
    from reporter.analysis.schema import json_schema

    print(json.dumps(json_schema(), indent=2))
    return exitcodes.SUCCESS
