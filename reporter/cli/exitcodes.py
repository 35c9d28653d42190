"""Exit codes of the ``reporter`` command (design.md, "Interfaces to keep stable").

``--fail-on LEVEL`` (``analyze``, ``compare``) is the one check a user asks for: the command
exits with ``CHECK_FAILED`` when a finding at or above that severity exists.
"""

from __future__ import annotations

from collections.abc import Iterable

SUCCESS = 0
CHECK_FAILED = 1
BAD_INPUT = 2
INTERNAL_ERROR = 3
INTERRUPTED = 130

FAIL_LEVELS = ("critical", "warning")
_RANK = {"info": 0, "warning": 1, "critical": 2}

HELP = ("exit codes: 0 success; 1 a finding at or above --fail-on LEVEL exists (the reports "
        "are written all the same); 2 bad input or usage (one line naming the file); "
        "3 internal error (--debug shows the traceback); 130 interrupted")


def failing(severities: Iterable[str], level: str | None) -> list[str]:
    """The severities among ``severities`` at or above ``level`` (none when ``level`` is None).

    >>> failing(["info", "warning", "critical"], "critical")
    ['critical']
    >>> failing(["warning"], "warning"), failing(["warning"], None)
    (['warning'], [])
    """
    if level is None:
        return []
    return [s for s in severities if _RANK.get(s, -1) >= _RANK[level]]
