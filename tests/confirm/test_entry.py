"""User entry points: the user's model trained by the proxy's loop, and clear errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from replay import EarlyStopping, ReduceLROnPlateau, StepLR, early_stop
from reporter.confirm import EntryTask, TrialSpec, load_entry, run_confirmation
from reporter.errors import UsageError

torch = pytest.importorskip("torch")
from reporter.confirm.entry import train_trial  # noqa: E402

SAMPLE = Path(__file__).parents[2] / "samples" / "entry_point" / "my_model.py"

# A tiny entry-point file: parts(**changes) is a valid return value with keys replaced
# (a value of None deletes the key); each test appends its own build().
HEADER = """\
import torch

def parts(**changes):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(8, 2, generator=gen)
    y = x.sum(1, keepdim=True)
    value = {"model": torch.nn.Linear(2, 1), "train_loader": [(x[:4], y[:4]), (x[4:], y[4:])],
             "val_loader": [(x, y)], "loss_fn": torch.nn.functional.mse_loss}
    value.update(changes)
    return {key: v for key, v in value.items() if v is not None}

"""
BODY = HEADER.count("\n") + 1  # the line number of a body's first line


def _entry(tmp_path: Path, body: str, name: str = "entry.py") -> str:
    path = tmp_path / name
    path.write_text(HEADER + body)
    return f"{path}:build"


@pytest.fixture(scope="module")
def sample() -> EntryTask:
    return load_entry(f"{SAMPLE}:build")


def test_load_entry_sample_describes_the_users_model(sample):
    assert (sample.model, sample.trainable_parameters, sample.optimizer) == ("TinyMLP", 321, "SGD")
    assert (sample.max_epochs, sample.max_steps_per_epoch) == (10, 12)
    text = sample.describe(epochs=50)
    assert text.startswith("Your own model, not a proxy")
    assert f"entry point {SAMPLE}:build" in text and "up to 10 epochs per setting" in text
    assert "up to 3 epochs" in sample.describe(epochs=3)


def test_entry_trial_same_seed_same_curves(sample):
    spec = TrialSpec(0.01, ReduceLROnPlateau(patience=0, factor=0.5), None, 0.5, epochs=3)
    a = train_trial(spec, 1, task=sample)
    b = train_trial(spec, 1, task=sample)
    for field in ("train_loss", "val_loss", "lr", "grad_norm", "clip_fraction"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field), err_msg=field)
    assert a.epochs_trained == 3 and a.clip_fraction.min() > 0
    assert not np.array_equal(a.val_loss, train_trial(spec, 2, task=sample).val_loss)


def test_entry_trial_steps_the_real_torch_scheduler_on_val_loss(sample, monkeypatch):
    plateau = torch.optim.lr_scheduler.ReduceLROnPlateau
    seen = []

    def step(self, metrics):
        seen.append(metrics)
        return original(self, metrics)

    original = plateau.step
    monkeypatch.setattr(plateau, "step", step)
    spec = ReduceLROnPlateau(patience=0, factor=0.5, threshold=0.5)
    curve = train_trial(TrialSpec(0.01, spec, epochs=3), 0, task=sample)
    assert seen == curve.val_loss.tolist()
    # epoch 0 sets the best; epoch 1 does not beat it by 50% (threshold), so the LR halves
    assert curve.lr.tolist() == [0.01, 0.01, 0.005]


def test_entry_trial_clips_and_stops_where_replay_says(sample):
    es = EarlyStopping(patience=1, min_delta=0.5)
    curve = train_trial(TrialSpec(0.01, StepLR(1, 0.5), es, 1e-4, epochs=9), 0, task=sample)
    stop = early_stop(es, curve.val_loss)
    assert curve.stopped_at == stop.index == curve.epochs_trained - 1 == 1
    assert curve.lr.tolist() == [0.01, 0.005] and curve.clip_fraction.tolist() == [1.0, 1.0]


def test_entry_trial_respects_max_epochs_and_steps(tmp_path):
    body = """\
calls = []

def build(seed):
    return parts(max_epochs=2, max_steps_per_epoch=1,
                 forward=lambda model, x: calls.append(len(x)) or model(x))
