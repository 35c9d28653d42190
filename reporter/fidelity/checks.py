"""The fidelity stage's results: typed, frozen, read by the analysis model and the view."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FidelityCheck", "PerUpdateCheck", "StopCheck"]


@dataclass(frozen=True)
class StopCheck:
    """Would the configured early stopping have stopped where the log ends?"""

    predicted_stop: int | None
    predicted_stop_x: float | None
    last_logged: int
    last_logged_x: float
    axis: str
    matches: bool | None
    spec: str
    #: the counting rule that reproduces the logged stop (``wait >= patience``: Keras,
    #: Lightning, HF; ``counter > patience``: a hand-written loop) and its patience in the
    #: frameworks' counting; None when no rule reproduces it
    rule: str | None = None
    effective_patience: int | None = None
    #: the parenthesised verdict of the report's sentence, when a rule other than the
    #: configured one explains the stop
    verdict: str | None = None


@dataclass(frozen=True)
class PerUpdateCheck:
    """An HF schedule replayed per optimizer update against every logged LR."""

    spec: str
    matches: bool
    points: int
    text: str
    version: str
    score: float
    first_mismatch_step: int | None


@dataclass(frozen=True)
class FidelityCheck:
    """Does the config reproduce the logged LR? ``status`` is one of ``match``, ``mismatch``,
    ``unidentified``, ``no_lr_logged``, ``per_step``."""

    status: str
    text: str
    scheduler: str
    metric: str
    config_found: bool
    alignment: str | None = None
    first_mismatch: int | None = None
    max_rel_error: float | None = None
    explanation: str | None = None
    base_lr: float | None = None
    stop: StopCheck | None = None
    per_step: PerUpdateCheck | None = None
