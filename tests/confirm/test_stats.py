"""Wilson and bootstrap intervals against values worked out by hand."""

import math

import numpy as np
import pytest

from reporter.confirm.stats import bootstrap_median, wilson


def test_wilson_zero_of_eight_by_hand():
    # p = 0: centre = half-width = (z²/2n) / (1 + z²/n) = 0.240100 / 1.480200
    low, high = wilson(0, 8, 1.96)
    assert low == 0.0
    assert high == pytest.approx(2 * 0.2401 / 1.4802, abs=1e-4)  # 0.3244


def test_wilson_three_of_eight_by_hand():
    # centre (0.375 + 0.2401) / 1.4802 = 0.41555; half 1.96/1.4802 * sqrt(0.029297 + 0.015006)
    low, high = wilson(3, 8, 1.96)
    half = 1.96 / 1.4802 * math.sqrt(0.375 * 0.625 / 8 + 1.96**2 / 256)
    assert (low, high) == pytest.approx((0.41555 - half, 0.41555 + half), abs=1e-4)
    assert (round(low, 4), round(high, 4)) == (0.1368, 0.6943)


def test_wilson_is_symmetric_in_failures_and_successes():
    low, high = wilson(8, 8)
    low0, high0 = wilson(0, 8)
    assert (low, high) == pytest.approx((1 - high0, 1 - low0))
    assert high == 1.0


def test_wilson_rejects_impossible_counts():
    with pytest.raises(ValueError):
        wilson(3, 2)
    with pytest.raises(ValueError):
        wilson(0, 0)


def test_bootstrap_median_is_reproducible_and_brackets_the_median():
    values = [0.2, 0.5, 0.1, 0.9, 0.3, 0.4, 0.8, 0.6]
    first = bootstrap_median(values)
    assert first == bootstrap_median(values)
    assert first[0] <= np.median(values) <= first[1]
    assert min(values) <= first[0] and first[1] <= max(values)


def test_bootstrap_median_of_one_value_and_of_none():
    assert bootstrap_median([0.5]) == (0.5, 0.5)
    assert bootstrap_median([]) is None


def test_bootstrap_median_narrows_with_a_tight_sample():
    wide = bootstrap_median([0.1, 1.0, 2.0, 5.0, 9.0, 0.2, 3.0, 7.0])
    tight = bootstrap_median([1.0, 1.01, 0.99, 1.0, 1.02, 0.98, 1.0, 1.0])
    assert tight[1] - tight[0] < (wide[1] - wide[0]) / 10

