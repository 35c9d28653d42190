"""Executors: the same numbers from this process, worker processes and a local Ray instance."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from reporter.confirm import ProxyTask, TrialSpec, run_confirmation
from reporter.confirm.executors import (
    InlineExecutor,
    ProcessExecutor,
    RayExecutor,
    Unit,
    make_executor,
)
from reporter.errors import MissingDependencyError, UsageError

TINY = ProxyTask(n_train=64, n_val=32, seq_len=8, hidden_size=8, head_size=4, batch_size=16)
TRIALS = {"current": TrialSpec(0.01, epochs=2), "lower lr": TrialSpec(0.005, None, None, 1.0,
                                                                         epochs=2)}


def test_make_executor_picks_by_name_and_workers():
    assert isinstance(make_executor("local", workers=1), InlineExecutor)
    assert isinstance(make_executor("local", workers=3), ProcessExecutor)
    assert make_executor("local", workers=3).slots == 3
    assert isinstance(make_executor("ray", address="ray://head:10001"), RayExecutor)
    with pytest.raises(UsageError, match="--executor must be one of local, ray, got 'dask'"):
        make_executor("dask")


def test_ray_address_comes_from_the_flag_then_the_environment(monkeypatch):
    monkeypatch.setenv("RAY_ADDRESS", "ray://env:10001")
    assert RayExecutor("ray://flag:10001").address == "ray://flag:10001"
    assert RayExecutor().address == "ray://env:10001"
    monkeypatch.delenv("RAY_ADDRESS")
    assert RayExecutor().address is None  # a new local instance


def test_ray_not_installed_is_a_usage_error_with_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now raises ImportError
    with pytest.raises(MissingDependencyError, match="executor ray needs the package 'ray'") as e:
        make_executor("ray").__enter__()
    assert e.value.hint == "install it: pip install 'training-fix-reporter[ray]'"


def test_inline_executor_returns_units_in_submission_order(monkeypatch):
    from reporter.confirm import executors

    monkeypatch.setattr(executors, "run_unit", lambda unit: [])
    with InlineExecutor() as pool:
        for name, spec in TRIALS.items():
            pool.submit(Unit(name, spec, (0,), TINY, True))
        assert [pool.next_done()[0].name for _ in TRIALS] == list(TRIALS)


@pytest.fixture(scope="module")
def local_ray():
    ray = pytest.importorskip("ray")
    pytest.importorskip("torch")
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.mark.slow
def test_ray_tasks_give_the_numbers_of_local_execution(local_ray):
    notes: list[str] = []
    on_ray = run_confirmation(TRIALS, seeds=2, task=TINY, executor="ray", notes=notes)
    here = run_confirmation(TRIALS, seeds=2, task=TINY)
    assert on_ray.workers == 1 and local_ray.is_initialized()  # its instance is left running
    assert any("Ray tasks on a local Ray instance (1 CPUs)" in n for n in notes)
    for name in TRIALS:
        for a, b in zip(on_ray.trials[name].runs, here.trials[name].runs, strict=True):
            assert (a.trial, a.seed) == (b.trial, b.seed)
            np.testing.assert_array_equal(a.val_loss, b.val_loss)
            np.testing.assert_array_equal(a.lr, b.lr)
