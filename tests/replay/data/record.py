"""Record reference vectors from the real frameworks into ``tests/replay/data/*.json``.

The replay tests compare against these files, so the default test run checks HF, Keras and
Lightning behaviour without installing them. Regenerate with the frameworks installed::

    KERAS_BACKEND=torch python tests/replay/data/record.py

Each file holds the framework version and a list of cases: the constructor arguments, the
input series and the framework's output.
"""

from __future__ import annotations

import json
import math
import os
import sys
import types
from pathlib import Path

HERE = Path(__file__).resolve().parent
N_STEPS = 120

HF_CASES = [
    ("linear", 10, 100, {}),
    ("cosine", 10, 100, {}),
    ("cosine", 5, 60, {"num_cycles": 1.5}),
    ("cosine_with_restarts", 8, 100, {"num_cycles": 3}),
    ("polynomial", 10, 100, {"lr_end": 1e-7, "power": 2.0}),
    ("constant_with_warmup", 25, None, {}),
    ("inverse_sqrt", 10, None, {}),
    ("cosine_with_min_lr", 10, 100, {"min_lr_rate": 0.1}),
    ("cosine_warmup_with_min_lr", 10, 100, {"min_lr": 1e-5}),
    ("warmup_stable_decay", 10, 100, {"num_decay_steps": 30, "min_lr_ratio": 0.05}),
]

KERAS_SCHEDULES = [
    ("ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 7, "decay_rate": 0.9}),
    ("PiecewiseConstantDecay", {"boundaries": [10, 40], "values": [0.1, 0.05, 0.01]}),
    ("PolynomialDecay", {"initial_learning_rate": 0.1, "decay_steps": 50, "power": 0.5,
                         "cycle": True}),
    ("InverseTimeDecay", {"initial_learning_rate": 0.1, "decay_steps": 5, "decay_rate": 0.5,
                          "staircase": True}),
    ("CosineDecay", {"initial_learning_rate": 0.0, "decay_steps": 80, "warmup_target": 0.1,
                     "warmup_steps": 20, "alpha": 0.05}),
    ("CosineDecayRestarts", {"initial_learning_rate": 0.1, "first_decay_steps": 10,
                             "t_mul": 1.5, "m_mul": 0.9}),
]  # fmt: skip


def _series():
    import numpy as np

    rng = np.random.default_rng(7)
    walk = (1.0 + np.cumsum(rng.normal(-0.004, 0.03, 60))).tolist()
    return {
        "flat": [1.0] * 30,
        "doc": [1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95],
        "walk": walk,
        "float32_tie": [1.0, 0.99999999, 0.99999998, 0.9, 0.9, 0.9],
        "nan_first": [math.nan, 1.0, 0.5, 0.5, 0.5, 0.5],
    }


def record_hf() -> None:
    import torch
    import transformers

    cases = []
    for kind, w, total, kwargs in HF_CASES:
        param = torch.nn.Parameter(torch.zeros(1))
        opt = torch.optim.SGD([param], lr=3e-4)
        sched = transformers.get_scheduler(kind, opt, num_warmup_steps=w,
                                           num_training_steps=total,
                                           scheduler_specific_kwargs=kwargs)  # fmt: skip
        lrs = []
        for _ in range(N_STEPS):
            lrs.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        cases.append({"type": kind, "num_warmup_steps": w, "num_training_steps": total,
                      "kwargs": kwargs, "base_lr": 3e-4, "lr": lrs})  # fmt: skip
    _write("hf_schedules.json", transformers.__version__, cases)


def record_keras() -> None:
    import keras

    schedules = []
    for name, kwargs in KERAS_SCHEDULES:
        fn = getattr(keras.optimizers.schedules, name)(**kwargs)
        values = [float(keras.ops.convert_to_numpy(fn(s))) for s in range(N_STEPS)]
        schedules.append({"name": name, "kwargs": kwargs, "lr": values})
    plateau = []
    for series_name, series in _series().items():
        for kwargs in (
            {"patience": 2},
            {"patience": 1, "cooldown": 2, "factor": 0.5, "min_lr": 0.003},
            {"patience": 0, "min_delta": 0.05},
        ):
            opt = keras.optimizers.SGD(learning_rate=0.1)
            cb = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", mode="min", **kwargs)
            cb._model = types.SimpleNamespace(optimizer=opt, stop_training=False)
            cb.on_train_begin()
            seen = []
            for epoch, value in enumerate(series):
                logs = {"val_loss": value}
                cb.on_epoch_end(epoch, logs)
                seen.append(logs["learning_rate"])
            plateau.append({"series": series_name, "kwargs": kwargs, "lr": seen})
    early = []
    for series_name, series in _series().items():
        for kwargs in (
            {"patience": 0},
            {"patience": 2},
            {"patience": 1, "min_delta": 0.05},
            {"patience": 1, "baseline": 0.5},
            {"patience": 1, "start_from_epoch": 3},
        ):
            cb = keras.callbacks.EarlyStopping(monitor="val_loss", mode="min", **kwargs)
            cb._model = types.SimpleNamespace(stop_training=False)
            cb.on_train_begin()
            stop = None
            for epoch, value in enumerate(series):
                cb.on_epoch_end(epoch, {"val_loss": value})
                if cb._model.stop_training:
                    stop = epoch
                    break
            early.append({"series": series_name, "kwargs": kwargs, "stop": stop})
    _write("keras.json", keras.__version__, {"schedules": schedules, "reduce_lr": plateau,
                                              "early_stopping": early, "series": _series()},
           )  # fmt: skip


def record_lightning() -> None:
    import lightning
    import torch
    from lightning.pytorch.callbacks import EarlyStopping

    cases = []
    for series_name, series in _series().items():
        for kwargs in (
            {"patience": 3},
            {"patience": 0},
            {"patience": 2, "min_delta": -0.05},
            {"patience": 2, "check_finite": False},
            {"patience": 5, "stopping_threshold": 0.8},
            {"patience": 5, "divergence_threshold": 1.2},
        ):
            cb = EarlyStopping(monitor="val_loss", **kwargs)
            stop = None
            for k, value in enumerate(series):
                should_stop, _ = cb._evaluate_stopping_criteria(torch.tensor(value))
                if should_stop:
                    stop = k
                    break
            cases.append({"series": series_name, "kwargs": kwargs, "stop": stop})
    _write("lightning_early_stopping.json", lightning.__version__,
           {"cases": cases, "series": _series()})  # fmt: skip


def _write(name: str, version: str, payload) -> None:
    path = HERE / name
    doc = {"framework_version": version, "recorded_by": "tests/replay/data/record.py",
           "data": payload}  # fmt: skip
    text = json.dumps(doc, indent=1, allow_nan=True)
    path.write_text(text + "\n", encoding="utf-8")
    print(f"wrote {path}")


def main() -> int:
    os.environ.setdefault("KERAS_BACKEND", "torch")
    record_hf()
    record_keras()
    record_lightning()
    return 0


if __name__ == "__main__":
    sys.exit(main())
