"""Replays against vectors recorded from the real frameworks (tests/replay/data/*.json,
written by tests/replay/data/record.py), so CI checks HF, Keras and Lightning behaviour
without installing them."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from replay import (
    SPEC_NAMES,
    EarlyStopping,
    HFScheduler,
    KerasReduceLROnPlateau,
    early_stop,
    lr_trajectory,
)

DATA = Path(__file__).resolve().parent / "data"


def _load(name: str):
    path = DATA / name
    if not path.exists():
        raise FileNotFoundError(f"recorded vectors missing: {path} (run data/record.py)")
    return json.loads(path.read_text(encoding="utf-8"))["data"]


HF = _load("hf_schedules.json")
KERAS = _load("keras.json")
LIGHTNING = _load("lightning_early_stopping.json")


def _nan(series):
    return [math.nan if v is None else v for v in series]


@pytest.mark.parametrize("case", HF, ids=lambda c: f"{c['type']}-{c['kwargs']}")
def test_lr_trajectory_hf_matches_recorded_transformers(case):
    spec = HFScheduler(
        case["type"], case["num_warmup_steps"], case["num_training_steps"], **case["kwargs"]
    )
    ours = lr_trajectory(spec, case["base_lr"], len(case["lr"])).lr
    assert ours.tolist() == case["lr"]


@pytest.mark.parametrize("case", KERAS["schedules"], ids=lambda c: c["name"])
def test_lr_trajectory_keras_schedule_matches_recorded_keras(case):
    kwargs = dict(case["kwargs"])
    if case["name"] == "PiecewiseConstantDecay":
        kwargs = {k: tuple(v) for k, v in kwargs.items()}
    spec = SPEC_NAMES["keras"][case["name"]](**kwargs)
    ours = lr_trajectory(spec, 0.0, len(case["lr"])).lr.astype(np.float32)
    theirs = np.array(case["lr"], dtype=np.float32)
    if "Cosine" in case["name"]:  # torch's vectorised cosf vs the correctly rounded one
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=2 * np.spacing(theirs.max()))
    else:
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("case", KERAS["reduce_lr"], ids=lambda c: f"{c['series']}-{c['kwargs']}")
def test_lr_trajectory_keras_plateau_matches_recorded_keras(case):
    series = _nan(KERAS["series"][case["series"]])
    spec = KerasReduceLROnPlateau(**case["kwargs"])
    assert lr_trajectory(spec, 0.1, len(series), series).lr.tolist() == case["lr"]


@pytest.mark.parametrize(
    "case", KERAS["early_stopping"], ids=lambda c: f"{c['series']}-{c['kwargs']}"
)
def test_early_stop_keras_matches_recorded_keras(case):
    series = _nan(KERAS["series"][case["series"]])
    event = early_stop(EarlyStopping(semantics="keras", **case["kwargs"]), series)
    assert (event.index if event else None) == case["stop"]


@pytest.mark.parametrize("case", LIGHTNING["cases"], ids=lambda c: f"{c['series']}-{c['kwargs']}")
def test_early_stop_lightning_matches_recorded_lightning(case):
    series = _nan(LIGHTNING["series"][case["series"]])
    event = early_stop(EarlyStopping(semantics="lightning", **case["kwargs"]), series)
    assert (event.index if event else None) == case["stop"]
