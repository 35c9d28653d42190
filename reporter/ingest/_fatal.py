"""Fatal and warning lines of a console log, kept with their line numbers (issue 8, item 5).

A text log is more than its numbers: it may end in a traceback (``KeyboardInterrupt``: the
run was interrupted; another exception: it crashed), or hold the lines a training prints
when it is in trouble: CUDA out of memory, an NCCL watchdog timeout, a DataLoader worker
killed by a signal, mixed-precision "gradient overflow, skipping step" messages. The text
reader feeds every line to ``FatalLines.see``; ``meta()`` is what it puts in ``Run.meta``:

- ``meta["fatal"]``: a list of ``{"kind", "line", "text", "points"}`` (``points``: how many
  values had been read when the line came, so a detector can tell whether the log went on),
  consecutive overflow lines merged into one entry with ``last_line`` and ``count``;
  ``meta["fatal_points"]``: how many values had been read at the log's last line;
- ``meta["fatal_end"]``: the traceback that ends the log (no value read after it):
  ``{"line", "exception", "cause"}``.

Message shapes, from the frameworks' sources: torch ``DataLoader worker (pid N) is killed by
signal: Killed.`` and ``DataLoader worker (pid(s) N) exited unexpectedly``
(``torch/utils/data/dataloader.py``); ``torch.OutOfMemoryError: CUDA out of memory. Tried to
allocate …``; c10d ``[Rank 0] Watchdog caught collective operation timeout: WorkNCCL(…)
ran for 1800055 milliseconds before timing out.``; apex ``Gradient overflow.  Skipping step,
loss scaler 0 reducing loss scale to 32768.0``, DeepSpeed ``OVERFLOW! Rank 0 Skipping step.``,
fairseq ``gradient overflow detected, ignoring gradient, setting loss scale to: 64.0``.
"""

from __future__ import annotations

import re
from typing import Any, Final

__all__ = ["FATAL_KINDS", "FatalLines"]

#: kind -> what the report calls it
FATAL_KINDS: Final = {
    "traceback": "a Python traceback",
    "cuda_oom": "CUDA out of memory",
    "nccl_timeout": "an NCCL collective timed out",
    "worker_killed": "a DataLoader worker was killed",
    "amp_overflow": "mixed-precision gradient overflow, step skipped",
}
_PATTERNS: Final = (
    ("cuda_oom", re.compile(r"CUDA out of memory|OutOfMemoryError|CUDA error: out of memory")),
    ("nccl_timeout", re.compile(r"Watchdog caught collective operation timeout|NCCL[^\n]{0,80}"
                                r"(?:timed? ?out|Timeout)", re.IGNORECASE)),
    ("worker_killed", re.compile(r"DataLoader worker \(pid(?:\(s\))? [\d, ]+\) (?:is killed by "
                                 r"signal|exited unexpectedly)")),
    ("amp_overflow", re.compile(r"gradient overflow|OVERFLOW!.{0,40}skipping step",
                                re.IGNORECASE)),
)
_TRACEBACK: Final = "Traceback (most recent call last)"
# the line that ends a traceback: ``KeyboardInterrupt``, ``torch.OutOfMemoryError: …``
_EXCEPTION: Final = re.compile(r"^(?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*(?:Error|Exception|Interrupt|"
                               r"Exit|Failure|Timeout)\b(?::.*)?$")
_MAX_TEXT: Final = 200
_MAX_ENTRIES: Final = 1000  # a log with thousands of overflow lines keeps the first ones


class FatalLines:
    """Collects a log's fatal and warning lines while the reader streams it."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []
        self.dropped = 0
        self._traceback: dict[str, Any] | None = None  # the traceback being read
        self._last_traceback: dict[str, Any] | None = None
        self._points = 0  # values read when the last line came

    def see(self, number: int, text: str, points: int) -> None:
        """One line (``number``, 1-based) after ``points`` values were read."""
        self._points = points
        if self._traceback is not None and points > self._traceback["points"]:
            self._traceback = None  # the log went on: that traceback did not end it
        if _TRACEBACK in text:
            self._traceback = {"line": number, "points": points, "exception": "", "cause": ""}
            self._last_traceback = self._traceback
            self._add("traceback", number, text, points)
        elif self._traceback is not None and _EXCEPTION.match(text):
            self._traceback["exception"] = text[:_MAX_TEXT]
        # every line of _PATTERNS holds one of these: plain ``in`` tests, several times
        # faster than a regex search (the reader calls ``see`` on every line of the log)
        if not ("emory" in text or "NCCL" in text or "verflow" in text or "VERFLOW" in text
                or "DataLoader w" in text):
            return
        for kind, pattern in _PATTERNS:
            if pattern.search(text):
                self._add(kind, number, text, points)
                if self._traceback is not None and kind != "amp_overflow":
                    self._traceback["cause"] = FATAL_KINDS[kind]
                return

    @property
    def in_traceback(self) -> bool:
        """Whether a traceback is being read (its exception line may still come)."""
        return self._traceback is not None

    def _add(self, kind: str, number: int, text: str, points: int) -> None:
        last = self.entries[-1] if self.entries else None
        if (kind == "amp_overflow" and last is not None and last["kind"] == kind
                and last["points"] == points):
            last["last_line"], last["count"] = number, last["count"] + 1
            return
        if len(self.entries) >= _MAX_ENTRIES:
            self.dropped += 1
            return
        self.entries.append({"kind": kind, "line": number, "text": text[:_MAX_TEXT],
                             "points": points, "last_line": number, "count": 1})

    def meta(self) -> dict[str, Any]:
        """What goes into ``Run.meta`` once the file is read.

        A traceback ends the log when no line after it added a value (values a reader
        writes only at the end of the file, a Keras epoch's last progress line, do not count).
        """
        out: dict[str, Any] = {}
        if self.entries:
            out["fatal"] = self.entries
            out["fatal_points"] = self._points
        if self.dropped:
            out["fatal_dropped"] = self.dropped
        tb = self._last_traceback
        if tb is not None and tb["points"] >= self._points and tb["exception"]:
            out["fatal_end"] = {"line": tb["line"], "exception": tb["exception"],
                                "cause": tb["cause"]}
        return out
