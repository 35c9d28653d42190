"""The confirmation progress bar (a terminal) and the analyze flags that drive the trainings."""

from __future__ import annotations

import io

import pytest

from reporter.cli.main import main
from reporter.cli.progress import TrialBar, _duration


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_bar_draws_in_place_with_an_eta_from_the_pace_after_the_first_unit():
    stream, clock = io.StringIO(), Clock()
    bar = TrialBar(stream, clock)
    clock.now += 50  # calibration and worker start-up: not part of the pace
    bar(8, 32, "current, seed 7")
    assert "8/32" in stream.getvalue() and "left" not in stream.getvalue()
    clock.now += 20
    bar(16, 32, "cosine, seed 7")
    last = stream.getvalue().split("\r")[-1]
    assert "[############------------] 16/32  cosine, seed 7  40s left" in last
    bar.close()
    assert stream.getvalue().endswith("\n")


def test_bar_close_without_drawing_writes_nothing():
    stream = io.StringIO()
    TrialBar(stream).close()
    assert stream.getvalue() == ""


@pytest.mark.parametrize(("seconds", "text"), [(7.2, "7s"), (65, "1m05s"), (-3, "0s")])
def test_duration(seconds, text):
    assert _duration(seconds) == text


def test_plain_lines_when_stderr_is_not_a_terminal(monkeypatch, tmp_path):
    seen = {}

    def fake_analyze(path, **kwargs):
        seen.update(kwargs)
        raise KeyboardInterrupt  # stop before any work; only the arguments matter here

    monkeypatch.setattr("reporter.analysis.pipeline.analyze", fake_analyze)
    code = main(["analyze", "samples/seed_like", "-o", str(tmp_path / "out"), "--no-cache",
                 "--budget", "30", "--executor", "ray", "--ray-address", "ray://head:10001"])
    assert code == 130
    assert seen["trial_progress"] is None  # pytest's stderr is no terminal
    assert (seen["cache"], seen["budget"], seen["executor"], seen["ray_address"]) == (
        False, 30.0, "ray", "ray://head:10001")


def test_defaults_cache_on_and_a_two_minute_budget(monkeypatch, tmp_path):
    seen = {}

    def fake_analyze(path, **kwargs):
        seen.update(kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr("reporter.analysis.pipeline.analyze", fake_analyze)
    main(["analyze", "samples/seed_like", "-o", str(tmp_path / "out")])
    assert (seen["cache"], seen["budget"], seen["executor"]) == (True, 120.0, "local")


@pytest.mark.parametrize("budget", ["0", "-5"])
def test_a_budget_that_is_not_positive_is_a_usage_error(tmp_path, capsys, budget):
    code = main(["analyze", "samples/seed_like", "-o", str(tmp_path / "out"),
                 f"--budget={budget}"])
    assert code == 2 and "--budget must be a positive number of seconds" in capsys.readouterr().err
