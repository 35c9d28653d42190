"""Per-step expansion and Lightning's interval/frequency stepping."""

from __future__ import annotations

import numpy as np
import pytest

from replay import StepLR, lightning_scheduler_steps, lr_trajectory, per_step


def test_per_step_repeats_epoch_lr_and_moves_events_to_last_step():
    traj = per_step(lr_trajectory(StepLR(step_size=2), 0.1, 4), 3)
    assert traj.lr.tolist() == [0.1] * 6 + [0.010000000000000002] * 6
    assert [e.index for e in traj.events] == [5]


def test_per_step_bad_steps_per_epoch_raises():
    with pytest.raises(ValueError, match="steps_per_epoch must be a positive int, got 0"):
        per_step(lr_trajectory(StepLR(step_size=2), 0.1, 4), 0)


@pytest.mark.parametrize(
    ("kwargs", "counts"),
    [
        ({"interval": "epoch"}, [0, 0, 0, 1, 1, 1]),
        ({"interval": "epoch", "frequency": 2}, [0, 0, 0, 0, 0, 0]),
        ({"interval": "step"}, [0, 1, 2, 3, 4, 5]),
        ({"interval": "step", "frequency": 2}, [0, 0, 1, 1, 1, 2]),
        ({"interval": "step", "accumulate_grad_batches": 2}, [0, 0, 1, 2, 2, 3]),
        ({"interval": "step", "accumulate_grad_batches": 2, "frequency": 2}, [0, 0, 1, 1, 1, 2]),
    ],
)
def test_lightning_scheduler_steps_worked_table(kwargs, counts):
    assert lightning_scheduler_steps(2, 3, **kwargs).tolist() == counts


def test_lightning_scheduler_steps_doc_example_four_steps_in_ten_batches():
    counts = lightning_scheduler_steps(2, 5, interval="step", frequency=2)
    assert counts[-1] == 4


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"interval": "batch"}, "interval must be 'epoch' or 'step', got 'batch'"),
        ({"frequency": 0}, "frequency must be a positive int, got 0"),
    ],
)
def test_lightning_scheduler_steps_bad_arguments_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        lightning_scheduler_steps(2, 3, **kwargs)


@pytest.mark.parametrize(
    ("interval", "frequency", "accumulate"),
    [("epoch", 1, 1), ("epoch", 2, 1), ("step", 1, 1), ("step", 2, 1), ("step", 3, 2)],
)
def test_lightning_scheduler_steps_matches_lightning_trainer(
    interval, frequency, accumulate, tmp_path
):
    """Runs a real Lightning Trainer (skipped without lightning) and records the LR per batch."""
    torch = pytest.importorskip("torch")
    pl = pytest.importorskip("lightning.pytorch")

    seen = []

    class Module(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.ones(1))

        def training_step(self, batch, batch_idx):
            return (self.w * batch[0]).sum()

        def on_train_batch_start(self, batch, batch_idx):
            seen.append(self.trainer.optimizers[0].param_groups[0]["lr"])

        def configure_optimizers(self):
            opt = torch.optim.SGD(self.parameters(), lr=0.1)
            sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
            return {
                "optimizer": opt,
                "lr_scheduler": {"scheduler": sched, "interval": interval, "frequency": frequency},
            }

    data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.ones(5, 1)))
    trainer = pl.Trainer(
        max_epochs=3,
        accumulate_grad_batches=accumulate,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=tmp_path,
    )
    trainer.fit(Module(), data)
    counts = lightning_scheduler_steps(
        3, 5, interval=interval, frequency=frequency, accumulate_grad_batches=accumulate
    )
    expected = lr_trajectory(StepLR(step_size=1, gamma=0.5), 0.1, int(counts.max()) + 1).lr
    np.testing.assert_array_equal(expected[counts], seen)
