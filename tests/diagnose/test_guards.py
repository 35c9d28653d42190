"""The live guards replayed over a logged loss: against the real Lightning callback, and against
plain per-point loops written from each published rule."""

from __future__ import annotations

from collections import deque

import numpy as np
import pytest

from reporter.diagnose.guards import (
    GUARDS,
    Window,
    firing_episodes,
    killlossspike,
    lightning_spike_detection,
    megatron_spiky_loss,
    olmo_skip_step,
    replay_guards,
    wandb_zscore,
)


def _curves(seed: int, n: int = 600) -> np.ndarray:
    """A noisy falling loss with a few spikes, a flat stretch and a NaN."""
    rng = np.random.default_rng(seed)
    y = 3.0 * np.exp(-np.arange(n) / 200) + 1.0
    y *= np.exp(0.05 * rng.standard_normal(n))
    for at in rng.integers(50, n - 10, size=4):
        y[at:at + rng.integers(1, 8)] *= rng.uniform(1.5, 6.0)
    if seed % 2:
        y[rng.integers(100, n)] = np.nan
    if seed % 3 == 0:
        y[200:260] = 1.5
    return y


SEEDS = range(12)


# ---- Lightning: the real callback, driven batch by batch ----

class _Strategy:
    root_device = "cpu"

    def barrier(self) -> None:
        pass

    def reduce_boolean_decision(self, decision: bool, all: bool = True) -> bool:
        return decision


class _Fabric:
    strategy = _Strategy()
    global_rank = 0


def _lightning_reference(y: np.ndarray, tmp_path) -> np.ndarray:
    pytest.importorskip("torchmetrics")
    torch = pytest.importorskip("torch")
    spike = pytest.importorskip("lightning_fabric.utilities.spike")
    detector = spike.SpikeDetection(exclude_batches_path=tmp_path)
    fired = np.zeros(len(y), dtype=bool)
    for i, v in enumerate(y):
        try:
            detector.on_train_batch_end(_Fabric(), torch.tensor(float(v)), None, i)
        except spike.TrainingSpikeException:
            fired[i] = True  # the run would stop here; replayed on as if it had not
    return fired


@pytest.mark.parametrize("seed", range(6))
def test_lightning_matches_the_real_callback(seed, tmp_path):
    y = _curves(seed, 300)
    if np.isnan(y[0]):
        y[0] = 2.0
    expected = _lightning_reference(y, tmp_path)
    assert np.array_equal(lightning_spike_detection(y), expected)


def test_lightning_flags_a_nan_and_a_tripling():
    y = np.r_[np.ones(20), 3.5, np.ones(5), np.nan, np.ones(3)]
    assert lightning_spike_detection(y).nonzero()[0].tolist() == [20, 26]


# ---- per-point loops written from the published rules ----

def _killlossspike_loop(y, patience=4, mult=2.0, window=100, cap=10.0):
    win: deque[float] = deque(maxlen=window)
    counter, cap_set, fired = 0, False, np.zeros(len(y), dtype=bool)
    for i, v in enumerate(y):
        if len(win) == window:
            if not cap_set:
                finite = [u for u in win if np.isfinite(u)]
                cap = min(max(finite), cap) if finite else cap
                cap_set = True
            mean = float(np.mean(win))
            spike = False
            if v >= mean * mult:
                counter += 1
                spike = counter > patience
            elif counter > 0:
                counter = 0
            if spike or (i >= 2 * window and sum(u > cap for u in win) >= window / 2):
                fired[i] = True
        win.append(float(v))
    return fired


def _zscore_loop(y, window, k, start, ddof, strict, flat_fires):
    fired = np.zeros(len(y), dtype=bool)
    for i in range(max(start, 1), len(y)):
        prev = np.asarray(y[max(0, i - window):i])
        mean = prev.mean()
        std = prev.std(ddof=ddof) if len(prev) > ddof else np.nan
        with np.errstate(invalid="ignore", divide="ignore"):
            z = abs(y[i] - mean) / std
        within = (z <= k) if strict else (z < k)
        if not flat_fires and std == 0 and y[i] == mean:
            within = True
        fired[i] = not within
    return fired


