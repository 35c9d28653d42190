"""Every sample under samples/formats/ reads into a run with a loss and an LR series."""

from __future__ import annotations

from pathlib import Path

import pytest

from reporter.ingest import read_run

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "formats"
CASES = {
    "torch_checkpoint": "torch_checkpoint/noisy_shard",
    "history_json": "history_json/noisy_shard",
    "keras_csv": "keras_csv/noisy_shard",
    "lightning_csv": "lightning_csv/noisy_shard/lightning_logs",
    "hf_trainer_state": "hf_trainer_state/noisy_shard",
    "tfevents": "tfevents/noisy_shard",
    "mlflow": "mlflow/noisy_shard",
    "wandb": "wandb/noisy_shard",
    "text_log": "text_log/noisy_shard",
}


@pytest.mark.parametrize("format_id", sorted(CASES))
def test_sample_reads_with_loss_spike_and_lr(format_id):
    run = read_run(SAMPLES / CASES[format_id])
    assert run.format == format_id
    assert {"train/loss", "val/loss", "lr"} <= set(run.metrics)
    by_epoch = run.by_epoch()["train/loss"]
    assert by_epoch.max() > 2 * by_epoch.iloc[0:4].min(), "the corrupted epoch spikes"
    assert run.name == "noisy_shard" or format_id == "wandb"  # W&B: the run folder's name
