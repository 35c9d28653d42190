"""Framework semantics and schedule inference, end to end through analyze()."""

from pathlib import Path

import pytest

import replay
import reporter
from reporter.confirm.schedulers import torch_trial_scheduler

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "formats"


def test_keras_csv_sample_is_replayed_with_keras_plateau_rule():
    a = reporter.analyze(SAMPLES / "keras_csv" / "noisy_shard", confirm="off")
    assert a.fidelity.status == "match"
    assert a.fidelity.scheduler.startswith("keras:ReduceLROnPlateau(")
    sched = next(f for f in a.setup.fields if f.name == "scheduler")
    assert "keras semantics" in sched.source


def test_torch_checkpoint_sample_keeps_torch_plateau_rule():
    a = reporter.analyze(SAMPLES / "torch_checkpoint" / "noisy_shard", confirm="off")
    assert a.fidelity.status == "match"
    assert a.fidelity.scheduler.startswith("torch:ReduceLROnPlateau(")


def test_no_config_schedule_is_inferred_from_the_logged_lr(tmp_path, make_run):
    lr = replay.lr_trajectory(replay.StepLR(step_size=4, gamma=0.5), 0.1, 12).lr
    val = [1.0, 0.8, 0.6, 0.5, 0.4, 0.35, 0.3, 2.0, 1.9, 1.9, 1.9, 1.9]
    run = make_run(val__loss=val, lr=list(lr))
    import json

    path = tmp_path / "history.json"
    path.write_text(json.dumps({"val_loss": val, "lr": list(map(float, lr))}))
    a = reporter.analyze(path, confirm="off")
    assert a.fidelity.status == "match"
    assert a.fidelity.scheduler == "torch:StepLR(step_size=4, gamma=0.5)"
    assert any("inferred from the logged LR" in n.text for n in a.notes)
    assert run.has("lr")


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (replay.KerasReduceLROnPlateau(patience=3, cooldown=2, min_delta=0.01),
         replay.ReduceLROnPlateau(patience=2, cooldown=1, threshold=0.01,
                                  threshold_mode="abs", eps=0.0)),
        (replay.CosineAnnealingLR(T_max=10), replay.CosineAnnealingLR(T_max=10)),
    ],
)
def test_torch_trial_scheduler_maps_keras_counts(spec, expected):
    mapped, _ = torch_trial_scheduler(spec)
    assert mapped == expected


def test_torch_trial_scheduler_refuses_what_the_proxy_cannot_run():
    mapped, note = torch_trial_scheduler(replay.ExponentialLR(gamma=0.9))
    assert mapped is None and "cannot run" in note


def test_torch_equivalent_of_keras_plateau_gives_the_same_lr_on_random_series():
    import numpy as np

    rng = np.random.default_rng(0)
    for _ in range(300):
        keras_spec = replay.KerasReduceLROnPlateau(
            patience=int(rng.integers(0, 6)), cooldown=int(rng.integers(0, 4)), factor=0.5,
            min_delta=0.01)
        torch_spec, _ = torch_trial_scheduler(keras_spec)
        series = np.cumsum(rng.normal(0, 0.05, 60)) + 2
        keras_lr = replay.lr_trajectory(keras_spec, 0.1, 60, series).lr
        torch_lr = replay.lr_trajectory(torch_spec, 0.1, 60, series).lr
        # equal up to Keras' float32 storage of the LR
        np.testing.assert_allclose(torch_lr, keras_lr, rtol=1e-6, err_msg=str(keras_spec))


def test_ultralytics_run_gets_its_trainer_semantics_and_clipping(tmp_path):
    # a results.csv of the real trainer's LR (tests/replay/data/ultralytics.json), %.6g
    import json

    data = Path(__file__).resolve().parents[1] / "replay" / "data" / "ultralytics.json"
    case = next(c for c in json.loads(data.read_text())["cases"] if c["kind"] == "cos")
    lines = ["epoch,time,train/box_loss,val/box_loss,lr/pg0,lr/pg1,lr/pg2"]
    for e in range(case["epochs"]):
        lr = [case["lr"][f"lr/pg{g}"][e] for g in range(3)]
        lines.append(",".join(f"{v:.6g}" for v in (e + 1, e, 2 - e / 20, 2.5 - e / 20, *lr)))
    (tmp_path / "results.csv").write_text("\n".join(lines) + "\n")
    a = reporter.analyze(tmp_path, confirm="off")
    assert a.setup.framework == "ultralytics"
    assert a.fidelity.status == "match"
    assert a.fidelity.scheduler == "ultralytics:cos(epochs=12, lrf=0.05, nb=40, nw=120)"
    clip = next(f for f in a.setup.fields if f.name.startswith("gradient clipping"))
    assert "optimizer_step" in clip.source
