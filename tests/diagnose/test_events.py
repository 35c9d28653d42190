"""One event on two curves: a validation spike begun by a training spike (diagnose.events)."""

from __future__ import annotations

import numpy as np

from reporter.diagnose.events import began_earlier, link_events
from reporter.diagnose.findings import Finding
from reporter.diagnose.series import Curve


def _spike(metric: str, onset: float, recovered_at: float | None) -> Finding:
    ev = {"axis": "step", "onset": onset, "recovered": recovered_at is not None,
          "recovered_at": recovered_at}
    return Finding("spike", "warning", f"{metric} spiked", metric, onset, recovered_at, ev)


VAL = Curve("val/loss", np.array([16.0, 32, 48, 64, 80, 96]), np.ones(6), "step")


def test_a_train_spike_between_two_evaluations_begins_the_val_spike():
    train, val = _spike("train/loss", 68, 100), _spike("val/loss", 80, 96)
    assert began_earlier(val, [train, val], VAL) is train
    linked = link_events([train, val], {"val/loss": VAL})
    assert linked[1].evidence["began_in"] == "train/loss"
    assert linked[1].evidence["began_at"] == 68
    assert "began_in" not in linked[0].evidence


def test_a_train_spike_before_the_previous_evaluation_is_another_event():
    # began at 60, before the evaluation at 64 that showed nothing: not the same event
    train, val = _spike("train/loss", 60, 100), _spike("val/loss", 80, 96)
    assert began_earlier(val, [train, val], VAL) is None


def test_a_train_spike_over_before_the_evaluation_is_another_event():
    train, val = _spike("train/loss", 68, 72), _spike("val/loss", 80, 96)
    assert began_earlier(val, [train, val], VAL) is None
    assert link_events([train, val], {"val/loss": VAL})[1].evidence.get("began_in") is None


def test_a_train_spike_that_never_recovered_still_counts():
    train, val = _spike("train/loss", 70, None), _spike("val/loss", 80, 96)
    assert began_earlier(val, [train, val], VAL) is train
