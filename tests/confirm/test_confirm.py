"""Confirmation trainings: real torch schedulers, clipping and early stopping, reproducible."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from replay import (
    ConstantSchedule,
    CosineAnnealingLR,
    EarlyStopping,
    ReduceLROnPlateau,
    StepLR,
    early_stop,
)
from reporter.confirm import ProxyTask, TrialSpec, run_confirmation

torch = pytest.importorskip("torch")
from reporter.confirm.loop import clip  # noqa: E402
from reporter.confirm.proxy import make_data, train_trial  # noqa: E402

TINY = ProxyTask(n_train=64, n_val=32, seq_len=8, hidden_size=8, head_size=4, batch_size=16)


def _torch_lrs(make_scheduler, lr: float, epochs: int, metrics=None) -> list[float]:
    """LR of each epoch from the torch scheduler itself, stepped like the trainer steps it."""
    opt = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    sched = make_scheduler(opt)
    lrs = []
    for epoch in range(epochs):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step(metrics[epoch]) if metrics is not None else sched.step()
    return lrs


def test_train_trial_same_seed_same_curves():
    spec = TrialSpec(0.01, ReduceLROnPlateau(patience=1, factor=0.5), None, 1.0, epochs=4)
    a = train_trial(spec, 3, task=TINY)
    b = train_trial(spec, 3, task=TINY)
    for field in ("train_loss", "val_loss", "lr", "grad_norm", "clip_fraction"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field), err_msg=field)
    assert not np.array_equal(a.val_loss, train_trial(spec, 4, task=TINY).val_loss)


def test_train_trial_restores_thread_count():
    before = torch.get_num_threads()
    train_trial(TrialSpec(0.01, epochs=1), 0, task=TINY)
    assert torch.get_num_threads() == before


def test_make_data_target_is_unit_sine_with_variance_half():
    x, y, xv, _ = make_data(ProxyTask(n_train=4000, n_val=10), seed=0)
    assert x.shape == (4000, 24, 1) and xv.shape == (10, 24, 1) and y.dtype == np.float32
    assert np.abs(y).max() <= 1.0
    assert y.var() == pytest.approx(0.5, abs=0.02)


@pytest.mark.parametrize(
    ("spec", "make"),
    [
        (StepLR(step_size=2, gamma=0.5), lambda o: torch.optim.lr_scheduler.StepLR(o, 2, 0.5)),
        (
            CosineAnnealingLR(T_max=4, eta_min=1e-4),
            lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=4, eta_min=1e-4),
        ),
    ],
    ids=["StepLR", "CosineAnnealingLR"],
)
def test_train_trial_epoch_scheduler_lr_is_torchs(spec, make):
    curve = train_trial(TrialSpec(0.01, spec, None, None, epochs=6), 0, task=TINY)
    assert curve.lr.tolist() == _torch_lrs(make, 0.01, 6)


def test_train_trial_plateau_lr_is_torchs_on_its_own_val_loss():
    spec = ReduceLROnPlateau(patience=0, factor=0.5, threshold=0.5)
    curve = train_trial(TrialSpec(0.01, spec, None, None, epochs=6), 0, task=TINY)
    make = lambda o: torch.optim.lr_scheduler.ReduceLROnPlateau(  # noqa: E731
        o, patience=0, factor=0.5, threshold=0.5
    )
    assert curve.lr.tolist() == _torch_lrs(make, 0.01, 6, metrics=curve.val_loss.tolist())
    assert curve.lr[-1] < curve.lr[0]  # the threshold makes it reduce at least once


@pytest.mark.parametrize("scheduler", [None, ConstantSchedule()], ids=["None", "Constant"])
def test_train_trial_without_scheduler_keeps_lr(scheduler):
    curve = train_trial(TrialSpec(0.003, scheduler, None, None, epochs=3), 0, task=TINY)
    assert curve.lr.tolist() == [0.003] * 3


def test_clip_scales_gradients_to_max_norm():
    p = torch.nn.Parameter(torch.zeros(2))
    p.grad = torch.tensor([3.0, 4.0])
    assert clip([p], 1.0) == (pytest.approx(5.0), True)
    torch.testing.assert_close(p.grad, torch.tensor([0.6, 0.8]))
    assert clip([p], 10.0) == (pytest.approx(1.0), False)
    torch.testing.assert_close(p.grad, torch.tensor([0.6, 0.8]))


def test_clip_none_measures_without_scaling():
    p = torch.nn.Parameter(torch.zeros(2))
    p.grad = torch.tensor([3.0, 4.0])
    assert clip([p], None) == (pytest.approx(5.0), False)
    torch.testing.assert_close(p.grad, torch.tensor([3.0, 4.0]))


def test_train_trial_clipping_changes_the_training():
    free = train_trial(TrialSpec(0.01, epochs=3), 0, task=TINY)
    tight = train_trial(TrialSpec(0.01, clip_grad_norm=1e-4, epochs=3), 0, task=TINY)
    assert free.clip_fraction.tolist() == [0.0] * 3
    assert tight.clip_fraction.tolist() == [1.0] * 3
    assert not np.array_equal(free.val_loss, tight.val_loss)


@pytest.mark.parametrize("semantics", ["lightning", "keras", "hf"])
def test_train_trial_stops_where_replay_says(semantics):
    es = EarlyStopping(patience=1, min_delta=0.02, semantics=semantics)
    curve = train_trial(TrialSpec(0.02, None, es, None, epochs=12), 1, task=TINY)
    stop = early_stop(es, curve.val_loss)
    assert stop is not None and curve.stopped_at == stop.index == curve.epochs_trained - 1
    assert curve.stop_reason == stop.reason


def test_train_trial_stops_when_val_loss_cannot_move():
    """An LR of 1e-12 leaves the float32 weights unchanged, so the val loss is flat."""
    spec = TrialSpec(1e-12, None, EarlyStopping(patience=2), None, epochs=10)
    curve = train_trial(spec, 0, task=TINY)
    assert curve.stopped_at == 2 and curve.epochs_trained == 3 and not curve.diverged
    assert len(set(curve.val_loss.tolist())) == 1


def test_run_confirmation_orders_trials_and_reports_progress():
    calls = []
    trials = {
        "current": TrialSpec(0.01, StepLR(1, 0.5), EarlyStopping(patience=5), 1.0, epochs=2),
        "lower lr": TrialSpec(0.006, None, None, 1.0, epochs=2),
    }
    result = run_confirmation(trials, seeds=2, task=TINY, on_progress=lambda *a: calls.append(a))
    assert list(result.trials) == ["current", "lower lr"] and result.seeds == (0, 1)
    assert [run.seed for run in result.trials["current"].runs] == [0, 1]
    assert calls[-1] == (4, 4, "lower lr, seed 1") and [c[0] for c in calls] == [1, 2, 3, 4]
    assert result.trials["current"].runs[0].lr.tolist() == [0.01, 0.005]
    assert "not your model" in result.description
    json.dumps(result.to_dict(), allow_nan=False)


@pytest.mark.slow
def test_run_confirmation_two_workers_match_one():
    trials = {"a": TrialSpec(0.01, epochs=2), "b": TrialSpec(0.02, epochs=2)}
    one = run_confirmation(trials, seeds=2, task=TINY)
    two = run_confirmation(trials, seeds=2, task=TINY, workers=2)
    assert two.workers == 2
    for name in trials:
        for x, y in zip(one.trials[name].runs, two.trials[name].runs, strict=True):
            np.testing.assert_array_equal(x.val_loss, y.val_loss)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"learning_rate": 0.0}, ValueError, "learning_rate must be > 0, got 0.0"),
        ({"scheduler": "plateau"}, TypeError, "scheduler must be one of .* got str"),
        ({"early_stopping": 10}, TypeError, "replay.EarlyStopping or None, got int"),
        ({"clip_grad_norm": -1.0}, ValueError, "clip_grad_norm must be > 0, got -1.0"),
        ({"epochs": 0}, ValueError, "epochs must be a positive int, got 0"),
    ],
)
def test_trial_spec_rejects_bad_values(kwargs, error, match):
    with pytest.raises(error, match=match):
        TrialSpec(**{"learning_rate": 0.01, **kwargs})


def test_import_reporter_confirm_does_not_import_torch():
    code = "import sys, reporter.confirm; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
