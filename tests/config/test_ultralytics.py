"""An Ultralytics args.yaml: its schedule keys mapped to ``ultralytics:linear/cos``."""

from __future__ import annotations

from pathlib import Path

from replay import UltralyticsSchedule
from reporter.config.read import read_setup


def _args(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "args.yaml"
    path.write_text("task: detect\nmode: train\nmodel: yolov8n.pt\n" + text)
    return path


def test_args_yaml_cos_schedule_with_its_keys(tmp_path: Path) -> None:
    setup = read_setup(_args(tmp_path, "epochs: 50\noptimizer: SGD\nlr0: 0.02\nlrf: 0.05\n"
                                       "cos_lr: true\nwarmup_epochs: 2.0\nwarmup_bias_lr: 0.05\n"
                                       "warmup_momentum: 0.8\n"))
    assert setup.scheduler == UltralyticsSchedule("cos", 50, 0.05, warmup_bias_lr=0.05)
    assert setup.learning_rate == 0.02
    assert setup.provenance["scheduler"].key == "cos_lr"
    assert setup.provenance["scheduler.lrf"].key == "lrf"
    note = setup.provenance["config"].note
    assert "warm-up not modelled" not in note and "ambiguous" not in note


def test_args_yaml_defaults_when_keys_are_absent(tmp_path: Path) -> None:
    setup = read_setup(_args(tmp_path, "epochs: 5\noptimizer: SGD\nlr0: 0.01\n"))
    assert setup.scheduler == UltralyticsSchedule("linear", 5)
    assert "Ultralytics default" in setup.provenance["scheduler.lrf"].note


def test_args_yaml_auto_optimizer_lr0_is_not_the_runs(tmp_path: Path) -> None:
    setup = read_setup(_args(tmp_path, "epochs: 10\noptimizer: auto\nlr0: 0.01\n"))
    assert setup.learning_rate is None
    assert "ignores lr0" in setup.provenance["learning_rate"].note
    assert setup.scheduler.warmup_bias_lr == 0.0


def test_args_yaml_without_epochs_has_no_schedule(tmp_path: Path) -> None:
    setup = read_setup(_args(tmp_path, "optimizer: SGD\nlr0: 0.01\n"))
    assert setup.scheduler is None
