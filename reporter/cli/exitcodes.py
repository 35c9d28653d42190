"""Exit codes of the ``reporter`` command (design.md, "Interfaces to keep stable")."""

SUCCESS = 0
CHECK_FAILED = 1
BAD_INPUT = 2
INTERNAL_ERROR = 3
INTERRUPTED = 130
