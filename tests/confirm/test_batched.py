"""All seeds of a setting at once give each seed's one-at-a-time curves (within float rounding)."""

from __future__ import annotations

import numpy as np
import pytest

from replay import CosineAnnealingLR, EarlyStopping, ReduceLROnPlateau
from reporter.confirm import ProxyTask, TrialSpec

torch = pytest.importorskip("torch")
from reporter.confirm import batched  # noqa: E402
from reporter.confirm.batched import Unbatchable, train_seeds  # noqa: E402
from reporter.confirm.proxy import train_trial  # noqa: E402

TINY = ProxyTask(n_train=64, n_val=32, seq_len=8, hidden_size=8, head_size=4, batch_size=16)


def _assert_same_curves(spec: TrialSpec, seeds: list[int], task: ProxyTask) -> None:
    together = train_seeds(spec, seeds, task=task, name="t")
    assert [c.seed for c in together] == seeds
    for seed, got in zip(seeds, together, strict=True):
        alone = train_trial(spec, seed, task=task, name="t")
        where = f"seed {seed}"
        assert (got.stopped_at, got.stop_reason, got.diverged) == (
            alone.stopped_at, alone.stop_reason, alone.diverged), where
        assert got.epochs_trained == alone.epochs_trained, where
        assert got.lr.tolist() == alone.lr.tolist(), where
        np.testing.assert_allclose(got.val_loss, alone.val_loss, rtol=1e-4, atol=1e-6,
                                   err_msg=where)
        np.testing.assert_allclose(got.train_loss, alone.train_loss, rtol=1e-4, atol=1e-6,
                                   err_msg=where)
        np.testing.assert_allclose(got.grad_norm, alone.grad_norm, rtol=1e-4, err_msg=where)
        np.testing.assert_array_equal(got.clip_fraction, alone.clip_fraction, err_msg=where)


@pytest.mark.slow
@pytest.mark.parametrize(
    "spec",
    [
        TrialSpec(0.01, ReduceLROnPlateau(patience=0, factor=0.5, threshold=0.2), None, 0.5,
                  epochs=6),
        TrialSpec(0.02, CosineAnnealingLR(T_max=5, eta_min=1e-4), None, None, epochs=5),
    ],
    ids=["plateau-and-clipping", "cosine-no-clipping"],
)
def test_batched_seeds_match_one_seed_at_a_time(spec):
    _assert_same_curves(spec, [0, 1, 2, 5], TINY)


@pytest.mark.slow
def test_plateau_scheduler_reacts_per_seed():
    spec = TrialSpec(0.01, ReduceLROnPlateau(patience=0, factor=0.5, threshold=0.2), epochs=6)
    curves = train_seeds(spec, [0, 1, 2, 5], task=TINY)
    assert len({tuple(c.lr) for c in curves}) > 1  # the seeds' LRs part ways


@pytest.mark.slow
def test_seeds_that_stop_early_leave_the_others_training():
    spec = TrialSpec(0.03, None, EarlyStopping(patience=1, min_delta=0.01), 1.0, epochs=12)
    curves = train_seeds(spec, [0, 1, 2, 3], task=TINY)
    assert len({c.epochs_trained for c in curves}) > 1  # they stopped at different epochs
    _assert_same_curves(spec, [0, 1, 2, 3], TINY)


@pytest.mark.slow
def test_a_diverging_seed_ends_alone():
    spec = TrialSpec(1e9, None, None, None, epochs=4)  # absurd on purpose: seed 0 overflows
    curves = train_seeds(spec, [0, 5], task=TINY)
    assert [(c.diverged, c.epochs_trained) for c in curves] == [(True, 1), (False, 4)]
    _assert_same_curves(spec, [0, 5], TINY)


@pytest.mark.slow
def test_default_proxy_size_matches_too():
    """The proxy as the runner uses it: catches drift between the two paths' builds."""
    _assert_same_curves(TrialSpec(0.01, ReduceLROnPlateau(patience=1), None, 1.0, epochs=1),
                        [0, 3], ProxyTask())


@pytest.mark.slow
def test_every_seed_gets_a_share_of_the_wall_time():
    curves = train_seeds(TrialSpec(0.01, epochs=2), [0, 1], task=TINY)
    assert all(c.seconds > 0 for c in curves)


def test_no_seeds_trains_nothing():
    assert train_seeds(TrialSpec(0.01, epochs=2), [], task=TINY) == []


def test_a_read_out_it_cannot_stack_is_refused(monkeypatch):
    class Odd(batched._SineLSTM):
        def __init__(self, hidden_size, num_layers, head_size):
            super().__init__(hidden_size, num_layers, head_size)
            self.head = torch.nn.Sequential(torch.nn.Linear(hidden_size, 1), torch.nn.Tanh())

    monkeypatch.setattr(batched, "_SineLSTM", Odd)
    with pytest.raises(Unbatchable, match="Tanh"):
        train_seeds(TrialSpec(0.01, epochs=1), [0], task=TINY)


def test_a_seeds_curve_does_not_depend_on_the_seeds_beside_it():
    """So a cached seed, or a setting the budget split in two units, gives the same numbers."""
    spec = TrialSpec(0.01, ReduceLROnPlateau(patience=0), None, 1.0, epochs=3)
    together = train_seeds(spec, [0, 1, 2, 3], task=TINY)
    alone = train_seeds(spec, [2], task=TINY)[0]
    pair = train_seeds(spec, [2, 3], task=TINY)
    np.testing.assert_array_equal(together[2].val_loss, alone.val_loss)
    np.testing.assert_array_equal(together[2].train_loss, pair[0].train_loss)
    np.testing.assert_array_equal(together[3].grad_norm, pair[1].grad_norm)
