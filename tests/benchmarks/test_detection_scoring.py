"""The scoring of ``benchmarks/detection.py`` on hand-made alarms and labels.

The benchmark is only as good as its scoring: these pin the time-margin boundaries, how false
alarms are counted, where an alarm on a per-epoch view lands, the baselines on trivial curves,
and that the real-log labels file reads.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
# the benchmark's modules import each other by name; none is named like a project package
# (tests/test_layout.py), since spawned workers inherit sys.path
if str(BENCH) not in sys.path:
    sys.path.append(str(BENCH))

from detection_anomalies import make_case  # noqa: E402
from detection_baselines import (  # noqa: E402
    episodes,
    fixed_threshold,
    our_alarms,
    rolling_zscore,
    running_mean_ratio,
)
from detection_realogs import read_labels  # noqa: E402
from detection_scoring import Alarm, Axes, Label, margin, score, tally  # noqa: E402


class _Axes:
    """Axes of a run whose every metric has ``n`` points at steps 0..n-1 (position = step)."""

    def __init__(self, n: int = 100) -> None:
        self.n = n

    def __contains__(self, metric: str) -> bool:
        return True

    def length(self, metric: str) -> int:
        return self.n

    def position(self, metric: str, x: float, axis: str) -> int:
        return int(x)


SPIKE = Label("spike_recovered", ("train/loss",), 10.0)


@pytest.mark.parametrize(("position", "found", "delay"), [
    (7, False, None), (8, True, -2), (10, True, 0), (13, True, 3), (14, False, None),
])
def test_score_spike_margin_two_before_three_after(position, found, delay):
    outcome = score([Alarm("train/loss", position)], SPIKE, _Axes())
    assert (outcome.found, outcome.delay, outcome.stray) == (found, delay, 0 if found else 1)


def test_score_alarm_on_another_metric_is_stray():
    outcome = score([Alarm("val/loss", 10)], SPIKE, _Axes())
    assert not outcome.found and outcome.stray == 1


def test_score_earliest_matching_alarm_gives_the_delay_others_are_not_stray():
    alarms = [Alarm("train/loss", 12, "collapse"), Alarm("train/loss", 9, "spike"),
              Alarm("train/loss", 60, "spike")]
    outcome = score(alarms, SPIKE, _Axes())
    assert (outcome.found, outcome.delay, outcome.kind, outcome.stray) == (True, -1, "spike", 1)
    assert outcome.stray_kinds == ("spike",)


def test_score_healthy_run_every_alarm_is_a_false_alarm():
    healthy = Label("healthy", ())
    runs = [score([Alarm("train/loss", 5), Alarm("grad_norm", 9)], healthy, _Axes()),
            score([], healthy, _Axes()), score([], healthy, _Axes()),
            score([Alarm("val/loss", 1)], healthy, _Axes())]
    t = tally(runs)
    assert [o.stray for o in runs] == [2, 0, 0, 1] and not any(o.found for o in runs)
    assert (t.stray_per_run, t.share_with_stray, t.found) == (0.75, 0.5, 0)


@pytest.mark.parametrize(("kind", "n", "expected"), [
    ("collapse", 100, (3, 5)), ("collapse", 400, (3, 20)), ("stall", 30, (5, 5)),
    ("stall", 500, (50, 50)), ("slow_divergence", 200, (10, 50)), ("overfit", 12, (2, 3)),
    ("overfit", 80, (10, 20)), ("grad_spike", 1000, (2, 3)),
])
def test_margin_per_class_scales_with_the_series(kind, n, expected):
    assert margin(kind, n) == expected


def test_margin_unknown_class_names_the_classes():
    with pytest.raises(ValueError, match=r"no time margin for class 'drift'.*spike_recovered"):
        margin("drift", 10)


def test_score_stall_alarm_at_the_first_point_counts_within_a_tenth():
    stall = Label("stall", ("train/loss",), 40.0)
    assert score([Alarm("train/loss", 0)], stall, _Axes(500)).found
    assert not score([Alarm("train/loss", 0)], stall, _Axes(300)).found


def _per_step_run(make_run):
    """4 epochs of 3 logged steps each (steps 10..120), HF-style progress epochs."""
    import pandas as pd

    run = make_run(train__loss=[1.0] * 12)
    run.scalars = run.scalars.assign(step=pd.array(range(10, 130, 10), dtype="Int64"),
                                     epoch=[(i + 1) / 3 for i in range(12)])
    run.meta["epoch_kind"] = "progress"
    return run


def test_axes_epoch_position_is_the_last_point_of_that_epoch(make_run):
    axes = Axes(_per_step_run(make_run))
    assert axes.position("train/loss", 1.0, "epoch") == 5  # progress 1.33, 1.67, 2.0
    assert axes.position("train/loss", 0.0, "epoch") == 2
    assert axes.position("train/loss", 44.0, "step") == 3  # nearest step, 40
    assert axes.length("train/loss") == 12


def test_our_alarms_place_a_per_epoch_spike_at_its_epoch(make_run):
    loss = [2.0, 1.5, 1.2, 1.0, 0.9, 0.85, 0.8, 4.0, 0.78, 0.75, 0.72, 0.7]
    run = make_run(train__loss=loss)
    alarms = our_alarms(run, Axes(run))
    assert [(a.metric, a.position, a.kind) for a in alarms] == [("train/loss", 7, "spike")]
    found = score(alarms, Label("spike_recovered", ("train/loss",), 7.0, "epoch"), Axes(run))
    assert found.found and found.delay == 0


def test_baselines_on_a_falling_line_with_one_jump_fire_once_at_the_jump():
    y = np.linspace(2.0, 1.0, 60)
    y[40] = 4.0  # the 40 points before average 1.67: ≥ 2× their mean needs 3.34
    for mask in (rolling_zscore(y, 3.0), rolling_zscore(y, 5.0), running_mean_ratio(y),
                 fixed_threshold(y)):
        assert episodes(mask).tolist() == [40]
    y[40] = 3.0
    assert episodes(running_mean_ratio(y)).tolist() == []


def test_baselines_non_finite_points_fire_and_a_run_of_them_is_one_alarm():
    y = np.linspace(2.0, 1.0, 40)
    y[20:25] = np.nan
    y[30] = np.inf
    for rule in (lambda v: rolling_zscore(v, 3.0), running_mean_ratio, fixed_threshold):
        assert episodes(rule(y)).tolist() == [20, 30]


def test_baselines_need_history_before_they_fire():
    y = np.array([1.0, 5.0, 1.0, 9.0] + [1.0] * 20)
    assert not rolling_zscore(y, 3.0)[:10].any()  # fewer than 10 earlier points
    assert not running_mean_ratio(y)[:10].any()
    assert fixed_threshold(y)[[1, 3]].all()  # above the first value from the start


def test_fixed_threshold_is_the_first_finite_value():
    y = np.array([np.nan, 2.0, 1.0, 1.9, 2.1])
    assert fixed_threshold(y).tolist() == [True, False, False, False, True]


def test_make_case_is_seeded_and_the_onset_is_the_injected_point():
    a, label = make_case("spike_recovered", 7, 8)
    b, _ = make_case("spike_recovered", 7, 8)
    metric = label.metrics[0]
    ya, yb = a.metrics[metric][1], b.metrics[metric][1]
    assert np.array_equal(ya, yb, equal_nan=True)
    q = int(np.nonzero(a.steps[a.metrics[metric][0]] == label.onset)[0][0])
    assert ya[q] >= 2.5 * np.median(ya[max(q - 5, 0):q])  # grade medium: ×3 the level


def test_to_run_records_a_summed_loss_and_its_parts_as_the_ultralytics_reader_does():
    from detection_curves import to_run

    curves, _ = make_case("healthy", 6, 8)  # index 6: the YOLO family
    assert curves.family == "yolo"
    run = to_run(curves, "yolo")
    assert run.meta["loss_parts"]["train/loss"] == ["train/box_loss", "train/cls_loss",
                                                    "train/dfl_loss"]
    total = run.series("train/loss")["value"].to_numpy()
    parts = sum(run.series(p)["value"].to_numpy() for p in run.meta["loss_parts"]["train/loss"])
    assert np.allclose(total, parts)


def test_realogs_labels_file_reads_with_four_scored_anomalies():
    rows = read_labels()
    by = {r.folder: r for r in rows}
    assert len(rows) == 24
    assert sorted(r.folder for r in rows if r.status == "anomaly") == [
        "r01_hf_trainer_state", "r05_lightning_csv", "r07_lightning_csv", "r09_keras_csv"]
    assert by["r09_keras_csv"].label == Label("spike_recovered", ("val/loss",), 4.0, "epoch")
    assert by["r02_hf_trainer_state"].label.kind == "healthy"
