"""The torch scheduler a confirmation trial runs for a replay spec."""

from __future__ import annotations

from typing import Any

import replay
from replay import spec_text


def torch_trial_scheduler(spec: Any) -> tuple[Any, str | None]:
    """A scheduler the proxy can run for ``spec`` (torch's own class), and a note if mapped.

    Keras' plateau rule is run as torch's with the equivalent counts (Keras patience p and
    cooldown c behave like torch's p-1 and c-1, with an absolute threshold and no eps: Keras
    keeps halving where torch's eps would stop). Anything else the
    proxy cannot build yet gives (None, reason).
    """
    from reporter.confirm.spec import SCHEDULER_SPECS

    if spec is None or isinstance(spec, SCHEDULER_SPECS):
        return spec, None
    if isinstance(spec, replay.KerasReduceLROnPlateau):
        mapped = replay.ReduceLROnPlateau(
            mode=spec.mode, factor=spec.factor, patience=max(spec.patience - 1, 0),
            threshold=spec.min_delta, threshold_mode="abs", cooldown=max(spec.cooldown - 1, 0),
            min_lr=spec.min_lr, eps=0.0)
        return mapped, f"{spec_text(spec)} run as {spec_text(mapped)}"
    return None, f"the proxy cannot run {spec_text(spec)} yet"
