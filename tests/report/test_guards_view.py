"""The early-warning sentences and the guard rows, named as the run's log names epochs."""

from __future__ import annotations

from reporter.report.guards_view import guard_row, guards_view, warning_sentence


def _data(epoch_base: int = 1, **diagnosis) -> dict:
    return {"run": {"epoch_base": epoch_base}, "diagnosis": diagnosis}


WARNING = {"kind": "divergence", "metric": "train/loss", "axis": "step", "fired_at": 3000.0,
           "worst": "first non-finite value", "worst_at": 3010.0, "lead": 10.0,
           "lead_points": 2, "exact": True}


def test_the_sentence_gives_the_lead_in_steps_and_points():
    text = warning_sentence(_data(), WARNING)
    assert "fired at step 3000, 10 steps (2 logged points) before the first non-finite value " \
           "at step 3010" in text


def test_epochs_are_named_as_the_log_counts_them():
    w = {**WARNING, "axis": "epoch", "fired_at": 27.0, "worst_at": 28.0, "lead": 1.0,
         "lead_points": 1, "worst": "peak", "kind": "spike"}
    assert "at epoch 28, 1 epoch (1 logged point) before the peak at epoch 29" in \
        warning_sentence(_data(epoch_base=1), w)


def test_a_nan_with_no_warning_says_so_and_zero_leads_of_spikes_are_left_out():
    nan = {**WARNING, "fired_at": 3010.0, "lead": 0.0, "lead_points": 0}
    spike = {**WARNING, "kind": "spike", "worst": "peak", "lead": 0.0, "lead_points": 0}
    view = guards_view(_data(early_warnings=[nan, spike], live_guards=None))
    assert view is not None and len(view["warnings"]) == 1
    assert "nothing in the log announces it earlier" in view["warnings"][0]


def test_guard_rows_and_the_scope_of_the_replay():
    g = {"name": "Lightning SpikeDetection", "source": "s", "rule": "r", "action": "stops the run",
         "metric": "train/loss", "axis": "step", "first_fire": 2990.0, "alarms": 2,
         "on_findings": 1, "on_healthy": 1, "lead": 20.0, "lead_points": 4}
    row = guard_row(_data(), g)
    assert row["first"] == "step 2990" and row["lead"] == "20 steps before the worst point"
    live = {"metric": "train/loss", "axis": "step", "points": 400, "per_point": 10.0,
            "exact": False, "replays": [g]}
    view = guards_view(_data(early_warnings=[], live_guards=live))
    assert "one logged value per 10 steps" in view["scope"] and "approximate" in view["scope"]
    assert guards_view(_data(early_warnings=[], live_guards=None)) is None
