"""Errors the command line turns into one-line messages and exit codes.

A leaf module: it imports nothing from the package.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

# the name to `pip install` (the import package and the command are `reporter`; the distribution
# `reporter` on the package index is an unrelated project)
DISTRIBUTION = "training-fix-reporter"


class ReporterError(Exception):
    """Base of every error the user is meant to read; carries an optional hint."""

    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class UsageError(ReporterError):
    """A bad option or argument on the command line or in a library call."""


class LogFormatError(ReporterError, ValueError):
    """A file that cannot be read as the format it claims (or any format).

    The text ends with the location: ``path:line``, ``path: record N`` or just ``path``.
    """

    def __init__(
        self,
        path: object,
        reason: str,
        *,
        line: int | None = None,
        record: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.path = str(path)
        self.reason = reason
        self.line = line
        self.record = record
        if line is not None:
            where = f"{self.path}:{line}"
        elif record is not None:
            where = f"{self.path}: record {record}"
        else:
            where = self.path
        super().__init__(f"{where}: {reason}", hint=hint)


class ConfigError(LogFormatError):
    """A training config that exists but cannot be read or mapped."""


class MissingDependencyError(ReporterError):
    """An optional library is needed for this input or action."""

    def __init__(self, package: str, purpose: str, extra: str | None = None) -> None:
        install = f"pip install '{DISTRIBUTION}[{extra}]'" if extra else f"pip install {package}"
        super().__init__(f"{purpose} needs the package {package!r}", hint=f"install it: {install}")


class CheckFailed(ReporterError):
    """A check the user asked for did not pass (exit code 1)."""

    exit_code = 1


def suggest(word: str, choices: Iterable[str]) -> str | None:
    """Return ``"did you mean 'x'?"`` for the closest choice, or None."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None
