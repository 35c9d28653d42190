"""The schedule identified from the logged LR when no config names it (issue 8, item 4)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from reporter.config.setup import TrainingSetup
from reporter.diagnose import diagnose
from reporter.fidelity.inference import infer_missing_schedule
from reporter.ingest import read_run

ROOT = Path(__file__).resolve().parents[2]
REALOGS = Path(os.environ.get("REPORTER_REALOGS", ROOT.parent / "shared" / "realogs"))
needs_realogs = pytest.mark.skipif(not REALOGS.is_dir(), reason=f"no real logs at {REALOGS}")
SAMPLES = ROOT / "samples" / "formats"


def _infer(path: Path) -> tuple[TrainingSetup, dict | None]:
    run = read_run(path)
    setup = TrainingSetup()
    return setup, infer_missing_schedule(setup, diagnose(run), run)


@needs_realogs
def test_hf_linear_schedule_ends_at_max_steps_not_at_a_fit_of_ten_points():
    # r02: 10 LR values logged every 500 of 5,490 updates (MANIFEST: a plain HF run)
    setup, result = _infer(REALOGS / "r02_hf_trainer_state")
    assert result is not None and result["adopted"], result
    assert (setup.scheduler.lr_scheduler_type, setup.scheduler.num_warmup_steps,
            setup.scheduler.num_training_steps) == ("linear", 0, 5490)
    assert setup.learning_rate == 2e-05


@needs_realogs
def test_hf_schedule_logged_every_step_is_identified():
    setup, result = _infer(REALOGS / "r03_hf_trainer_state")
    assert result["adopted"] and setup.scheduler.num_training_steps == 6687


@needs_realogs
def test_a_shifted_hf_log_is_not_adopted():
    # r01: the LR lags the schedule by a few skipped updates: no exact schedule, none adopted
    setup, result = _infer(REALOGS / "r01_hf_trainer_state")
    assert not result["adopted"] and setup.scheduler is None
    assert "90%" in result["text"]


@pytest.mark.parametrize(("sample", "name"), [("keras_csv", "training_log.csv"),
                                              ("text_log", "train.log")])
def test_keras_plateau_identified_without_its_config(tmp_path, sample, name):
    # the sample's config removed: the printed console log (LR to 4 digits) as well as the CSV
    shutil.copy(SAMPLES / sample / "noisy_shard" / name, tmp_path / name)
    setup, result = _infer(tmp_path / name)
    assert result["adopted"], result
    # Keras' patience 2 is torch's patience 1 (Keras counts wait >= patience): the printed
    # LR of the console log is not float32-exact, so the tie goes to torch there
    rule = (type(setup.scheduler).__name__, setup.scheduler.factor, setup.scheduler.patience)
    assert rule in {("KerasReduceLROnPlateau", 0.5, 2), ("ReduceLROnPlateau", 0.5, 1)}


def test_a_scheduler_not_restored_on_resume_is_named(tmp_path):
    # detectron2 metrics.json: the LR steps down x0.1 at iteration 20; the run resumes at
    # iteration 30 with the base LR again (a fresh scheduler), a new segment of the log
    lines = [f'{{"iteration": {i}, "total_loss": {2.0 - i / 100}, "lr": '
             f'{0.1 if i < 20 else 0.010000000000000002}}}' for i in range(40)]
    lines += [f'{{"iteration": {i}, "total_loss": {1.7 - i / 200}, "lr": 0.1}}'
              for i in range(30, 60)]
    path = tmp_path / "metrics.json"
    path.write_text("\n".join(lines) + "\n")
    setup, result = _infer(path)
    assert not result["adopted"] and setup.scheduler is None
    assert result["resume"]["at"] == 30
    assert "not restored" in result["text"] and "StepLR(step_size=20, gamma=0.1)" in result["text"]
