"""The trial cache: exact round trip, keys that change with what decides the numbers."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from replay import ReduceLROnPlateau
from reporter.confirm import ProxyTask, SeedCurve, TrialSpec
from reporter.confirm.cache import TrialCache, default_folder

SPEC = TrialSpec(0.01, ReduceLROnPlateau(patience=1), None, 1.0, epochs=3)


def _curve(**changes) -> SeedCurve:
    base = SeedCurve(
        trial="current", seed=2, train_loss=np.array([0.5, 0.25, np.nan]),
        val_loss=np.array([0.4, 1 / 3, np.inf]), lr=np.array([0.01, 0.01, 0.005]),
        grad_norm=np.array([1.5, 2.0, np.nan]), clip_fraction=np.array([0.5, 1.0, 1.0]),
        stopped_at=None, stop_reason="", diverged=True, seconds=1.25)
    return dataclasses.replace(base, **changes)


def _key(cache: TrialCache, spec=SPEC, seed=2, *, task=None, batched=True, torch="2.13.0"):
    return cache.key(task or ProxyTask(), spec, seed, batched=batched, torch_version=torch)


def test_a_stored_curve_comes_back_exactly_under_the_asked_name(tmp_path):
    cache = TrialCache(tmp_path)
    cache.put(_key(cache), _curve())
    got = cache.get(_key(cache), "lower lr")
    want = _curve(trial="lower lr")
    for f in ("train_loss", "val_loss", "lr", "grad_norm", "clip_fraction"):
        np.testing.assert_array_equal(getattr(got, f), getattr(want, f), err_msg=f)
    assert (got.trial, got.seed, got.diverged, got.stopped_at, got.seconds) == (
        "lower lr", 2, True, None, 1.25)
    assert cache.hits == 1 and cache.notes == []


@pytest.mark.parametrize(
    "other",
    [
        {"spec": dataclasses.replace(SPEC, learning_rate=0.02)},
        {"spec": dataclasses.replace(SPEC, scheduler=ReduceLROnPlateau(patience=2))},
        {"seed": 3},
        {"task": ProxyTask(noise=0.1)},
        {"batched": False},
        {"torch": "2.12.0"},
    ],
    ids=["lr", "scheduler", "seed", "task", "method", "torch"],
)
def test_the_key_changes_with_what_decides_the_numbers(tmp_path, other):
    cache = TrialCache(tmp_path)
    assert _key(cache) == _key(cache)
    assert _key(cache, **other) != _key(cache)


def test_the_key_changes_with_the_task_source(tmp_path, monkeypatch):
    cache = TrialCache(tmp_path)
    before = _key(cache)
    import reporter.confirm.cache as cache_module

    extra = tmp_path / "extra.py"
    extra.write_text("x = 1\n")
    monkeypatch.setattr(cache_module, "_source_files", lambda task: [extra])
    first = _key(TrialCache(tmp_path))
    extra.write_text("x = 2\n")
    assert len({before, first, _key(TrialCache(tmp_path))}) == 3


@pytest.mark.parametrize("text", ["{not json", '{"seed": 1}', "[]", ""])
def test_a_corrupt_entry_is_ignored_with_a_note(tmp_path, text):
    cache = TrialCache(tmp_path)
    key = _key(cache)
    cache.put(key, _curve())
    path = next(tmp_path.rglob("*.json"))
    path.write_text(text)
    assert cache.get(key, "current") is None
    assert len(cache.notes) == 1 and path.name in cache.notes[0]
    cache.put(key, _curve())  # the new result replaces it
    assert cache.get(key, "current") is not None


def test_an_unwritable_folder_is_a_note_not_an_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    cache = TrialCache(blocker / "cache")
    cache.put(_key(cache), _curve())
    cache.put(_key(cache, seed=3), _curve())
    assert len(cache.notes) == 1 and "could not write" in cache.notes[0]


def test_default_folder_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("REPORTER_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_folder() == tmp_path / "xdg" / "reporter" / "trials"
    monkeypatch.setenv("REPORTER_CACHE_DIR", str(tmp_path / "mine"))
    assert default_folder() == tmp_path / "mine"
    monkeypatch.delenv("REPORTER_CACHE_DIR")
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_folder() == tmp_path / "home" / ".cache" / "reporter" / "trials"


def test_an_entry_points_file_is_its_source(tmp_path):
    from reporter.confirm import EntryTask

    model = tmp_path / "my_model.py"
    model.write_text("def build(seed): ...\n")
    task = EntryTask(entry=f"{model}:build", path=str(model), function="build",
                     root=str(tmp_path), is_file=True)
    first = _key(TrialCache(tmp_path), task=task)
    model.write_text("def build(seed): return 1\n")
    assert _key(TrialCache(tmp_path), task=task) != first
    gone = EntryTask(entry="nowhere.mod:build", path="nowhere.mod", function="build",
                     root=str(tmp_path), is_file=False)
    assert _key(TrialCache(tmp_path), task=gone)  # an unknown module hashes as no source
