"""How the run ended: only "run ended" when the log says so (issue 8, item 3)."""

from __future__ import annotations

import pytest

from reporter.diagnose.run_end import run_end
from reporter.diagnose.series import curves


def _hf(make_run, **meta):
    run = make_run(train__loss=[1.0, 0.8, 0.6, 0.5])
    run.meta.update(meta)
    return run, curves(run)["train/loss"]


@pytest.mark.parametrize(("meta", "status", "words"), [
    ({"global_step": 5000, "max_steps": 5000}, "finished", "global_step 5000 reached max_steps"),
    ({"global_step": 40000, "max_steps": 252780}, "log_ends",
     "the log ends at step 40000 of 252780 (max_steps)"),
    ({"global_step": 1200, "max_steps": 3000, "stateful_callbacks": {
        "TrainerControl": {"args": {"should_training_stop": True}}}}, "stopped",
     "should_training_stop"),
    ({"global_step": 3000, "max_steps": 3000, "stateful_callbacks": {
        "TrainerControl": {"args": {"should_training_stop": True}}}}, "finished", "max_steps"),
])
def test_run_end_hf_trainer_state(make_run, meta, status, words):
    run, curve = _hf(make_run, **meta)
    end = run_end(run, curve)
    assert end.status == status and words in end.text


def test_run_end_epochs_all_ran(make_run):
    run, curve = _hf(make_run)
    end = run_end(run, curve, planned_epochs=4)
    assert (end.status, end.planned) == ("finished", 4)


def test_run_end_epochs_early_stopped(make_run):
    run, curve = _hf(make_run)
    end = run_end(run, curve, planned_epochs=50, stopped_early=True)
    assert end.status == "stopped" and "epoch 3" in end.text and "50" in end.text


def test_run_end_epochs_log_ends_before_the_plan(make_run):
    run, curve = _hf(make_run)
    end = run_end(run, curve, planned_epochs=50, stopped_early=False)
    assert end.status == "log_ends"
    assert end.text.startswith("the log ends at epoch 3 of 50 configured epochs")


def test_run_end_nothing_known_never_says_ended(make_run):
    run, curve = _hf(make_run)
    end = run_end(run, curve)
    assert end.status == "unknown" and "ended" not in end.text


def test_run_end_traceback_at_the_end_of_a_text_log(make_run):
    run, curve = _hf(make_run, fatal_end={"line": 105, "exception": "KeyboardInterrupt",
                                          "cause": ""})
    end = run_end(run, curve, planned_epochs=4)
    assert (end.status, end.line) == ("interrupted", 105)
    run.meta["fatal_end"] = {"line": 9, "exception": "RuntimeError: NCCL error", "cause": ""}
    assert run_end(run, curve).status == "crashed"


def test_logged_extent_counts_points_over_the_runs_own_steps(make_run):
    from dataclasses import replace

    from reporter.diagnose.run_end import logged_extent

    run, curve = _hf(make_run)
    run.step_kind = "iteration"
    steps = replace(curve, x=curve.x * 20 + 19, axis="step")
    assert logged_extent(run, steps) == "4 train/loss points over iterations 19–79"
    assert logged_extent(run, curve) == "4 train/loss points over epochs 0–3"
