"""Result types shared by every replay: a trajectory of learning rates and its events."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypedDict

import numpy as np
import numpy.typing as npt

#: The arrays replays compute and return: LRs, scales and metrics in float64.
FloatArray = npt.NDArray[np.float64]
#: Keras keeps LRs (and computes schedules) in float32.
Float32Array = npt.NDArray[np.float32]
#: Integer steps / epochs a closed form is evaluated at.
IntArray = npt.NDArray[np.int64]
#: Masks (which steps were clipped, which batches step a scheduler).
BoolArray = npt.NDArray[np.bool_]


class EventDict(TypedDict):
    """:meth:`Event.to_dict`: the event's fields as JSON types."""

    index: int
    kind: str
    before: float | None
    after: float | None
    reason: str


class TrajectoryDict(TypedDict):
    """:meth:`Trajectory.to_dict`: the LR list and the events."""

    lr: list[float]
    events: list[EventDict]


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

    def to_dict(self) -> EventDict:
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

    lr: FloatArray
    events: tuple[Event, ...] = field(default_factory=tuple)

    def first(self, kind: str) -> Event | None:
        """The first event of ``kind``, or None."""
        return next((e for e in self.events if e.kind == kind), None)

    def table(self, rows: int | None = None, *, label: str = "epoch") -> str:
        """A small text table ``index  lr`` of the first ``rows`` entries (all by default).

        Values are printed with 6 significant digits (the arrays keep the exact floats).
        """
        values = self.lr if rows is None else self.lr[:rows]
        lines = [f"{label:>5}  lr"]
        lines += [f"{i:>5}  {float(v):.6g}" for i, v in enumerate(values)]
        return "\n".join(lines)

    def to_dict(self) -> TrajectoryDict:
        """JSON-safe form: the LR list and the events."""
        return {
            "lr": [float(v) for v in self.lr],
            "events": [e.to_dict() for e in self.events],
        }
