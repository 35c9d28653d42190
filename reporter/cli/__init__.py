"""Every ``reporter`` command, argument parsing, progress and the exception → exit-code ladder.

No logic of its own: each command parses its arguments and calls the stage packages.
"""

from reporter.cli.main import COMMANDS, main

__all__ = ["COMMANDS", "main"]
