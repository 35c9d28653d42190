"""Diagnoses of real logs (../shared/realogs, skipped when absent) and of the shipped samples."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from reporter.diagnose import diagnose
from reporter.ingest import read_run

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
REALOGS = Path(os.environ.get("REPORTER_REALOGS", ROOT.parent / "shared" / "realogs"))
NOISY_SHARDS = sorted((SAMPLES / "formats").glob("*/noisy_shard"))

needs_realogs = pytest.mark.skipif(not REALOGS.is_dir(), reason=f"no real logs at {REALOGS}")


def _realog(name: str):
    return read_run(REALOGS / name)


def _as_train_loss(run, metric: str):
    """What ``--loss metric`` does: analyse ``metric`` as the training loss."""
    frame = run.scalars
    frame = frame[frame["metric"] != "train/loss"].astype({"metric": str})
    frame.loc[frame["metric"] == metric, "metric"] = "train/loss"
    run.scalars = frame.reset_index(drop=True)
    return run


@needs_realogs
def test_diagnose_r12_noisy_last_batch_loss_has_no_spike():
    """r12: a last-batch loss in a 0.10-0.45 band; its points at 2x the best are noise, and
    the last point used to be a critical unrecovered spike that ranked the run first."""
    d = diagnose(_realog("r12_history_json"))
    assert d.first("spike") is None
    assert d.severity != "critical"


@needs_realogs
def test_diagnose_r07_loss_that_never_falls_is_no_progress():
    d = diagnose(_as_train_loss(_realog("r07_lightning_csv"), "mean_loss"))
    f = d.first("no_progress", "train/loss")
    assert f is not None and f.severity == "warning"
    assert f.evidence["points"] == 535
    assert f.evidence["tail_median"] >= 0.95 * f.evidence["first_value"]
    assert d.severity == "warning"


@needs_realogs
def test_diagnose_r05_startup_wobble_is_not_a_spike():
    d = diagnose(_realog("r05_lightning_csv"))
    assert d.primary_spike is None


@needs_realogs
@pytest.mark.parametrize(
    "name", ["r01_hf_trainer_state", "r03_hf_trainer_state", "r04_hf_trainer_state",
             "r06_lightning_csv", "r13_tfevents", "r15_ultralytics_csv", "r17_detectron2_json",
             "r18_mlflow", "r24_text_log"],
)
def test_diagnose_realog_clean_runs_have_no_spike(name):
    d = diagnose(_realog(name))
    assert d.first("spike") is None and d.first("no_progress") is None


def test_diagnose_seed_like_sample_val_spike_at_27_with_collapse():
    d = diagnose(read_run(SAMPLES / "seed_like"))
    spike = d.primary_spike
    assert (spike.metric, spike.start, spike.severity) == ("val/loss", 27.0, "critical")
    assert spike.evidence["recovered"] is False and spike.evidence["open_at_end"] is False
    assert d.first("collapse", "val/loss") is not None


@pytest.mark.parametrize("folder", NOISY_SHARDS, ids=[p.parent.name for p in NOISY_SHARDS])
def test_diagnose_noisy_shard_sample_spike_at_11_or_12(folder):
    d = diagnose(read_run(folder))
    spike = d.primary_spike
    assert spike is not None
    if spike.evidence["axis"] == "epoch":
        assert spike.start in (11.0, 12.0)


def test_diagnose_hf_sample_spike_found_on_the_logged_values():
    """Per-step HF loss: detected on the logged values themselves (best 1.664 at step 64, jump
    and peak 4.897 at step 68), no rolling median in between."""
    d = diagnose(read_run(SAMPLES / "formats" / "hf_trainer_state" / "noisy_shard"))
    ev = d.first("spike", "train/loss").evidence
    assert ev["axis"] == "step" and ev["detected_at"] == 68.0
    assert (ev["onset"], ev["peak"], ev["best_at"]) == (68.0, 68.0, 64.0)
    assert ev["onset_value"] == pytest.approx(4.8973, abs=1e-4)
    assert ev["peak_value"] == pytest.approx(4.8973, abs=1e-4)
    assert ev["best_before"] == pytest.approx(1.6639, abs=1e-4)


def _seedlike():
    spec = importlib.util.spec_from_file_location("seedlike", ROOT / "tests" / "seedlike.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_diagnose_tests_seedlike_spike_at_13(tmp_path):
    pytest.importorskip("torch")
    folder = _seedlike().write_seedlike(tmp_path / "seedlike")
    spike = diagnose(read_run(folder)).primary_spike
    assert spike.start == 13.0 and spike.severity == "critical"


# The run's context read from the real logs (issue 8, item 3): how each run ended, what its
# log holds, and the checkpoint it selected; labels from ../shared/realogs/MANIFEST.tsv and
# the raw trainer states.
@needs_realogs
@pytest.mark.parametrize(("name", "status", "words"), [
    ("r01_hf_trainer_state", "finished", "global_step 5000 reached max_steps 5000"),
    ("r02_hf_trainer_state", "finished", "global_step 5490 reached max_steps 5490"),
    ("r03_hf_trainer_state", "finished", "global_step 6687 reached max_steps 6687"),
    ("r04_hf_trainer_state", "log_ends", "the log ends at step 2800 of 2808 (max_steps)"),
    ("r23_text_log", "interrupted", "KeyboardInterrupt traceback at line 105"),
    ("r17_detectron2_json", "unknown", "does not say whether the run did"),
])
def test_realog_run_end_is_what_the_log_says(name, status, words):
    from reporter.diagnose.run_end import run_end
    from reporter.diagnose.series import curves

    run = _realog(name)
    found = curves(run)
    end = run_end(run, found.get("val/loss") or found["train/loss"])
    assert end.status == status and words in end.text


@needs_realogs
def test_realog_r17_per_step_points_are_not_called_epochs():
    """detectron2: 200 logged points over 4,000 iterations (0-based 19..3999)."""
    from reporter.diagnose.run_end import logged_extent
    from reporter.diagnose.series import curves

    run = _realog("r17_detectron2_json")
    assert logged_extent(run, curves(run)["train/loss"]) == (
        "200 train/loss points over iterations 19–3999")


@needs_realogs
def test_realog_r01_whisper_selects_by_wer_two_thousand_steps_after_the_best_eval_loss():
    d = diagnose(_realog("r01_hf_trainer_state"))
    sel = d.selection
    assert (sel.metric, sel.greater_is_better, sel.best_at, sel.checkpoint) == (
        "eval_wer", False, 3000.0, "checkpoint-3000")
    assert sel.loss_best_at == 1000.0
    assert sel.metric_at_loss_best - sel.best == pytest.approx(0.0456, abs=1e-4)  # 4.6 WER points
    over = d.first("overfitting", "val/loss")
    assert over.severity == "warning" and over.evidence["selection_metric"] == "eval_wer"
    assert sel.advice.startswith("Keep the run's own best checkpoint, checkpoint-3000")


@needs_realogs
def test_realog_r04_selects_by_eval_loss_at_its_last_evaluation():
    sel = diagnose(_realog("r04_hf_trainer_state")).selection
    assert (sel.metric, sel.best_at, sel.checkpoint) == ("val/loss", 2800.0, "checkpoint-2800")


@needs_realogs
def test_realog_r23_interrupted_run_raises_nothing_above_info():
    d = diagnose(_realog("r23_text_log"))
    assert d.first("interrupted").evidence["line"] == 105
    assert d.severity == "info"
    checks = {c.name: c for c in d.coverage}
    assert checks["overfitting"].detail == "no validation loss logged"


@needs_realogs
def test_diagnose_r05_long_stretch_without_gain_is_told_as_info():
    """r05 (MANIFEST: "PLATEAU?", a judgment from sibling runs): no alarm, but its last two
    thirds without gain are told; r06, a healthy run of the same model, still improves."""
    from reporter.diagnose.headline import headline

    d = diagnose(_realog("r05_lightning_csv"))
    f = d.first("flat_tail")
    assert f is not None and f.severity == "info"
    assert headline(d) == "Loss Stopped Improving for Most of the Run"
    assert f.evidence["tail_share"] > 0.6 and f.evidence["gain"] < 0.01
    assert diagnose(_realog("r06_lightning_csv")).first("flat_tail") is None
