"""The early-stopping rule that reproduces the logged stop is named (issue 8, item 6)."""

from __future__ import annotations

import numpy as np
import pytest

import replay
from reporter.config.setup import TrainingSetup
from reporter.diagnose.series import Curve
from reporter.fidelity.per_epoch import HAND_WRITTEN, _stop_check

# best at epoch 9, nothing better after it
VAL = [0.55, 0.28, 0.18, 0.1, 0.08, 0.065, 0.058, 0.052, 0.05, 0.049, 0.051, 0.05, 0.052,
       0.5, 0.5] + [0.5] * 15


def _check(epochs_logged: int, patience: int, semantics: str = "lightning", epochs=50):
    y = np.array(VAL[:epochs_logged])
    curve = Curve("val/loss", np.arange(len(y), dtype=float), y)
    setup = TrainingSetup(early_stopping=replay.EarlyStopping(patience=patience,
                                                              semantics=semantics),
                          epochs=epochs)
    return _stop_check(setup, curve)


@pytest.mark.parametrize("semantics", ["lightning", "keras", "hf"])
def test_stop_rule_frameworks_wait_reaches_patience(semantics):
    stop = _check(9 + 10 + 1, 10, semantics)  # stops after epoch 19 = best + patience
    assert stop.matches is True
    assert (stop.rule, stop.effective_patience) == ("wait >= patience", 10)
    assert stop.verdict.startswith("consistent: ") and "patience 10" in stop.verdict


@pytest.mark.parametrize("semantics", ["lightning", "keras", "hf"])
def test_stop_rule_hand_written_counter_exceeds_patience(semantics):
    stop = _check(9 + 11 + 1, 10, semantics)  # one epoch later than the frameworks
    assert stop.predicted_stop == 19 and stop.last_logged == 20
    assert stop.matches is True
    assert (stop.rule, stop.effective_patience) == (HAND_WRITTEN, 11)
    assert "counter > patience" in stop.verdict and "effective patience of 11" in stop.verdict


def test_stop_rule_other_patience_is_named_and_stays_inconsistent():
    stop = _check(9 + 5 + 1, 10)  # the log stops 5 epochs after the best
    assert stop.matches is False
    assert (stop.rule, stop.effective_patience) == ("wait >= patience", 5)
    assert stop.verdict.startswith("inconsistent with the configured patience 10")


def test_stop_rule_none_reproduces_a_stop_at_a_new_best():
    # patience 3 stops at epoch 12; a log that ends on a new best was not early-stopped
    y = np.array([*VAL[:20], 0.01])
    setup = TrainingSetup(early_stopping=replay.EarlyStopping(patience=3), epochs=50)
    stop = _stop_check(setup, Curve("val/loss", np.arange(len(y), dtype=float), y))
    assert stop.predicted_stop == 12
    assert stop.matches is False and stop.rule is None and stop.verdict is None


def _seedlike_module():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "seedlike.py"
    spec = importlib.util.spec_from_file_location("seedlike_stop", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_stop_rule_seedlike_run_one_epoch_later_is_named_in_the_report(tmp_path):
    """The seed-like run (patience 15, best val loss at epoch 9) trained by a loop that stops
    when its counter exceeds the patience logs one more epoch than Lightning would."""
    pytest.importorskip("torch")
    import reporter

    seed = _seedlike_module()
    seed.TRAIN.append(seed.TRAIN[-1])
    seed.VAL.append(seed.VAL[-1])
    seed.GRAD.append(seed.GRAD[-1])
    folder = seed.write_seedlike(tmp_path / "seedlike")
    analysis = reporter.analyze(folder, confirm="off")
    stop = analysis.fidelity.stop
    assert (stop.last_logged, stop.rule, stop.effective_patience) == (25, HAND_WRITTEN, 16)
    text = reporter.render(analysis, "md")
    assert "inconsistent" not in text
    assert "stops when its counter exceeds the patience" in text
    assert analysis.run.end.status == "stopped"