def _megatron_loop(y, threshold=10.0, samples=100):
    seen, ref, fired = 0, 0.0, np.zeros(len(y), dtype=bool)
    for i, v in enumerate(y):
        if not np.isfinite(v):
            fired[i] = True
            continue
        if seen < samples:
            seen += 1
            ref = max(ref, abs(v))
            continue
        fired[i] = abs(v) >= ref * threshold
    return fired


@pytest.mark.parametrize("seed", SEEDS)
def test_killlossspike_matches_its_rule(seed):
    y = _curves(seed)
    assert np.array_equal(killlossspike(y, window=100), _killlossspike_loop(y))


def test_killlossspike_high_loss_rule_and_its_default_window():
    y = np.r_[np.full(100, 8.0), np.full(150, 9.0)]  # cap = 8: a whole window above it
    fired = killlossspike(y)
    assert fired.any() and fired.nonzero()[0][0] == 200
    assert np.array_equal(fired, _killlossspike_loop(y))
    long = np.ones(4000)
    long[3000:3006] = 5.0  # window max(100, 5 % of 4000) = 200
    assert killlossspike(long).nonzero()[0].tolist() == [3004, 3005]


def test_killlossspike_never_fires_on_a_nan():
    y = np.r_[np.ones(150), np.full(10, np.nan), np.ones(50)]
    assert not killlossspike(y).any()


@pytest.mark.parametrize("seed", SEEDS)
def test_olmo_matches_its_rule(seed):
    y = _curves(seed)
    expected = _zscore_loop(y, 128, 6.0, 63, 1, True, True)
    assert np.array_equal(olmo_skip_step(y), expected)


def test_olmo_reads_the_grad_norm_too():
    rng = np.random.default_rng(0)
    loss = 1 + 0.01 * rng.standard_normal(200)
    grad = 1 + 0.01 * rng.standard_normal(200)
    grad[150] = 5.0
    assert not olmo_skip_step(loss).any()
    assert olmo_skip_step(loss, grad_norm=grad).nonzero()[0].tolist() == [150]


@pytest.mark.parametrize("seed", SEEDS)
def test_wandb_matches_its_rule(seed):
    y = _curves(seed)
    expected = _zscore_loop(y, 30, 3.0, 30, 0, False, False) & np.isfinite(y)
    assert np.array_equal(wandb_zscore(y), expected)


@pytest.mark.parametrize("seed", SEEDS)
def test_megatron_matches_its_rule(seed):
    y = _curves(seed) * np.where(np.arange(600) == 400, 30.0, 1.0)
    assert np.array_equal(megatron_spiky_loss(y), _megatron_loop(y))


@pytest.mark.slow
def test_guards_take_a_million_points():
    y = _curves(1, 1_000_000)
    for guard in GUARDS:
        assert guard.fires(y).shape == y.shape


def test_replay_scores_alarms_against_the_findings():
    rng = np.random.default_rng(3)
    y = 2 + 0.02 * rng.standard_normal(400)
    y[300:303] = [9.0, 12.0, 10.0]  # a spike: onset 300, peak 301
    x = np.arange(400) * 10.0
    out = {g.name: g for g in replay_guards(x, y, [Window(300, 301, 303)])}
    lightning = out["Lightning SpikeDetection"]
    assert lightning.first_fire == 3000.0
    assert lightning.on_findings == 1 and lightning.lead == 10.0 and lightning.lead_points == 1
    megatron = out["Megatron-LM loss checks"]
    assert megatron.alarms == 0 and megatron.first_fire is None and megatron.lead is None
    for g in out.values():
        assert g.alarms == g.on_findings + g.on_healthy


def test_firing_episodes_counts_runs_once():
    assert firing_episodes(np.array([0, 1, 1, 0, 1, 0, 1, 1], bool)).tolist() == [1, 4, 6]


def test_flat_window_is_all_equal_finite_values_before_the_point():
    from reporter.diagnose.guards import _flat_before

    rng = np.random.default_rng(4)
    y = rng.choice([1.0, 2.0, 0.0, -0.0, np.nan, np.inf], 300)
    for window in (1, 3, 30):
        flat, value = _flat_before(y, window)
        for i in range(len(y)):
            before = y[max(i - window, 0):i]
            expected = len(before) > 0 and bool(np.isfinite(before).all()) and len(
                set(before.tolist())) == 1
            assert flat[i] == expected
            assert not expected or value[i] == before[0]