"""
    task = load_entry(_entry(tmp_path, body))
    curve = train_trial(TrialSpec(0.01, epochs=5), 0, task=task)
    module = sys.modules["_reporter_entry_entry"]
    assert curve.epochs_trained == 2
    assert module.calls == [4, 8, 4, 8]  # one training batch of 4 and the val set, per epoch


@pytest.mark.slow
def test_run_confirmation_entry_two_workers_match_one(sample):
    trials = {"current": TrialSpec(0.01, epochs=2), "lower lr": TrialSpec(0.003, epochs=2)}
    one = run_confirmation(trials, seeds=2, task=sample)
    two = run_confirmation(trials, seeds=2, task=sample, workers=2)
    assert two.workers == 2 and one.description == two.description
    for name in trials:
        for x, y in zip(one.trials[name].runs, two.trials[name].runs, strict=True):
            np.testing.assert_array_equal(x.val_loss, y.val_loss)
    data = one.to_dict()
    assert data["task"] == "entry" and data["task_parameters"]["model"] == "TinyMLP"
    assert "up to 2 epochs per setting" in one.description
    json.dumps(data, allow_nan=False)


def test_load_entry_module_form_imports_from_the_current_folder(tmp_path, monkeypatch):
    _entry(tmp_path, "def build(seed):\n    return parts()\n", name="entry_module_form.py")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delitem(sys.modules, "entry_module_form", raising=False)
    task = load_entry("entry_module_form:build")
    assert not task.is_file and task.root == str(tmp_path) and task.model == "Linear"
    assert train_trial(TrialSpec(0.01, epochs=1), 0, task=task).epochs_trained == 1


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("my_model", r"entry point 'my_model' is not of the form path/to/file\.py:function"),
        ("my_model.py:", r"is not of the form"),
        ("my_model.py:2fast", r"'2fast' is not a Python function name"),
        ("no/such/file.py:build", r"entry point 'no/such/file\.py:build': no such file /"),
        ("no_such_pkg_xyz.mod:build", r"no_such_pkg_xyz\.mod:build': no module named 'no_such"),
        ("my-model:build", r"'my-model' is neither a \.py file nor a module name"),
    ],
)
def test_load_entry_bad_text_is_a_usage_error(text, match):
    with pytest.raises(UsageError, match=match):
        load_entry(text)


def test_load_entry_mistyped_function_suggests_the_name(tmp_path):
    text = _entry(tmp_path, "def build(seed):\n    return parts()\n").replace(":build", ":biuld")
    with pytest.raises(UsageError, match=r"entry\.py:biuld': entry\.py has no function 'biuld'$") \
            as err:
        load_entry(text)
    assert err.value.hint == "did you mean 'build'?"


BAD_ENTRIES = [
    ("build = 3\n", r"'build' in entry\.py is not callable \(got int\)"),
    ('raise ImportError("needs a GPU")\n',
     rf"importing entry\.py raised ImportError: needs a GPU \(entry\.py:{BODY}\)$"),
    ('def build(seed):\n    raise RuntimeError("no data")\n',
     rf"calling it with seed 0 raised RuntimeError: no data \(entry\.py:{BODY + 1}\)$"),
    ("def build(seed):\n    return parts(model=None)\n",
     r"returned dict without 'model'; it must give model, train_loader, val_loader, loss_fn$"),
    ("class Out:\n    model = None\n\ndef build(seed):\n    return Out()\n",
     r"returned Out without 'model', 'train_loader', 'val_loader', 'loss_fn'"),
    ('def build(seed):\n    return parts(model="net")\n',
     r"'model' must be a torch\.nn\.Module, got str$"),
    ("def build(seed):\n    return parts(val_loader=3)\n",
     r"'val_loader' must be an iterable of \(inputs, targets\) batches, got int$"),
    ('def build(seed):\n    return parts(loss_fn="mse")\n',
     r"'loss_fn' must be callable, got str$"),
    ("def build(seed):\n    return parts(max_epochs=0)\n",
     r"'max_epochs' must be a positive int, got 0$"),
    ('def build(seed):\n    return parts(optimizer=lambda params, lr: "sgd")\n',
     r"optimizer\(params, lr\) returned str, not a torch\.optim\.Optimizer$"),
]


@pytest.mark.parametrize(("body", "match"), BAD_ENTRIES)
def test_load_entry_bad_entry_is_a_usage_error_naming_it(tmp_path, body, match):
    text = _entry(tmp_path, body)
    with pytest.raises(UsageError, match=match) as err:
        load_entry(text)
    assert str(err.value).startswith(f"entry point '{text}': ")


def test_load_entry_mistyped_key_gets_a_hint(tmp_path):
    body = "def build(seed):\n    return parts(valid_loader=[], val_loader=None)\n"
    with pytest.raises(UsageError, match=r"returned dict without 'val_loader'") as err:
        load_entry(_entry(tmp_path, body))
    assert err.value.hint == "'valid_loader': did you mean 'val_loader'?"


BAD_TRAININGS = [
    ("def build(seed):\n    return parts(loss_fn=lambda out, y: (out - y) ** 2)\n",
     r"training \(trial 'current', seed 0\) raised TypeError: loss_fn must return a "
     r"one-element tensor, got shape \(4, 1\)$"),
    ("def build(seed):\n    return parts(forward=lambda model, x: model(x.T))\n",
     rf"training \(trial 'current', seed 0\) raised RuntimeError: .*shapes.* "
     rf"\(entry\.py:{BODY + 1}\)$"),
    ("def build(seed):\n    return parts(train_loader=iter(parts()['train_loader']))\n",
     r"raised ValueError: train_loader yielded no batches in epoch 1 \(a generator is used up"),
    ("def build(seed):\n    return parts(val_loader=[1, 2])\n",
     r"raised TypeError: val_loader must yield \(inputs, targets\) pairs, got int$"),
]


@pytest.mark.parametrize(("body", "match"), BAD_TRAININGS)
def test_entry_trial_error_in_users_code_names_trial_and_line(tmp_path, body, match):
    task = load_entry(_entry(tmp_path, body))
    with pytest.raises(UsageError, match=match):
        train_trial(TrialSpec(0.01, epochs=2), 0, task=task, name="current")
