"""An Ultralytics run's schedule identified from its lr/pg* columns, with or without its
args.yaml (issue 8, item 4)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from replay import UltralyticsSchedule, spec_text
from reporter.config.read import read_setup
from reporter.config.setup import TrainingSetup
from reporter.diagnose import diagnose
from reporter.fidelity.inference import infer_missing_schedule
from reporter.fidelity.per_epoch import check_fidelity
from reporter.ingest import read_run

ROOT = Path(__file__).resolve().parents[2]
REALOGS = Path(os.environ.get("REPORTER_REALOGS", ROOT.parent / "shared" / "realogs"))
DATA = ROOT / "tests" / "replay" / "data" / "ultralytics.json"
CASES = {f"{c['kind']}-{c['epochs']}-{c['optimizer']}": c
         for c in json.loads(DATA.read_text())["cases"]}


def _results_csv(folder: Path, case: dict, *, shift: float = 0.0) -> Path:
    """A results.csv as 8.4 writes it (``%.6g``, epochs from 1) with the real trainer's LR."""
    groups = sorted(case["lr"])
    lines = [",".join(["epoch", "time", "train/box_loss", "val/box_loss", *groups])]
    for e in range(case["epochs"]):
        lr = [case["lr"][g][e] * (1 + shift * (e == 4)) for g in groups]
        lines.append(",".join(f"{v:.6g}" for v in (e + 1, 10.0 * e, 2 - 0.05 * e, 2.2 - 0.04 * e,
                                                   *lr)))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "results.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def _analyse(path: Path, setup: TrainingSetup) -> tuple[dict | None, object]:
    run = read_run(path)
    diagnosis = diagnose(run)
    result = infer_missing_schedule(setup, diagnosis, run)
    return result, check_fidelity(setup, diagnosis, run)[0]


def test_ultralytics_schedule_identified_from_the_logged_lr(tmp_path: Path) -> None:
    case = CASES["cos-12-SGD"]
    setup = TrainingSetup()
    result, fid = _analyse(_results_csv(tmp_path, case), setup)
    assert result is not None and result["adopted"], result
    assert setup.scheduler == UltralyticsSchedule("cos", 12, 0.05, nb=40, nw=120)
    assert setup.learning_rate == 0.02
    assert "all 24 logged values of lr/pg1 and lr/pg2" in result["text"]
    assert fid.status == "match"


def test_ultralytics_auto_optimizer_lr_read_from_the_log_with_args_yaml(tmp_path: Path) -> None:
    case = CASES["linear-10-auto"]
    path = _results_csv(tmp_path, case)
    (tmp_path / "args.yaml").write_text("task: detect\nmode: train\nepochs: 10\n"
                                        "optimizer: auto\nlr0: 0.01\nlrf: 0.01\n")
    setup = read_setup(tmp_path / "args.yaml")
    result, fid = _analyse(path, setup)
    assert result["adopted"], result
    assert "args.yaml's settings and the logged LR" in result["text"]
    assert setup.learning_rate == 0.001667  # AdamW's round(0.002 * 5 / (4 + 2), 6), not 0.01
    assert "ignores lr0" in setup.provenance["learning_rate"].note
    assert setup.scheduler == UltralyticsSchedule("linear", 10, nb=59, nw=177, warmup_bias_lr=0.0)
    assert fid.status == "match"


def test_ultralytics_log_off_its_schedule_is_not_adopted(tmp_path: Path) -> None:
    case = CASES["linear-25-SGD"]
    setup = TrainingSetup()
    result, fid = _analyse(_results_csv(tmp_path, case, shift=0.01), setup)
    assert not result["adopted"] and setup.scheduler is None
    assert "of the 50 logged values" in result["text"]
    assert fid.status == "unidentified"


@pytest.mark.skipif(not REALOGS.is_dir(), reason=f"no real logs at {REALOGS}")
@pytest.mark.parametrize(("run", "spec", "count"), [
    ("r15_ultralytics_csv",
     "ultralytics:linear(epochs=25, lrf=0.01, nb=55, nw=165, stepped='end') from 0.01", 50),
    ("r16_ultralytics_csv",
     "ultralytics:linear(epochs=10, lrf=0.01, nb=59, nw=177, warmup_bias_lr=0.0) from 0.001667",
     20),
])  # fmt: skip
def test_realogs_ultralytics_runs_are_identified(run: str, spec: str, count: int) -> None:
    setup = TrainingSetup()
    result, fid = _analyse(REALOGS / run / "results.csv", setup)
    assert result["adopted"] and result["score"] == 1.0, result
    assert f"{spec_text(setup.scheduler)} from {setup.learning_rate:g}" == spec
    assert f"all {count} logged values" in result["text"]
    assert fid.status == "match"


