"""Identifying the Ultralytics schedule from logged lr/pg* values (issue 8, item 4).

The logs are those of the real trainer (``data/ultralytics.json``, see
``data/make_ultralytics.py``), printed the way results.csv prints them where stated.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from replay.ultralytics import UltralyticsSchedule, warmup_iterations
from replay.ultralytics_infer import Known, infer_ultralytics, printed_digits_rtol

CASES = json.loads((Path(__file__).parent / "data" / "ultralytics.json").read_text())["cases"]
#: cases whose log has at least two epochs after the warm-up (the last one has one)
IDENTIFIABLE = [c for c in CASES if c["epochs"] >= 6]


def _groups(case: dict) -> tuple[list[float], list[float]]:
    bias = case["groups"].index("bias")
    return case["lr"]["lr/pg0"], case["lr"][f"lr/pg{bias}"]


def _truth(case: dict) -> UltralyticsSchedule:
    args = case["args"]
    nw = warmup_iterations(args["warmup_epochs"], case["nb"], case["epochs"], floor=False)
    return UltralyticsSchedule(case["kind"], case["epochs"], args["lrf"], case["nb"], nw,
                               args["warmup_bias_lr"])


@pytest.mark.parametrize("case", IDENTIFIABLE, ids=lambda c: f"{c['kind']}-{c['epochs']}")
def test_infer_ultralytics_finds_the_real_trainers_schedule(case: dict) -> None:
    weights, bias = _groups(case)
    best = infer_ultralytics(weights, bias)[0]
    assert best.score == 1.0 and best.base_lr == case["args"]["lr0"]
    truth = _truth(case)
    if truth.nw == 0:  # no warm-up: warmup_bias_lr leaves no trace in the log
        assert best.spec.nw == 0 and best.spec.kind == truth.kind
    else:
        assert best.spec == truth


@pytest.mark.parametrize("case", IDENTIFIABLE, ids=lambda c: f"{c['kind']}-{c['epochs']}")
def test_infer_ultralytics_on_values_printed_with_five_digits(case: dict) -> None:
    weights, bias = (np.array([float(f"{v:.5g}") for v in g]) for g in _groups(case))
    rtol = printed_digits_rtol(np.concatenate([weights, bias]))
    assert rtol == 5e-5
    best = infer_ultralytics(weights, bias, rtol=rtol)[0]
    assert best.score == 1.0 and best.base_lr == case["args"]["lr0"]
    assert (best.spec.kind, best.spec.epochs, best.spec.lrf) == (
        case["kind"], case["epochs"], case["args"]["lrf"])


def test_infer_ultralytics_with_args_yaml_settings_keeps_them() -> None:
    case = next(c for c in IDENTIFIABLE if c["kind"] == "cos")
    weights, bias = _groups(case)
    known = Known("cos", case["epochs"], None, case["args"]["lrf"], case["args"]["warmup_bias_lr"])
    best = infer_ultralytics(weights, bias, known=known)[0]
    assert best.spec == _truth(case) and best.score == 1.0


def test_infer_ultralytics_a_wrong_args_yaml_is_not_reproduced() -> None:
    case = next(c for c in IDENTIFIABLE if c["kind"] == "linear")
    weights, bias = _groups(case)
    best = infer_ultralytics(weights, bias, known=Known(epochs=case["epochs"] + 5))
    assert not best or best[0].score < 1.0


def test_infer_ultralytics_stepped_at_the_end() -> None:
    truth = UltralyticsSchedule("cos", 30, 0.05, nb=40, nw=120, stepped="end")
    weights = [truth.logged(0.01, e) for e in range(30)]
    from dataclasses import replace

    bias = [replace(truth, bias=True).logged(0.01, e) for e in range(30)]
    best = infer_ultralytics(weights, bias)[0]
    assert (best.spec, best.base_lr, best.score) == (truth, 0.01, 1.0)


def test_infer_ultralytics_needs_epochs_after_the_warmup() -> None:
    short = next(c for c in CASES if c["epochs"] < 6)
    assert infer_ultralytics(*_groups(short)) == []


def test_printed_digits_rtol() -> None:
    assert printed_digits_rtol([0.01, 0.0032727]) == 5e-5
    assert printed_digits_rtol([0.000546249]) == 5e-6
    assert printed_digits_rtol([0.1 * 0.7**11]) == 1e-6
