"""A one-line progress bar with an ETA for the confirmation trainings, on a terminal."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

WIDTH = 24


class TrialBar:
    """Redraws ``confirming [#####-----] 12/40  current, seed 3  1m05s left`` in place.

    Used only when stderr is a terminal; elsewhere the pipeline prints one plain line per
    training. The ETA is the runner's :class:`~reporter.confirm.runner.Eta`.
    """

    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.perf_counter) -> None:
        from reporter.confirm.runner import Eta

        self.stream = stream
        self.eta = Eta(clock)
        self.drawn = False

    def __call__(self, done: int, total: int, label: str) -> None:
        total = max(total, done, 1)
        filled = round(WIDTH * done / total)
        left = self.eta(done, total)
        eta = "" if left is None else f"  {_duration(left)} left"
        line = f"reporter: confirming [{'#' * filled}{'-' * (WIDTH - filled)}] {done}/{total}"
        self.stream.write(f"\r\x1b[2K{line}  {label}{eta}")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        """End the bar's line, so the next message starts on its own."""
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False


def _duration(seconds: float) -> str:
    """``65`` → ``"1m05s"``, ``7`` → ``"7s"``."""
    seconds = max(0, round(seconds))
    minutes, secs = divmod(seconds, 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"
