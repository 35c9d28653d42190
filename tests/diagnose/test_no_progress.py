import numpy as np
import pytest

from reporter.diagnose.no_progress import CAVEAT, CRITERION, find_no_progress
from reporter.diagnose.series import Curve


def _curve(values, metric="train/loss"):
    y = np.array(values, dtype=float)
    return Curve(metric, np.arange(len(y), dtype=float), y)


FLAT_HUGE = list(3.7672e25 - 1.44e19 * np.arange(535))  # r07: 3.767e+25 → 3.766e+25


@pytest.mark.parametrize(
    ("values", "found"),
    [
        (FLAT_HUGE, True),
        ([1.0] * 12, True),  # exactly flat
        ([1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8, 1.9], True),  # rising
        ([1.0, 0.99, 0.98, 0.97, 0.97, 0.96, 0.96, 0.96, 0.96, 0.96], True),  # 4 % down
        ([1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.45, 0.4, 0.38, 0.36], False),  # learns
        ([10.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0], False),  # fast drop, then flat
        ([1.0] * 9, False),  # fewer than 10 points
        ([-1.0, -1.5, -2.0, -2.5, -3.0, -3.5, -4.0, -4.5, -5.0, -5.5], False),  # negative, falls
        ([-1.0, -0.9, -0.9, -0.9, -0.9, -0.9, -0.9, -0.9, -0.9, -0.9], True),  # negative, rises
    ],
)
def test_find_no_progress_table(values, found):
    assert (find_no_progress(_curve(values)) is not None) is found


def test_find_no_progress_uses_the_tail_median_not_the_last_point():
    # a noisy last point below the first value does not hide a flat tail
    values = [1.0] * 20 + [0.5]
    f = find_no_progress(_curve(values))
    assert f is not None and f.evidence["tail_median"] == pytest.approx(1.0)
    assert f.evidence["last_value"] == pytest.approx(0.5)


def test_find_no_progress_evidence_criterion_and_caveat():
    f = find_no_progress(_curve(FLAT_HUGE))
    assert (f.kind, f.severity, f.metric) == ("no_progress", "warning", "train/loss")
    assert f.title == "train/loss did not go down over 535 logged epochs (3.767e+25 → 3.766e+25)"
    ev = f.evidence
    assert ev["points"] == 535 and ev["first_at"] == 0.0 and ev["last_at"] == 534.0
    assert -0.05 < ev["relative_change"] < 0
    assert f.criterion == CRITERION and "5%" in CRITERION and "10" in CRITERION
    assert f.caveats == (CAVEAT,)
    for words in ("too low", "too high", "labels", "cannot learn"):
        assert words in CAVEAT
