"""Confirmation trainings: short torch runs under each option's settings.

The task trained is the built-in proxy (:class:`ProxyTask`) or the user's own model through
an entry point (:func:`load_entry`, protocol in :mod:`reporter.confirm.entry`). Importing
this package does not import torch; only loading an entry point or running a trial does.
"""

from reporter.confirm.entry import load_entry
from reporter.confirm.runner import run_confirmation
from reporter.confirm.spec import (
    ENTRY_DESCRIPTION,
    PROXY_DESCRIPTION,
    ConfirmationResult,
    EntryTask,
    ProxyTask,
    SeedCurve,
    TrialResult,
    TrialSpec,
)

__all__ = [
    "ENTRY_DESCRIPTION",
    "PROXY_DESCRIPTION",
    "ConfirmationResult",
    "EntryTask",
    "ProxyTask",
    "SeedCurve",
    "TrialResult",
    "TrialSpec",
    "load_entry",
    "run_confirmation",
    "train_trial",
]


def train_trial(spec: TrialSpec, seed: int, **kwargs) -> SeedCurve:
    """Train one trial for one seed (see :func:`reporter.confirm.proxy.train_trial`)."""
    from reporter.confirm.proxy import train_trial as _train_trial

    return _train_trial(spec, seed, **kwargs)
