import numpy as np
import pytest

from reporter.diagnose.spikes import find_spikes


@pytest.mark.parametrize(
    ("values", "onsets", "recovered"),
    [
        ([1.0, 0.5, 0.2, 0.1, 0.9, 0.8, 0.7], [4], [False]),
        ([1.0, 0.5, 0.2, 0.1, 0.9, 0.12, 0.1], [4], [True]),
        ([1.0, 0.9, 0.8, 0.7, 0.6, 0.5], [], []),
        # a rise to 1.9x the best is not a spike (needs 2x)
        ([1.0, 0.5, 0.1, 0.19, 0.1], [], []),
        # two separate spikes
        ([1.0, 0.2, 0.1, 0.8, 0.1, 0.05, 0.9, 0.9], [3, 6], [True, False]),
        # NaN is skipped here (divergence reports it)
        ([1.0, 0.5, float("nan"), 0.1, 0.6], [4], [False]),
    ],
)
def test_find_spikes_table_onsets_and_recovery(values, onsets, recovered):
    spikes = find_spikes(np.array(values))
    assert [s.onset for s in spikes] == onsets
    assert [s.recovered for s in spikes] == recovered


def test_find_spikes_small_rise_after_little_progress_is_not_a_spike():
    # best 0.95 after a start of 1.0: 2x the best is still "back where it started", but lost
    # progress must be >= 30 %; a noisy flat curve must not count
    y = np.array([1.0, 0.97, 0.95, 0.99, 0.96, 1.0])
    assert find_spikes(y) == []


def test_find_spikes_peak_and_ratio():
    y = np.array([0.6, 0.3, 0.1, 0.05, 0.4, 0.5, 0.45])
    (s,) = find_spikes(y)
    assert (s.onset, s.peak, s.best_index) == (4, 5, 3)
    assert s.ratio == pytest.approx(10.0)
