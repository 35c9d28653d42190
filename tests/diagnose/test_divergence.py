import numpy as np
import pytest

from reporter.diagnose.divergence import find_divergence
from reporter.diagnose.series import Curve

NAN, INF = float("nan"), float("inf")


def _curve(values):
    y = np.array(values, dtype=float)
    return Curve("train/loss", np.arange(1, len(y) + 1, dtype=float), y)  # epochs 1..n


@pytest.mark.parametrize(
    ("values", "title", "ends", "final_from", "last_before_end", "last_before_end_at"),
    [
        # NaN from epoch 3 to the end
        ([1.0, 0.8, NAN, NAN], "train/loss became NaN at epoch 3", True, 3.0, 0.8, 2.0),
        # NaN at epoch 1: no finite value before it
        ([NAN, NAN], "train/loss became NaN at epoch 1", True, 1.0, None, None),
        # a NaN blip, then finite values, then NaN again to the end
        ([1.0, NAN, 0.7, 0.6, INF], "train/loss became NaN/inf at epoch 2", True, 5.0, 0.6, 4.0),
    ],
)
def test_find_divergence_table_title_and_end_of_run_evidence(
    values, title, ends, final_from, last_before_end, last_before_end_at
):
    f = find_divergence(_curve(values))
    assert f.title == title and f.severity == "critical"
    ev = f.evidence
    assert ev["ends_nonfinite"] is ends
    assert ev["final_nonfinite_from"] == final_from
    assert ev["last_finite_before_end_value"] == last_before_end
    assert ev["last_finite_before_end_at"] == last_before_end_at


@pytest.mark.parametrize(
    ("values", "last", "last_at"),
    [([1.0, 0.8, NAN], 0.8, 2.0), ([NAN, 1.0], None, None), ([1.0, 0.9, NAN, 0.5], 0.9, 2.0)],
)
def test_find_divergence_last_finite_before_first_nonfinite(values, last, last_at):
    ev = find_divergence(_curve(values)).evidence
    assert (ev["last_finite_value"], ev["last_finite_at"]) == (last, last_at)


def test_find_divergence_all_finite_is_none():
    assert find_divergence(_curve([1.0, 0.5, 0.2])) is None


def test_find_divergence_single_nonfinite_step_that_recovers_is_a_warning():
    f = find_divergence(_curve([1.0, NAN, 0.7, 0.6]))
    assert (f.kind, f.severity, f.start) == ("divergence", "warning", 2.0)
    assert f.evidence["sustained"] is False
    assert "one non-finite step" in f.title and f.evidence["nonfinite_points"] == 1


def test_find_divergence_long_nonfinite_stretch_that_recovers_is_critical():
    f = find_divergence(_curve([1.0, 0.9, NAN, NAN, NAN, NAN, 0.8, 0.7]))
    assert (f.kind, f.severity, f.start) == ("divergence", "critical", 3.0)


def test_find_divergence_nan_to_the_end_is_critical_divergence():
    f = find_divergence(_curve([1.0, 0.9, 0.8, NAN]))
    assert (f.kind, f.severity) == ("divergence", "critical")
