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

    def table(self, rows: int | None = None, *, label: str = "epoch") -> str:
        """A small text table ``index  lr`` of the first ``rows`` entries (all by default).

        Values are printed with 6 significant digits (the arrays keep the exact floats).
        """
        values = self.lr if rows is None else self.lr[:rows]
        lines = [f"{label:>5}  lr"]
        lines += [f"{i:>5}  {float(v):.6g}" for i, v in enumerate(values)]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """JSON-safe form: the LR list and the events."""
        return {
            "lr": [float(v) for v in self.lr],
            "events": [e.to_dict() for e in self.events],
        }
