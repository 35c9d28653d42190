"""The runner: batched proxy units, the cache (a second run trains nothing), the time budget."""

from __future__ import annotations

import numpy as np
import pytest

from replay import ReduceLROnPlateau
from reporter.confirm import ProxyTask, SeedCurve, TrialSpec, executors, run_confirmation, runner
from reporter.confirm.cache import TrialCache

pytest.importorskip("torch")

TINY = ProxyTask(n_train=64, n_val=32, seq_len=8, hidden_size=8, head_size=4, batch_size=16)
TRIALS = {
    "current": TrialSpec(0.01, ReduceLROnPlateau(patience=0), None, 1.0, epochs=2),
    "lower lr": TrialSpec(0.005, None, None, 1.0, epochs=2),
}


class FakeTraining:
    """Stands in for ``run_unit``: counts units and seeds, advances a fake clock."""

    def __init__(self, monkeypatch, seconds_per_seed_epoch: float = 1.0) -> None:
        self.units: list[executors.Unit] = []
        self.now = 0.0
        self.rate = seconds_per_seed_epoch
        monkeypatch.setattr(executors, "run_unit", self)
        monkeypatch.setattr(runner.time, "perf_counter", lambda: self.now)

    def __call__(self, unit: executors.Unit) -> list[SeedCurve]:
        self.units.append(unit)
        self.now += self.rate * unit.spec.epochs * len(unit.seeds)
        return [_flat_curve(unit.name, seed, unit.spec.epochs) for seed in unit.seeds]

    @property
    def seeds(self) -> list[tuple[str, int]]:
        return [(u.name, s) for u in self.units for s in u.seeds]


def _flat_curve(name: str, seed: int, epochs: int) -> SeedCurve:
    ones = np.ones(epochs)
    return SeedCurve(name, seed, ones, ones * seed, ones * 0.01, ones, ones * 0, None, "",
                     False, 1.0)


def test_proxy_seeds_of_a_setting_train_as_one_unit(monkeypatch):
    fake = FakeTraining(monkeypatch)
    calls = []
    result = run_confirmation(TRIALS, seeds=3, task=TINY, on_progress=lambda *a: calls.append(a))
    assert [(u.name, u.seeds, u.batched) for u in fake.units] == [
        ("current", (0, 1, 2), True), ("lower lr", (0, 1, 2), True)]
    assert [c[:2] for c in calls] == [(i, 6) for i in range(1, 7)]
    assert calls[-1][2] == "lower lr, seed 2"
    assert [r.seed for r in result.trials["lower lr"].runs] == [0, 1, 2]


def test_priority_orders_the_training_not_the_result(monkeypatch):
    fake = FakeTraining(monkeypatch)
    trials = {**TRIALS, "cosine": TrialSpec(0.01, None, None, None, epochs=2)}
    result = run_confirmation(trials, seeds=2, task=TINY, priority=["current", "cosine", "x"])
    assert [u.name for u in fake.units] == ["current", "cosine", "lower lr"]
    assert list(result.trials) == ["current", "lower lr", "cosine"]


def test_entry_points_train_one_seed_per_unit_minimum_seeds_first(monkeypatch):
    fake = FakeTraining(monkeypatch)
    run_confirmation(TRIALS, seeds=4, task=TINY, batched=False, min_seeds=2)
    assert fake.seeds == [("current", 0), ("current", 1), ("lower lr", 0), ("lower lr", 1),
                          ("current", 2), ("current", 3), ("lower lr", 2), ("lower lr", 3)]
    assert all(len(u.seeds) == 1 and not u.batched for u in fake.units)


@pytest.mark.slow
def test_a_second_run_trains_nothing_and_gives_the_same_curves(tmp_path):
    counted = []

    def counting(unit):
        counted.append(unit)
        return real(unit)

    real = executors.run_unit
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(executors, "run_unit", counting)
        notes_first: list[str] = []
        first = run_confirmation(TRIALS, seeds=2, task=TINY, cache=TrialCache(tmp_path),
                                 notes=notes_first)
        assert len(counted) == 2 and notes_first == []
        notes: list[str] = []
        again = run_confirmation(TRIALS, seeds=2, task=TINY, cache=TrialCache(tmp_path),
                                 notes=notes)
    assert len(counted) == 2  # nothing trained the second time
    assert any("4 of 4 trainings were read from the trial cache" in n for n in notes)
    for name in TRIALS:
        for a, b in zip(first.trials[name].runs, again.trials[name].runs, strict=True):
            np.testing.assert_array_equal(a.val_loss, b.val_loss)
            assert (a.trial, a.seed) == (b.trial, b.seed)


