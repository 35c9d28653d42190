"""Confirmation trainings: short torch runs of a proxy task under each option's settings.

Importing this package does not import torch; only running a trial does.
"""

from reporter.confirm.runner import run_confirmation
from reporter.confirm.spec import (
    PROXY_DESCRIPTION,
    ConfirmationResult,
    ProxyTask,
    SeedCurve,
    TrialResult,
    TrialSpec,
)

__all__ = [
    "PROXY_DESCRIPTION",
    "ConfirmationResult",
    "ProxyTask",
    "SeedCurve",
    "TrialResult",
    "TrialSpec",
    "run_confirmation",
    "train_trial",
]


def train_trial(spec: TrialSpec, seed: int, **kwargs) -> SeedCurve:
    """Train one trial for one seed (see :func:`reporter.confirm.proxy.train_trial`)."""
    from reporter.confirm.proxy import train_trial as _train_trial

    return _train_trial(spec, seed, **kwargs)
