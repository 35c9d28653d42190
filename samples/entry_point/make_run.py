"""Train the entry-point sample once, as its user did, and keep a checkpoint from before the spike.

    .venv/bin/python samples/entry_point/make_run.py     # a few seconds on a CPU

writes ``run/training_history.json`` (per epoch: ``epoch``
(1-based), ``train_loss``, ``val_loss``, ``learning_rate`` and ``grad_norm``, the largest
gradient norm of the epoch) and ``run/config/config.yaml`` (the settings below) beside this
script, and ``checkpoint_epoch2.pt``, the model's and the optimizer's state dicts after
``CHECKPOINT_EPOCH`` epochs (``{"model": ..., "optimizer": ..., "epoch": 2}``, 6 KB; kept
out of ``run/`` so that analysing the folder reads only the log). The training is
``build(SEED)`` of ``my_model.py`` trained by reporter's own confirmation loop
(:func:`reporter.confirm.loop.train_loop`) on one CPU thread: SGD with momentum 0.9 at
lr 0.25, no scheduler, no clipping, no early stopping, for ``EPOCHS`` epochs of 12 batches.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from my_model import build  # noqa: E402

from reporter.confirm import TrialSpec  # noqa: E402
from reporter.confirm.loop import TrainParts, one_thread, train_loop  # noqa: E402

SEED = 8
LEARNING_RATE = 0.25
EPOCHS = 16
CHECKPOINT_EPOCH = 2  # after epochs 1 and 2 (1-based), the best val loss; the spike is at 4
OUT = HERE / "run"
CHECKPOINT = HERE / f"checkpoint_epoch{CHECKPOINT_EPOCH}.pt"

CONFIG = """\
# TinyMLP regression of sin(2 x.w) on 8 features (samples/entry_point/my_model.py).
training:
  epochs: {epochs}
  batch_size: 32
  steps_per_epoch: 12
  optimizer: sgd
  momentum: 0.9
  learning_rate: {lr}
  seed: {seed}
  loss: mse
"""


def parts(seed: int) -> TrainParts:
    """``build(seed)`` as reporter's loop takes it, with no epoch cap."""
    return TrainParts(**{**build(seed), "max_epochs": None})


def train(epochs: int):
    """Train ``epochs`` epochs from scratch; the curve, the model and its optimizer."""
    made = []
    trained = parts(SEED)
    factory = trained.optimizer

    def keep(params, lr):
        made.append(factory(params, lr))
        return made[-1]

    trained.optimizer = keep
    torch.manual_seed(SEED)
    with one_thread():
        curve = train_loop(TrialSpec(LEARNING_RATE, epochs=epochs), trained, seed=SEED)
    return curve, trained.model, made[0]


def _sig(values) -> list[float | None]:
    """Six significant digits, as a logger printing ``f"{loss:.6g}"`` would keep."""
    return [float(f"{v:.6g}") for v in values]


def main() -> None:
    curve, _, _ = train(EPOCHS)
    _, model, optimizer = train(CHECKPOINT_EPOCH)
    OUT.mkdir(exist_ok=True)
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "epoch": CHECKPOINT_EPOCH}, CHECKPOINT)
    columns = {"train_loss": curve.train_loss, "val_loss": curve.val_loss,
               "learning_rate": curve.lr, "grad_norm": curve.grad_norm}
    history = {"epoch": list(range(1, curve.epochs_trained + 1))}
    history.update((name, _sig(values)) for name, values in columns.items())
    rows = ",\n".join(f"  {json.dumps(name)}: {json.dumps(v)}" for name, v in history.items())
    (OUT / "training_history.json").write_text(f"{{\n{rows}\n}}\n")
    (OUT / "config").mkdir(exist_ok=True)
    text = CONFIG.format(epochs=EPOCHS, lr=LEARNING_RATE, seed=SEED)
    (OUT / "config" / "config.yaml").write_text(text)
    for e, (tr, va, g) in enumerate(zip(curve.train_loss, curve.val_loss, curve.grad_norm,
                                        strict=True), start=1):
        mark = f"   <- {CHECKPOINT.name} saved after it" if e == CHECKPOINT_EPOCH else ""
        print(f"epoch {e:2d}  train {tr:.4g}  val {va:.4g}  grad_norm {g:.3g}{mark}")


if __name__ == "__main__":
    main()