def _printed_run(folder: Path, spec: UltralyticsSchedule, lr0: float, epochs: int) -> Path:
    """An 8.0-style results.csv (epochs from 0, ``%.5g``, biases in group 0) of ``spec``."""
    from dataclasses import replace

    lines = ["epoch,train/box_loss,val/box_loss,lr/pg0,lr/pg1,lr/pg2"]
    for e in range(epochs):
        w, b = spec.logged(lr0, e), replace(spec, bias=True).logged(lr0, e)
        lines.append(",".join(f"{v:.5g}" for v in (e, 2 - e / 200, 2.2 - e / 200, b, w, w)))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.csv").write_text("\n".join(lines) + "\n")
    return folder / "results.csv"


def test_ultralytics_nb_the_printed_digits_cannot_pin_is_said(tmp_path: Path) -> None:
    spec = UltralyticsSchedule("linear", 100, nb=1830, nw=5490)
    setup = TrainingSetup()
    result, _ = _analyse(_printed_run(tmp_path, spec, 0.01, 100), setup)
    assert result["adopted"], result
    assert setup.scheduler.nw == 3 * setup.scheduler.nb  # the warm-up epochs are pinned
    assert "the printed digits do not tell nb apart" in result["text"]


def test_ultralytics_warmup_ending_in_epoch_one_gives_a_ratio_only(tmp_path: Path) -> None:
    spec = UltralyticsSchedule("cos", 60, 0.2, nb=37, nw=56)
    setup = TrainingSetup()
    result, fid = _analyse(_printed_run(tmp_path, spec, 0.01, 60), setup)
    assert result["adopted"] and fid.status == "match", result
    assert f"(nb - 1) / nw = {36 / 56:.4g}" in result["text"]


def test_ultralytics_warmup_length_names_the_release_rule_it_follows(tmp_path: Path) -> None:
    case = CASES["cos-8-AdamW"]  # warmup_epochs 2.5, nb 7: 18 iterations, under the old floor
    path = _results_csv(tmp_path, case)
    (tmp_path / "args.yaml").write_text("epochs: 8\noptimizer: AdamW\nlr0: 0.001\ncos_lr: true\n"
                                        "warmup_epochs: 2.5\nwarmup_bias_lr: 0.05\n")
    setup = read_setup(tmp_path / "args.yaml")
    result, fid = _analyse(path, setup)
    assert result["adopted"] and fid.status == "match", result
    assert "nw is args.yaml's warmup_epochs 2.5 by round(min(warmup_epochs, epochs - 1) * nb)" \
        ", 8.4.190;" in result["text"]


@pytest.mark.skipif(not REALOGS.is_dir(), reason=f"no real logs at {REALOGS}")
def test_realogs_r16_lr0_is_what_auto_gives_adamw_for_two_classes() -> None:
    setup = TrainingSetup()
    _analyse(REALOGS / "r16_ultralytics_csv" / "results.csv", setup)
    assert "optimizer 'auto' gives AdamW for 2 classes" in setup.provenance["learning_rate"].note


def test_yolov5_results_csv_is_identified(tmp_path: Path) -> None:
    """YOLOv5 7.0's train.py: the same schedule, stepped after the record, 100-iteration floor,
    biases in group 0, columns x/lr0-2 written '%20.5g' with padded names."""
    from dataclasses import replace

    spec = UltralyticsSchedule("cos", 30, 0.1, nb=20, nw=100, stepped="end")
    cols = ["epoch", "train/box_loss", "train/obj_loss", "val/box_loss", "x/lr0", "x/lr1",
            "x/lr2"]
    lines = [("%20s," * len(cols) % tuple(cols)).rstrip(",")]
    for e in range(30):
        w, b = spec.logged(0.01, e), replace(spec, bias=True).logged(0.01, e)
        row = (e, 0.1 - e / 1000, 0.05, 0.09 - e / 1000, b, w, w)
        lines.append(("%20.5g," * len(row) % row).rstrip(","))
    (tmp_path / "results.csv").write_text("\n".join(lines) + "\n")
    setup = TrainingSetup()
    result, fid = _analyse(tmp_path / "results.csv", setup)
    assert result["adopted"] and fid.status == "match", result
    assert (setup.scheduler, setup.learning_rate) == (spec, 0.01)
    assert "all 60 logged values of x/lr1 and x/lr0" in result["text"]
