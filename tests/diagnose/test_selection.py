"""The run's own selection metric drives checkpoint advice (issue 8, item 3)."""

from __future__ import annotations

import json

from reporter.diagnose import diagnose
from reporter.ingest import read_run

EVAL_LOSS = [0.321, 0.358, 0.394, 0.412, 0.420]
WER = [0.7888, 0.7478, 0.7432, 0.7443, 0.7449]


def _state(tmp_path, *, best_metric: float, checkpoint: str | None, wer=WER):
    history = []
    for k in range(1, 6):
        step = 1000 * k
        for s in range(step - 1000 + 250, step + 1, 250):
            history.append({"epoch": s / 131, "learning_rate": 1e-5 * (1 - s / 5000),
                            "loss": round(0.05 * 0.5 ** (s / 1000), 4), "step": s})
        history.append({"epoch": step / 131, "eval_loss": EVAL_LOSS[k - 1],
                        "eval_wer": wer[k - 1], "eval_runtime": 1700.0 + k, "step": step})
    state = {"log_history": history, "global_step": 5000, "max_steps": 5000,
             "num_train_epochs": 39, "best_metric": best_metric,
             "best_model_checkpoint": checkpoint}
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "trainer_state.json").write_text(json.dumps(state))
    return read_run(folder)


def test_selection_metric_is_the_eval_metric_equal_to_best_metric_at_the_checkpoint(tmp_path):
    d = diagnose(_state(tmp_path, best_metric=0.7432, checkpoint="/out/checkpoint-3000"))
    sel = d.selection
    assert (sel.metric, sel.greater_is_better, sel.best_at, sel.checkpoint) == (
        "eval_wer", False, 3000.0, "checkpoint-3000")


def test_selection_loss_rising_while_wer_improves_is_told_and_keeps_the_runs_checkpoint(tmp_path):
    d = diagnose(_state(tmp_path, best_metric=0.7432, checkpoint="/out/checkpoint-3000"))
    over = d.first("overfitting")
    assert over.severity == "warning"
    assert "eval_wer" in over.title and "improved until step 3000" in over.title
    assert over.evidence["selection_at_loss_best"] == 0.7888
    assert d.selection.loss_best_at == 1000.0
    assert d.selection.advice.startswith("Keep the run's own best checkpoint, checkpoint-3000")


def test_selection_by_eval_loss_advises_that_checkpoint(tmp_path):
    d = diagnose(_state(tmp_path, best_metric=0.321, checkpoint="/out/checkpoint-1000"))
    assert d.selection.metric == "val/loss" and d.selection.greater_is_better is False
    assert "checkpoint-1000" in d.selection.advice
    assert "eval_wer" not in d.first("overfitting").title


def test_selection_without_best_metric_is_none(tmp_path):
    d = diagnose(_state(tmp_path, best_metric=float("nan"), checkpoint=None))
    assert d.selection is None
