"""Result types shared by every replay: a trajectory of learning rates and its events."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Event:
    """Something a replayed schedule or callback did at one index.

    ``index`` is 0-based (epoch or step, as the replay was stepped). ``kind`` is one of
    ``"reduce"`` (the LR went down), ``"restart"`` (the LR went back up), ``"stop"``
    (training would have ended after this index), ``"clip"`` (an update was scaled).
    ``before``/``after`` are the LR (or scale) on either side of the event.
    """

    index: int
    kind: str
    before: float | None = None
    after: float | None = None
    reason: str = ""

    def to_dict(self) -> dict:
        return {
            "index": self.index,
            "kind": self.kind,
            "before": self.before,
            "after": self.after,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Trajectory:
    """Learning rate used at each index (``lr[i]`` trains epoch/step ``i``), plus events."""

    lr: np.ndarray
    events: tuple[Event, ...] = field(default_factory=tuple)

    def first(self, kind: str) -> Event | None:
        """The first event of ``kind``, or None."""
        return next((e for e in self.events if e.kind == kind), None)
