"""The per-update check of HF Trainer runs, on the sample the real Trainer wrote."""

from dataclasses import replace
from pathlib import Path

import reporter.ingest as ingest
from reporter.config import find_config, read_setup
from reporter.fidelity.per_update import hf_step_check

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "formats" / "hf_trainer_state" / \
    "noisy_shard"


def _inputs():
    run = ingest.read_run(SAMPLE)
    return run, read_setup(find_config(SAMPLE))


def test_hf_step_check_reproduces_every_logged_lr_of_the_real_trainer():
    run, setup = _inputs()
    check = hf_step_check(setup, run)
    assert check.matches is True
    assert check.version == "4.51"  # transformers 5.24 logs the LR used by the update
    assert check.points == 40


def test_hf_step_check_flags_wrong_training_arguments():
    run, setup = _inputs()
    setup.raw = {**setup.raw, "warmup_steps": 8}
    check = hf_step_check(setup, run)
    assert check.matches is False and check.first_mismatch_step == 4


def test_hf_step_check_not_applicable_outside_hf():
    run, setup = _inputs()
    run.meta = {**run.meta, "framework": "torch"}
    assert hf_step_check(replace(setup), run) is None
