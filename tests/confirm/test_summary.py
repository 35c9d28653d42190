"""Confirmation curves are judged by the run's own detectors; a seed fails once."""

import numpy as np

from reporter.confirm.spec import ConfirmationResult, ProxyTask, SeedCurve, TrialResult, TrialSpec
from reporter.confirm.summary import summarize


def _curve(seed: int, val: list[float]) -> SeedCurve:
    n = len(val)
    z = np.zeros(n)
    return SeedCurve(trial="t", seed=seed, train_loss=np.array(val), val_loss=np.array(val),
                     lr=z + 0.1, grad_norm=z, clip_fraction=z, stopped_at=None, stop_reason=None,
                     diverged=False,
                     seconds=0.1)


def test_summarize_counts_a_seed_that_spiked_and_collapsed_once():
    spike_then_flat = [1.0, 0.5, 0.2, 0.1, 0.05, 0.04, 0.9, 0.9, 0.9, 0.9, 0.9]
    calm = [1.0, 0.5, 0.2, 0.1, 0.05, 0.04, 0.035, 0.03, 0.028, 0.027, 0.026]
    trial = TrialResult("current", TrialSpec(learning_rate=0.1),
                        (_curve(0, spike_then_flat), _curve(1, calm)))
    result = ConfirmationResult({"current": trial}, (0, 1), ProxyTask(), "proxy", 0.2)
    t = summarize(result)["current"]
    assert (t.spiked, t.collapsed, t.failed, t.n) == (1, 1, 1, 2)
    assert t.median_best_val == np.median([0.04, 0.026])
