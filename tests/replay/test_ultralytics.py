"""The Ultralytics LR replay against the real trainer and against real results.csv files.

``data/ultralytics.json`` holds what the real ``BaseTrainer._do_train`` of ultralytics 8.4.190
logs (``data/make_ultralytics.py`` regenerates it); the realogs tests read two public runs
written by older releases (skipped when ../shared/realogs is absent).
"""

from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from replay import UltralyticsSchedule, lr_trajectory, parse_spec, spec_text
from replay.ultralytics import ultralytics_lf, warmup_iterations

DATA = Path(__file__).parent / "data"
REALOGS = Path(__file__).resolve().parents[3] / "shared" / "realogs"
CASES = json.loads((DATA / "ultralytics.json").read_text())["cases"]


def _spec(case: dict, group: str) -> UltralyticsSchedule:
    args = case["args"]
    nw = warmup_iterations(args["warmup_epochs"], case["nb"], case["epochs"], floor=False)
    return UltralyticsSchedule(case["kind"], case["epochs"], args["lrf"], nb=case["nb"], nw=nw,
                               warmup_bias_lr=args["warmup_bias_lr"], bias=group == "bias")


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['kind']}-{c['epochs']}-{c['optimizer']}")
def test_ultralytics_replay_equals_the_real_trainer_bit_for_bit(case: dict) -> None:
    for index, group in enumerate(case["groups"]):
        spec = _spec(case, group)
        logged = case["lr"][f"lr/pg{index}"]
        replayed = lr_trajectory(spec, case["args"]["lr0"], len(logged)).lr
        assert replayed.tolist() == logged, (group, spec_text(spec))


def test_ultralytics_auto_optimizer_lr_is_not_the_configured_lr0() -> None:
    """optimizer=auto on a short run picks AdamW with lr0 = round(0.002 * 5 / (4 + nc), 6)
    (nc = 2 here) and a bias warm-up from 0: the replay needs that LR, not args.yaml's 0.01."""
    case = next(c for c in CASES if c["optimizer"] == "auto")
    assert case["args"]["lr0"] == round(0.002 * 5 / (4 + 2), 6)
    assert case["args"]["warmup_bias_lr"] == 0.0
    wrong = lr_trajectory(_spec(case, "weight"), 0.01, case["epochs"]).lr
    assert not np.allclose(wrong, case["lr"]["lr/pg0"])


def test_ultralytics_stepped_at_the_end_lags_one_epoch_after_the_warmup() -> None:
    """YOLOv5 and Ultralytics up to 8.1 record ``lr/pg*`` and then step the scheduler, whose
    ``last_epoch`` was reset to -1, so epoch e >= 1 trains with lf(e - 1) after the warm-up.

    Hand derivation, linear, epochs 10, lrf 0.01, nb 50, nw 100 (the 100-iteration floor),
    lr0 0.01: lf(x) = (1 - x/10) * 0.99 + 0.01.
    epoch 0: last batch ni 49 -> 49/100 * 0.01 * lf(0) = 0.0049;
    epoch 1: ni 99 -> 99/100 * 0.01 * lf(1) = 0.99 * 0.00901 = 0.0089199;
    epoch 2: its first batch is ni = nw = 100 -> 0.01 * lf(2) = 0.00802, kept to the end;
    epoch 3: the step after epoch 2 set 0.01 * lf(2) = 0.00802 (stepped at the start: lf(3));
    epoch 4: 0.01 * lf(3) = 0.00703. The bias group (from 0.1): epoch 0 is
    0.1 + 49/100 * (0.01 - 0.1) = 0.0559.
    """
    end = UltralyticsSchedule("linear", 10, nb=50, nw=100, stepped="end")
    got = lr_trajectory(end, 0.01, 5).lr
    np.testing.assert_allclose(got, [0.0049, 0.0089199, 0.00802, 0.00802, 0.00703], rtol=1e-12)
    start = lr_trajectory(UltralyticsSchedule("linear", 10, nb=50, nw=100), 0.01, 5).lr
    np.testing.assert_allclose(start[3:], [0.00703, 0.00604], rtol=1e-12)
    bias = lr_trajectory(UltralyticsSchedule("linear", 10, nb=50, nw=100, bias=True), 0.01, 1).lr
    assert bias[0] == pytest.approx(0.0559, rel=1e-12)


def test_ultralytics_cos_lf_is_one_cycle() -> None:
    """one_cycle(1, lrf, epochs): 1 at 0, (1 + lrf)/2 half way, lrf at the end."""
    assert ultralytics_lf("cos", 0, 10, 0.1) == 1.0
    assert ultralytics_lf("cos", 5, 10, 0.1) == pytest.approx(0.55, rel=1e-12)
    assert ultralytics_lf("cos", 10, 10, 0.1) == pytest.approx(0.1, rel=1e-12)


def test_ultralytics_warmup_iterations_rules() -> None:
    assert warmup_iterations(3.0, 20, 50) == 100  # the 100-iteration floor (up to 8.4.0)
    assert warmup_iterations(3.0, 55, 25) == 165
    assert warmup_iterations(3.0, 20, 50, floor=False) == 60
    assert warmup_iterations(5.0, 100, 3, floor=False) == 200  # capped at epochs - 1
    assert warmup_iterations(0.0, 20, 50) == 0


@pytest.mark.parametrize("text, error", [
    ("ultralytics:linear(epochs=0)", "epochs must be at least 1"),
    ("ultralytics:cos(epochs=5, nw=10)", "needs nb"),
    ("ultralytics:linear(epochs=5, stepped='middle')", "stepped must be"),
])  # fmt: skip
def test_ultralytics_bad_spec_text_names_the_problem(text: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        parse_spec(text)


def _columns(path: Path) -> dict[str, list[float]]:
    with path.open() as f:
        rows = [[cell.strip() for cell in row] for row in csv.reader(f)]
    return {name: [float(r[i]) for r in rows[1:]] for i, name in enumerate(rows[0])
            if name.startswith("lr/")}


def _printed(values: np.ndarray, digits: int) -> list[float]:
    """The replay written the way results.csv writes it (``%.5g``: 8.0-8.3, ``%.6g``: 8.4)."""
    return [float(f"{v:.{digits}g}") for v in values.tolist()]


@pytest.mark.skipif(not REALOGS.is_dir(), reason="shared/realogs is absent")
@pytest.mark.parametrize("run, spec, lr0, digits", [
    # an early 8.0 writer: epochs counted from 0, '%23.5g', scheduler stepped after the record
    ("r15_ultralytics_csv", UltralyticsSchedule("linear", 25, nb=55, nw=165, stepped="end"),
     0.01, 5),
    # optimizer=auto chose AdamW with lr0 0.001667 (nc 2) and no bias warm-up start
    ("r16_ultralytics_csv", UltralyticsSchedule("linear", 10, nb=59, nw=177, warmup_bias_lr=0.0),
     0.001667, 6),
])  # fmt: skip
def test_ultralytics_replay_prints_as_the_real_logs(run, spec, lr0, digits) -> None:
    logged = _columns(REALOGS / run / "results.csv")
    for name, values in logged.items():
        bias = name == "lr/pg0"  # up to 8.3 the biases are group 0
        group = dataclasses.replace(spec, bias=bias)
        assert _printed(lr_trajectory(group, lr0, len(values)).lr, digits) == values, name
