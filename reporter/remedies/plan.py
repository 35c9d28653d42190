"""The plain data of the remedy catalog: a plan, the context it is derived from, an option
and the replay of its plan."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

ASSUMED_LR = 1e-3


class Relative(str):
    """A change written relative to the value the user really used (``× 0.5 of the learning
    rate you used``), for a value reporter only assumed: an absolute number could raise it.

    A ``str`` so that it travels through the report as text; ``factor`` keeps the number.
    """

    factor: float

    def __new__(cls, factor: float, of: str) -> Relative:
        text = super().__new__(cls, f"× {factor:g} of {of}")
        text.factor = factor
        return text


@dataclass
class Plan:
    """What one training would use: the knobs the replay and the confirmation need.

    ``warmup`` is a linear warm-up over that many points of the schedule's own unit (epochs,
    or optimizer steps for a per-update HF schedule); ``zclip`` an adaptive clipping rule
    (``replay.ZClip``); ``rewind`` the spike window to skip after resuming from a checkpoint
    (no schedule change: nothing to replay or to train on the proxy).
    """

    learning_rate: float
    scheduler: Any
    early_stopping: Any | None
    clip_grad_norm: float | None
    epochs: int
    learning_rate_source: str = "config"
    # "the run's own schedule with every LR scaled by this": used when that schedule is not
    # replayable per epoch (an HF per-update schedule) or unknown
    observed_scale: float | None = None
    epochs_source: str = "config"
    learning_rate_assumed: bool = False
    warmup: int = 0
    zclip: Any = None
    rewind: tuple[float, float, float] | None = None  # (resume at, skip from, skip to)


@dataclass(frozen=True)
class ReplayOutcome:
    """The replay of one plan over the recorded metrics.

    ``lr`` is the LR used in each recorded epoch; ``horizon`` the first epoch where it differs
    from the observed LR (after it, the recorded metrics describe another run, so metric-driven
    values are conditional). ``lr_at_onset_label`` is ``exact replay`` or ``conditional replay``.
    ``clipped_steps`` and ``smallest_clip_scale`` say how many logged gradient norms an
    adaptive clipping rule would have clipped, and the smallest factor it scaled one by.
    """

    lr: list[float]
    events: list[dict]
    horizon: int | None
    first_reduction: int | None
    first_reduction_label: str | None
    lr_at_onset: float | None
    lr_at_onset_label: str | None
    observed_lr_at_onset: float | None
    acted_before_spike: bool | None
    stop: int | None
    conditional_from: int | None = None
    clip_fraction_before: float | None = None
    clip_fraction_at_spike: float | None = None
    clipped_steps: int | None = None
    smallest_clip_scale: float | None = None


@dataclass
class Option:
    """A remedy: its plan, the config changes, why, what the replay says, and how to apply it
    in the run's framework (``code``: lines to paste or arguments to set)."""

    key: str
    title: str
    plan: Plan
    changes: dict[str, Any]
    rationale: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    outcome: ReplayOutcome | None = None
    code: list[str] = field(default_factory=list)


@dataclass
class Context:
    """The recorded series the options are derived from and replayed over."""

    metric: np.ndarray  # the series the plateau rule watches, per epoch
    metric_name: str
    observed_lr: np.ndarray | None  # LR used in each epoch (aligned), NaN where unknown
    grad_norm: np.ndarray | None
    onset: int | None
    best_at: int | None
    axis: str = "epoch"
    base_lr: float | None = None  # the run's base LR, when known
    onset_x: float | None = None  # the spike's epoch or step, as logged
    per_step_spec: Any = None  # a per-update schedule the logs were checked against (HF)
    framework: str = "unknown"  # whose semantics new specs should follow
    highest_lr: float | None = None  # the highest LR the log holds (any step)
    lr_at_spike: float | None = None  # logged LR at the spike's own step, when it lies
    # between the watched metric's points (a train-loss spike in a run evaluated every N steps)
    x: np.ndarray | None = None  # the watched metric's epochs or steps
    grad_norm_steps: tuple[np.ndarray, np.ndarray] | None = None  # every logged (x, norm)
    spike: Any = None  # the primary spike Finding, when there is one
    base: int = 0  # added to an epoch index when a sentence names it (``Run.epoch_base``)

    def at(self, x: float) -> str:
        """``"epoch 13"``: an epoch index (or a step) named as the run's log names it."""
        return f"{self.axis} {self.shown(x)}"

    def shown(self, x: float) -> str:
        """The number alone: ``"13"``."""
        from reporter.report.filters import fmt_x

        return fmt_x(x + (self.base if self.axis == "epoch" else 0))
