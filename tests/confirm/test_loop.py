"""The training loop runs a warm-up over the scheduler's LR and ZClip in place of
clip_grad_norm_, as the replay lays them out."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from replay import CosineAnnealingLR, ZClip, warmup_factor  # noqa: E402
from reporter.confirm.loop import TrainParts, train_loop  # noqa: E402
from reporter.confirm.spec import TrialSpec  # noqa: E402


def _parts(spike_batch: int | None = None) -> TrainParts:
    torch.manual_seed(0)
    x = torch.randn(64, 3)
    y = x @ torch.tensor([1.0, -2.0, 0.5]) + 0.1
    if spike_batch is not None:  # one batch with huge targets: a gradient spike each epoch
        y[spike_batch * 8:(spike_batch + 1) * 8] *= 200.0
    batches = [(x[i:i + 8], y[i:i + 8].unsqueeze(1)) for i in range(0, 64, 8)]
    return TrainParts(model=torch.nn.Linear(3, 1), train_loader=batches,
                      val_loader=[(x, y.unsqueeze(1))], loss_fn=torch.nn.MSELoss(),
                      optimizer=lambda p, lr: torch.optim.SGD(p, lr=lr))


def test_warmup_multiplies_the_schedulers_lr_and_leaves_its_path_alone():
    spec = TrialSpec(learning_rate=0.1, scheduler=CosineAnnealingLR(T_max=8, eta_min=0.01),
                     epochs=8, warmup_epochs=4)
    curve = train_loop(spec, _parts(), seed=0)
    plain = train_loop(TrialSpec(learning_rate=0.1, scheduler=spec.scheduler, epochs=8),
                       _parts(), seed=0)
    factor = warmup_factor(8, 4)
    assert np.allclose(curve.lr, plain.lr * factor, rtol=1e-12)
    cosine = [0.01 + 0.045 * (1 + math.cos(math.pi * e / 8)) for e in range(8)]
    assert np.allclose(plain.lr, cosine, rtol=1e-9)


def test_zclip_scales_the_spike_batches_as_the_replay_would():
    zc = ZClip(warmup_steps=8, max_grad_norm=None)
    spec = TrialSpec(learning_rate=1e-4, epochs=3, zclip=zc)
    curve = train_loop(spec, _parts(spike_batch=5), seed=0)
    # ZClip's first 8 steps (epoch 0) only fill its buffer; from epoch 1 on, the spike batch
    # (one of 8) is scaled down
    assert curve.clip_fraction[0] == 0
    assert curve.clip_fraction[1] == pytest.approx(1 / 8)
    unclipped = train_loop(TrialSpec(learning_rate=1e-4, epochs=3), _parts(spike_batch=5),
                           seed=0)
    assert unclipped.clip_fraction.max() == 0
    assert curve.val_loss[-1] != unclipped.val_loss[-1]


def test_one_thread_turns_deterministic_algorithms_on_and_restores_the_callers():
    from reporter.confirm.loop import one_thread

    before = (torch.get_num_threads(), torch.are_deterministic_algorithms_enabled())
    with one_thread():
        assert torch.get_num_threads() == 1 and torch.are_deterministic_algorithms_enabled()
    assert (torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()) == before


def test_ultralytics_schedule_trains_each_epoch_at_its_replayed_lr():
    from replay import UltralyticsSchedule, lr_trajectory
    from reporter.confirm.schedulers import torch_trial_scheduler

    sched = UltralyticsSchedule("linear", 6, nb=4, nw=10, stepped="end")
    curve = train_loop(TrialSpec(learning_rate=0.01, scheduler=sched, epochs=6), _parts(), seed=0)
    assert np.allclose(curve.lr, lr_trajectory(sched, 0.01, 6).lr, rtol=1e-12)
    _, note = torch_trial_scheduler(sched)
    assert "each warm-up epoch at the LR its last batch had" in note
