"""Train the seed-like sample run with the built-in proxy and write its history and config.

    .venv/bin/python samples/seed_like/make_sample.py

writes ``training_history.json`` (per-epoch ``epoch`` (1-based), ``train_loss``,
``val_loss``, ``learning_rate`` (the LR used during the epoch) and ``grad_norm`` (the
largest pre-clipping norm of the epoch)) and ``config/config.yaml`` beside this script.
The training is the proxy of ``reporter.confirm`` under the settings below, on one CPU
thread, so the same torch version reproduces the same numbers.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from replay import EarlyStopping, ReduceLROnPlateau
from reporter.confirm import ProxyTask, TrialSpec, train_trial

HERE = Path(__file__).resolve().parent
SEED = 1
TASK = ProxyTask()
SPEC = TrialSpec(
    learning_rate=0.05,
    scheduler=ReduceLROnPlateau(mode="min", factor=0.7, patience=10),
    early_stopping=EarlyStopping(patience=10),
    clip_grad_norm=1.0,
    epochs=50,
)

CONFIG = """\
# Sine forecaster: an LSTM reads a window of a sine wave and predicts the next value.
model:
  type: lstm
  input_size: 1
  hidden_size: {t.hidden_size}
  num_layers: {t.num_layers}
  head_size: {t.head_size}          # Linear -> ReLU -> Linear on the last hidden state
  sequence_length: {t.seq_len}

data:
  n_train: {t.n_train}
  n_val: {t.n_val}
  period_min: {t.period_min:g}      # in steps
  period_max: {t.period_max:g}
  noise: {t.noise}        # sd of the noise added to the inputs
  seed: {seed}

training:
  epochs: {s.epochs}
  batch_size: {t.batch_size}
  learning_rate: {s.learning_rate}
  optimizer: adam
  scheduler: ReduceLROnPlateau   # stepped with the val loss after every epoch
  scheduler_patience: {p.patience}
  scheduler_factor: {p.factor:g}
  early_stopping_patience: {e.patience}    # epochs without a better val loss
  gradient_clip_value: {s.clip_grad_norm}     # max_norm passed to clip_grad_norm_
  loss: mse
"""


def _sig(values) -> list[float]:
    """Six significant digits, as a logger printing ``f"{loss:.6g}"`` would keep."""
    return [float(f"{v:.6g}") for v in values]


def main() -> None:
    start = time.perf_counter()
    curve = train_trial(SPEC, SEED, task=TASK, name="seed_like")
    seconds = time.perf_counter() - start
    history = {
        "epoch": list(range(1, curve.epochs_trained + 1)),
        "train_loss": _sig(curve.train_loss),
        "val_loss": _sig(curve.val_loss),
        "learning_rate": [float(v) for v in curve.lr],
        "grad_norm": _sig(curve.grad_norm),
    }
    lines = [f"  {json.dumps(key)}: {json.dumps(values)}" for key, values in history.items()]
    (HERE / "training_history.json").write_text("{\n" + ",\n".join(lines) + "\n}\n")
    (HERE / "config").mkdir(exist_ok=True)
    text = CONFIG.format(t=TASK, s=SPEC, p=SPEC.scheduler, e=SPEC.early_stopping, seed=SEED)
    (HERE / "config" / "config.yaml").write_text(text)
    for e, (tr, va, lr, g) in enumerate(
        zip(curve.train_loss, curve.val_loss, curve.lr, curve.grad_norm, strict=True), start=1
    ):
        print(f"epoch {e:2d}  train {tr:.4f}  val {va:.4f}  lr {lr:.6g}  grad_norm {g:.3f}")
    stop = (
        f"early stopping after epoch {curve.stopped_at + 1}"
        if curve.stopped_at is not None
        else "ran all epochs"
    )
    print(f"{stop}; {seconds:.1f} s")


if __name__ == "__main__":
    main()
