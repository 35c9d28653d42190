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


def _summary(curves, stopped=()):
    runs = tuple(
        SeedCurve(**{**_curve(i, v).__dict__, "stopped_at": i_stop})
        for i, (v, i_stop) in enumerate(zip(curves, [*stopped, *[None] * len(curves)],
                                            strict=False))
    )
    trial = TrialResult("t", TrialSpec(learning_rate=0.1), runs)
    result = ConfirmationResult({"t": trial}, tuple(range(len(runs))), ProxyTask(), "proxy", 0.1)
    return summarize(result)["t"]


BUMP = [1.0, 0.5, 0.2, 0.1, 0.05, 0.04, 0.6, 0.04, 0.035, 0.03, 0.029, 0.028]
CALM = [1.0, 0.5, 0.2, 0.1, 0.05, 0.04, 0.035, 0.03, 0.028, 0.027, 0.026, 0.025]
COLLAPSE = [1.0, 0.5, 0.2, 0.1, 0.05, 0.04, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9]
LATE = [1.0, 0.5, 0.2, 0.1, 0.05, 0.04, 0.035, 0.03, 0.028, 0.027, 0.3, 0.25]


def test_a_recovered_bump_is_counted_apart_from_failures():
    t = _summary([BUMP, CALM])
    assert [s.outcome for s in t.seeds] == ["recovered_bump", "ok"]
    assert (t.spiked, t.recovered_bump, t.failed) == (1, 1, 0)


def test_failures_are_split_and_add_up():
    t = _summary([COLLAPSE, LATE, BUMP, CALM])
    assert [s.outcome for s in t.seeds] == ["collapsed", "unrecovered_spike", "recovered_bump",
                                            "ok"]
    assert t.failed == t.collapsed + t.unrecovered_spike + t.diverged == 2
    assert t.recovered_bump == 1


def test_a_diverged_seed_is_a_divergence_only():
    curve = _curve(0, [1.0, 0.5, float("nan")])
    curve = SeedCurve(**{**curve.__dict__, "diverged": True})
    trial = TrialResult("t", TrialSpec(learning_rate=0.1), (curve,))
    t = summarize(ConfirmationResult({"t": trial}, (0,), ProxyTask(), "proxy", 0.1))["t"]
    assert (t.diverged, t.collapsed, t.unrecovered_spike, t.failed) == (1, 0, 0, 1)


def test_intervals_and_early_stops_are_reported():
    t = _summary([CALM] * 6 + [COLLAPSE] * 2, stopped=(None, 9, None, 7))
    low, high = t.failed_interval
    assert low < 2 / 8 < high
    assert t.best_val_interval[0] <= t.median_best_val <= t.best_val_interval[1]
    assert (t.early_stopped, t.stopped_epochs) == (2, (9, 7))
    assert t.bootstrap_resamples == 2000
