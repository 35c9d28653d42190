"""The finding every detector returns: what, where, how sure, and the evidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SEVERITIES = ("info", "warning", "critical")


@dataclass(frozen=True)
class Finding:
    """One observation about the run.

    ``kind`` names the detector (``spike``, ``divergence`` (a sustained one is critical, a
    non-finite step the run went on after a warning), ``collapse``, ``no_progress``, ``stall``,
    ``slow_divergence``, ``overfitting``, ``grad_spike``, ``slow_reaction``); ``evidence``
    holds the numbers the text is built from, each one observed in the logs; ``criterion``
    states the rule that fired, so a reader can judge it.
    """

    kind: str
    severity: str
    title: str
    metric: str
    start: float | None = None
    end: float | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    criterion: str = ""
    caveats: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "severity": self.severity,
            "title": self.title,
            "metric": self.metric,
            "start": self.start,
            "end": self.end,
            "evidence": dict(self.evidence),
            "criterion": self.criterion,
            "caveats": list(self.caveats),
        }