def test_only_the_missing_seeds_are_trained(monkeypatch, tmp_path):
    fake = FakeTraining(monkeypatch)
    run_confirmation(TRIALS, seeds=2, task=TINY, cache=TrialCache(tmp_path))
    run_confirmation(TRIALS, seeds=3, task=TINY, cache=TrialCache(tmp_path))
    assert [(u.name, u.seeds) for u in fake.units[2:]] == [("current", (2,)), ("lower lr", (2,))]


def test_a_corrupt_cache_entry_is_retrained_with_a_note(monkeypatch, tmp_path):
    fake = FakeTraining(monkeypatch)
    run_confirmation({"current": TRIALS["current"]}, seeds=2, task=TINY,
                     cache=TrialCache(tmp_path))
    next(tmp_path.rglob("*.json")).write_text("{broken")
    notes: list[str] = []
    result = run_confirmation({"current": TRIALS["current"]}, seeds=2, task=TINY,
                              cache=TrialCache(tmp_path), notes=notes)
    assert len(fake.seeds) == 3 and len(result.trials["current"].runs) == 2
    assert any(n.startswith("cache: ignored an unreadable cache entry") for n in notes)


def test_no_budget_trains_everything(monkeypatch):
    fake = FakeTraining(monkeypatch)
    run_confirmation(TRIALS, seeds=8, task=TINY)
    assert len(fake.seeds) == 16


def test_the_budget_cuts_extra_seeds_before_settings(monkeypatch):
    # 1 s per seed-epoch and 2 epochs: 2 s per seed of a setting
    fake = FakeTraining(monkeypatch)
    trials = {**TRIALS, "cosine": TrialSpec(0.01, None, None, None, epochs=2)}
    notes: list[str] = []
    result = run_confirmation(trials, seeds=8, task=TINY, budget=30, min_seeds=3, notes=notes)
    # current: 16 s (nothing measured yet, all 8 seeds); left 14 s, 6 s kept for cosine's
    # minimum: lower lr gets (14 - 6) // 2 = 4 seeds; then cosine its 3 (6 s): 28 s in all.
    assert [(u.name, len(u.seeds)) for u in fake.units] == [
        ("current", 8), ("lower lr", 4), ("cosine", 3)]
    assert fake.now <= 30
    assert [len(t.runs) for t in result.trials.values()] == [8, 4, 3]
    assert any("lower lr trained 4 of 8 seeds (seeds 4-7 cut)" in n for n in notes)
    assert any("cosine trained 3 of 8 seeds (seeds 3-7 cut)" in n for n in notes)


def test_a_setting_whose_minimum_does_not_fit_is_cut_and_said(monkeypatch):
    fake = FakeTraining(monkeypatch)
    notes: list[str] = []
    result = run_confirmation(TRIALS, seeds=8, task=TINY, budget=20, min_seeds=3, notes=notes)
    assert [(u.name, len(u.seeds)) for u in fake.units] == [("current", 8)]
    assert list(result.trials) == ["current"]
    assert any("lower lr was not trained" in n and "--budget" in n for n in notes)


def test_progress_counts_the_seeds_trained_and_the_total_drops_with_cuts(monkeypatch):
    FakeTraining(monkeypatch)
    calls = []
    trials = {**TRIALS, "cosine": TrialSpec(0.01, None, None, None, epochs=2),
              "step": TrialSpec(0.01, None, None, None, epochs=2)}
    run_confirmation(trials, seeds=8, task=TINY, budget=30, min_seeds=1,
                     on_progress=lambda *a: calls.append(a))
    assert [c[0] for c in calls[:-1]] == list(range(1, len(calls)))
    assert calls[0][1] == 32 and calls[-1][:2] == (len(calls) - 1, len(calls) - 1)
    assert calls[-1][2] == f"time budget reached, {33 - len(calls)} seeds cut"


@pytest.mark.slow
def test_real_batched_run_matches_one_seed_at_a_time():
    batched = run_confirmation(TRIALS, seeds=2, task=TINY)
    alone = run_confirmation(TRIALS, seeds=2, task=TINY, batched=False)
    for name in TRIALS:
        for a, b in zip(batched.trials[name].runs, alone.trials[name].runs, strict=True):
            np.testing.assert_allclose(a.val_loss, b.val_loss, rtol=1e-4, atol=1e-6)
