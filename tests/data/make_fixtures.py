"""Write the ingest fixtures under tests/data/ with the real frameworks, offline.

Run it from a separate venv (never the project's), e.g.::

    python3 -m venv /work/fixtures-venv
    /work/fixtures-venv/bin/pip install torch==2.13.0          # first: the CPU wheel
    /work/fixtures-venv/bin/pip install transformers lightning keras tensorboard tbparse
    KERAS_BACKEND=torch /work/fixtures-venv/bin/python tests/data/make_fixtures.py [part...]

Parts: torch, hf, lightning, keras, tensorboard (default: all). Versions used for the files in
the repository: torch 2.13.0+cpu, transformers 5.24.0, lightning 2.6.6, keras 3.15.1 (torch
backend), numpy 2.4.6, tensorboard 2.21.0. Every framework run is tiny, seeded and CPU-only.
The same script writes the samples under samples/formats/ (``--samples``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent


def _regression(n: int = 256, seed: int = 0):
    import torch

    w = torch.randn(8, 1, generator=torch.Generator().manual_seed(1234))  # same task for all
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 8, generator=g)
    y = x @ w + 0.1 * torch.randn(n, 1, generator=g)
    return x, y


# --------------------------------------------------------------------------------- torch
def torch_loop(epochs: int = 12, spike_at: int | None = 6, seed: int = 0) -> dict:
    """A plain torch loop with ReduceLROnPlateau; returns the per-epoch history lists."""
    import torch

    torch.manual_seed(seed)
    x, y = _regression(seed=seed)
    xv, yv = _regression(64, seed=seed + 1)
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=1, factor=0.5)
    hist: dict[str, list] = {"epoch": [], "train_loss": [], "val_loss": [], "lr": [],
                             "step_loss": []}
    for epoch in range(epochs):
        lr = opt.param_groups[0]["lr"]
        if spike_at is not None and epoch == spike_at:
            for group in opt.param_groups:  # an LR blow-up: the loss spikes, then recovers
                group["lr"] = 0.3
        losses = []
        for i in range(0, len(x), 32):
            opt.zero_grad()
            loss = torch.nn.functional.mse_loss(model(x[i:i + 32]), y[i:i + 32])
            loss.backward()
            opt.step()
            losses.append(loss.item())
        if spike_at is not None and epoch == spike_at:
            for group in opt.param_groups:
                group["lr"] = lr
        with torch.no_grad():
            val = torch.nn.functional.mse_loss(model(xv), yv).item()
        hist["epoch"].append(epoch + 1)
        hist["train_loss"].append(sum(losses) / len(losses))
        hist["val_loss"].append(val)
        hist["lr"].append(lr)
        hist["step_loss"].extend(losses)
        sched.step(val)
    return {"model": model, "optimizer": opt, "history": hist}


def make_torch(out: Path) -> None:
    import argparse as _argparse

    import numpy as np
    import torch

    res = torch_loop()
    hist = res["history"]
    d = out / "torch_checkpoint"
    d.mkdir(parents=True, exist_ok=True)
    plain = {k: hist[k] for k in ("train_loss", "val_loss", "lr")}
    torch.save({"model": res["model"].state_dict(), "optimizer": res["optimizer"].state_dict(),
                "epoch": 11, "history": plain}, d / "history_dict.pt")
    torch.save({"model_state_dict": res["model"].state_dict(), "epoch": 11,
                "train_losses": [torch.tensor(v) for v in hist["train_loss"]],
                "val_losses": torch.tensor(hist["val_loss"])}, d / "tensor_lists.pth")
    torch.save({"model": res["model"].state_dict(),
                "history": {"train_loss": [np.float64(v) for v in hist["train_loss"]],
                            "val_loss": np.array(hist["val_loss"], dtype=np.float32)}},
               d / "numpy_scalars.pt")
    torch.save({"history": plain}, d / "legacy_serialization.pt",
               _use_new_zipfile_serialization=False)
    torch.save({"model": res["model"].state_dict(), "history": plain,
                "args": _argparse.Namespace(lr=0.05, epochs=12)}, d / "unsafe_namespace.pt")

    h = out / "history_json"
    h.mkdir(parents=True, exist_ok=True)
    _dump(h / "dict_of_lists.json", plain)
    _dump(h / "records_one_based_epoch.json",
          [{"epoch": e, "train_loss": t, "val_loss": v, "lr": lr} for e, t, v, lr in
           zip(hist["epoch"], hist["train_loss"], hist["val_loss"], hist["lr"], strict=False)])
    _dump(h / "nested_splits.json", {"train": {"loss": hist["train_loss"]},
                                     "val": {"loss": hist["val_loss"]}, "lr": hist["lr"]})
    _dump(h / "step_value_pairs.json",
          {"train_loss": [[i, v] for i, v in enumerate(hist["step_loss"])],
           "val_loss": [[8 * (e + 1) - 1, v] for e, v in enumerate(hist["val_loss"])]})
    _dump(h / "per_step_and_per_epoch.json",
          {"train_loss": hist["step_loss"], "val_loss": hist["val_loss"], "lr": hist["lr"]})
    nan = dict(plain, train_loss=[*plain["train_loss"][:8], math.nan, math.inf],
               val_loss=[*plain["val_loss"][:8], math.nan, math.nan], lr=plain["lr"][:10])
    (h / "bare_nan_infinity.json").write_text(json.dumps(nan))


def _dump(path: Path, obj) -> None:
    path.write_text(json.dumps(obj, indent=1) + "\n")


# ------------------------------------------------------------------------------------ hf
def make_hf(out: Path) -> None:
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel, Trainer, TrainingArguments

    class Tokens(torch.utils.data.Dataset):
        def __init__(self, n: int, seed: int) -> None:
            g = torch.Generator().manual_seed(seed)
            self.ids = torch.randint(0, 64, (n, 16), generator=g)

        def __len__(self) -> int:
            return len(self.ids)

        def __getitem__(self, i):
            return {"input_ids": self.ids[i], "labels": self.ids[i]}

    class NanAt(Trainer):
        """Multiplies the loss by NaN from ``nan_step`` on: a real divergence."""

        nan_step: int | None = None

        def compute_loss(self, model, inputs, return_outputs=False, **kwargs):
            out = super().compute_loss(model, inputs, return_outputs, **kwargs)
            if self.nan_step is None or self.state.global_step < self.nan_step:
                return out
            if return_outputs:  # evaluation asks for (loss, outputs)
                return out[0] * float("nan"), out[1]
            return out * float("nan")

    d = out / "hf_trainer_state"
    d.mkdir(parents=True, exist_ok=True)
    for name, nan_step in (("eval_and_summary", None), ("nan_loss_from_step_9", 9)):
        torch.manual_seed(0)
        cfg = GPT2Config(n_layer=1, n_head=2, n_embd=16, vocab_size=64, n_positions=16)
        model = GPT2LMHeadModel(cfg)
        with tempfile.TemporaryDirectory() as tmp:
            args = TrainingArguments(
                output_dir=tmp, per_device_train_batch_size=8, num_train_epochs=3,
                learning_rate=5e-3, lr_scheduler_type="linear", warmup_steps=2,
                logging_steps=1, eval_strategy="steps", eval_steps=3, save_steps=6,
                report_to="none", use_cpu=True, logging_nan_inf_filter=False, seed=0,
                disable_tqdm=True)
            trainer = NanAt(model=model, args=args, train_dataset=Tokens(40, 0),
                            eval_dataset=Tokens(16, 1))
            trainer.nan_step = nan_step
            trainer.train()
            trainer.save_state()
            shutil.copy(Path(tmp) / "trainer_state.json", d / f"{name}.json")
            if nan_step is None:  # the output folder layout: checkpoint-N/trainer_state.json
                folder = d / "output_dir_checkpoints"
                for ckpt in sorted(Path(tmp).glob("checkpoint-*")):
                    (folder / ckpt.name).mkdir(parents=True, exist_ok=True)
                    shutil.copy(ckpt / "trainer_state.json", folder / ckpt.name)


# ----------------------------------------------------------------------------- lightning
def make_lightning(out: Path) -> None:
    import lightning as L
    import torch
    from lightning.pytorch.callbacks import LearningRateMonitor
    from lightning.pytorch.loggers import CSVLogger

    class Reg(L.LightningModule):
        def __init__(self, nan_from_epoch: int | None = None) -> None:
            super().__init__()
            self.net = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(),
                                           torch.nn.Linear(16, 1))
            self.nan_from_epoch = nan_from_epoch

        def training_step(self, batch, _):
            x, y = batch
            loss = torch.nn.functional.mse_loss(self.net(x), y)
            if self.nan_from_epoch is not None and self.current_epoch >= self.nan_from_epoch:
                loss = loss * float("nan")
            self.log("train_loss", loss, on_step=True, on_epoch=True)
            return loss

        def validation_step(self, batch, _):
            x, y = batch
            self.log("val_loss", torch.nn.functional.mse_loss(self.net(x), y))

        def configure_optimizers(self):
            opt = torch.optim.Adam(self.parameters(), lr=0.01)
            return {"optimizer": opt,
                    "lr_scheduler": torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)}

    def loaders():
        x, y = _regression(64)
        xv, yv = _regression(32, seed=1)
        train = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=16)
        val = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(xv, yv), batch_size=16)
        return train, val

    def trainer(save_dir: Path, epochs: int) -> L.Trainer:
        return L.Trainer(max_epochs=epochs, accelerator="cpu", log_every_n_steps=2,
                         logger=CSVLogger(save_dir, name="lightning_logs"),
                         callbacks=[LearningRateMonitor(logging_interval="step")],
                         enable_progress_bar=False, enable_model_summary=False)

    d = out / "lightning_csv"
    with tempfile.TemporaryDirectory() as tmp:
        L.seed_everything(0)
        t = trainer(Path(tmp), 3)
        t.fit(Reg(), *loaders())
        ckpt = next(Path(tmp).rglob("*.ckpt"))
        L.seed_everything(0)
        trainer(Path(tmp), 5).fit(Reg(), *loaders(), ckpt_path=ckpt)
        logs = Path(tmp) / "lightning_logs"
        for version in ("version_0", "version_1"):
            target = d / "resumed_versions" / version
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy(logs / version / "metrics.csv", target)
        shutil.copy(logs / "version_0" / "metrics.csv", d / "sparse_lr_monitor.csv")
    with tempfile.TemporaryDirectory() as tmp:
        L.seed_everything(0)
        trainer(Path(tmp), 4).fit(Reg(nan_from_epoch=2), *loaders())
        shutil.copy(Path(tmp) / "lightning_logs" / "version_0" / "metrics.csv",
                    d / "nan_loss_from_epoch_2.csv")


# --------------------------------------------------------------------------------- keras
def make_keras(out: Path) -> None:
    import keras
    import numpy as np

    x, y = (t.numpy() for t in _regression(128))
    xv, yv = (t.numpy() for t in _regression(32, seed=1))

    def model():
        keras.utils.set_random_seed(0)
        m = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(1)])
        m.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
        return m

    class NanWeights(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 2:
                w = self.model.layers[0].kernel
                w.assign(np.full(w.shape, np.nan, dtype="float32"))

    d = out / "keras_csv"
    d.mkdir(parents=True, exist_ok=True)
    h = out / "history_json"
    h.mkdir(parents=True, exist_ok=True)
    path = d / "append_rerun_na_cells.csv"
    path.unlink(missing_ok=True)
    for epochs in (4, 3):  # a second fit from scratch appends epochs 0.. again
        plateau = keras.callbacks.ReduceLROnPlateau(patience=1, factor=0.5, monitor="loss")
        hist = model().fit(x, y, validation_data=(xv, yv), validation_freq=2, epochs=epochs,
                           verbose=0, callbacks=[plateau,
                                                 keras.callbacks.CSVLogger(path, append=True)])
    _dump(h / "keras_history.json", hist.history)
    path = d / "nan_loss_from_epoch_3.csv"
    model().fit(x, y, validation_data=(xv, yv), epochs=6, verbose=0,
                callbacks=[NanWeights(), keras.callbacks.CSVLogger(path)])


# --------------------------------------------------------------------------- tensorboard
def make_tensorboard(out: Path) -> None:
    """torch SummaryWriter runs (plus HF and Lightning through their TB loggers), each with
    a ``<name>.tbparse.json`` beside it: what tbparse 0.0.9 reads from it (the test oracle)."""
    from torch.utils.tensorboard import SummaryWriter

    d = out / "tfevents"
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)

    run = d / "simple_values"
    with SummaryWriter(run) as w:
        for step in range(40):
            loss = 2.0 / (1 + step) if step != 30 else float("nan")
            w.add_scalar("train/loss", loss, step, walltime=1_700_000_000 + step)
            w.add_scalar("lr", 0.1 * 0.9 ** (step // 10), step, walltime=1_700_000_000 + step)
            if step % 10 == 9:
                w.add_scalar("val/loss", 1e40 if step == 39 else 2.5 / (1 + step), step)
        w.add_scalar("train/loss", 0.01, 0)  # step 0 again: a duplicate, the last one wins
    _oracle(run)

    run = d / "restart_purge"  # formats.md §1.6: 0..90, purge_step=50 50..70, then 60..80
    for steps, purge in ((range(0, 100, 10), None), (range(50, 80, 10), 50),
                         (range(60, 90, 10), None)):
        with SummaryWriter(run, purge_step=purge) as w:
            for step in steps:
                w.add_scalar("loss", float(step), step)
        import time
        time.sleep(1.1)  # the file name carries the second: keep the files in order
    _oracle(run)

    run = d / "new_style_tensors"
    with SummaryWriter(run) as w:
        for step in range(5):
            w.add_scalar("train/loss", 1.0 / (step + 1), step, new_style=True)
            w.add_scalar("lr", 0.001 * (step + 1), step, new_style=True, double_precision=True)
    _oracle(run)

    run = d / "add_scalars_folders"
    with SummaryWriter(run) as w:
        for step in range(5):
            w.add_scalars("loss", {"train": 1.0 / (step + 1), "val": 1.2 / (step + 1)}, step)
    _oracle(run)

    source = d / "simple_values"
    target = d / "truncated_tail"
    target.mkdir()
    event = next(source.glob("events.out.tfevents.*"))
    data = event.read_bytes()
    (target / event.name).write_bytes(data[:-7])  # the writer died inside the last record

    _tb_hf(d / "hf_trainer")
    _tb_lightning(d / "lightning_logger")
    _tb_keras(d / "keras_train_validation")


def _tb_keras(target: Path) -> None:
    """Keras 3 TensorBoard callback (it writes through tf.summary: TF2 tensor scalars)."""
    import keras

    x, y = (t.numpy() for t in _regression(64))
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    plateau = keras.callbacks.ReduceLROnPlateau(patience=1, factor=0.5)
    model.fit(x, y, validation_data=(x, y), epochs=4, batch_size=16, verbose=0, callbacks=[
        plateau, keras.callbacks.TensorBoard(str(target), update_freq=2)])
    _oracle(target)


def _oracle(run: Path) -> None:
    try:
        from tbparse import SummaryReader
    except ImportError:
        return
    frame = SummaryReader(str(run), extra_columns={"dir_name", "file_name"}).scalars
    tensors = SummaryReader(str(run), extra_columns={"dir_name", "file_name"}).tensors
    import pandas as pd

    both = pd.concat([frame, tensors], ignore_index=True)
    rows = [{"dir": r.dir_name, "file_index": sorted(both.file_name.unique()).index(r.file_name),
             "tag": r.tag, "step": int(r.step), "value": _json_float(r.value)}
            for r in both.itertuples() if _is_number(r.value)]
    (run.parent / f"{run.name}.tbparse.json").write_text(json.dumps(rows, indent=0) + "\n")


def _is_number(value) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _json_float(value) -> float | str:
    value = float(value)
    return value if math.isfinite(value) else repr(value)


def _tb_hf(target: Path) -> None:
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel, Trainer, TrainingArguments

    ids = torch.randint(0, 64, (24, 16), generator=torch.Generator().manual_seed(0))
    data = [{"input_ids": i, "labels": i} for i in ids]
    torch.manual_seed(0)
    model = GPT2LMHeadModel(GPT2Config(n_layer=1, n_head=2, n_embd=16, vocab_size=64,
                                       n_positions=16))
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["TENSORBOARD_LOGGING_DIR"] = str(Path(tmp) / "tb")
        args = TrainingArguments(output_dir=tmp, per_device_train_batch_size=8,
                                 num_train_epochs=2, logging_steps=1, eval_strategy="epoch",
                                 report_to="tensorboard", use_cpu=True, save_strategy="no",
                                 disable_tqdm=True)
        Trainer(model=model, args=args, train_dataset=data, eval_dataset=data[:8]).train()
        found = next(Path(tmp).rglob("events.out.tfevents.*")).parent
        shutil.copytree(found, target)
    _oracle(target)


def _tb_lightning(target: Path) -> None:
    import lightning as L
    import torch
    from lightning.pytorch.callbacks import LearningRateMonitor
    from lightning.pytorch.loggers import TensorBoardLogger

    class Reg(L.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.net = torch.nn.Linear(8, 1)

        def training_step(self, batch, _):
            loss = torch.nn.functional.mse_loss(self.net(batch[0]), batch[1])
            self.log("train_loss", loss, on_step=True, on_epoch=True)
            return loss

        def validation_step(self, batch, _):
            self.log("val_loss", torch.nn.functional.mse_loss(self.net(batch[0]), batch[1]))

        def configure_optimizers(self):
            return torch.optim.Adam(self.parameters(), lr=0.01)

    x, y = _regression(64)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=16)
    def trainer(tmp: str, epochs: int) -> L.Trainer:
        return L.Trainer(max_epochs=epochs, accelerator="cpu", log_every_n_steps=2,
                         logger=TensorBoardLogger(tmp, name="lightning_logs"),
                         callbacks=[LearningRateMonitor()], enable_progress_bar=False,
                         enable_model_summary=False)

    with tempfile.TemporaryDirectory() as tmp:
        L.seed_everything(0)
        trainer(tmp, 3).fit(Reg(), loader, loader)
        shutil.copytree(Path(tmp) / "lightning_logs" / "version_0", target,
                        ignore=shutil.ignore_patterns("checkpoints"))
        ckpt = next(Path(tmp).rglob("*.ckpt"))
        L.seed_everything(0)
        trainer(tmp, 5).fit(Reg(), loader, loader, ckpt_path=ckpt)  # resumed: version_1
        resumed = target.parent / "lightning_resumed_versions"
        for version in ("version_0", "version_1"):
            shutil.copytree(Path(tmp) / "lightning_logs" / version, resumed / version,
                            ignore=shutil.ignore_patterns("checkpoints"))
    _oracle(target)


# ---------------------------------------------------------------------------------- text
def make_text(out: Path) -> None:
    """Console output: Keras 3 and HF 5 captured from real runs; three loop styles printed
    with the exact format strings of their sources (nanoGPT train.py, yunjey/pytorch-tutorial,
    the common 'Epoch i/n - Train Loss' loop) over a real torch training."""
    import contextlib
    import io

    d = out / "text_log"
    d.mkdir(parents=True, exist_ok=True)
    _text_keras(d)
    _text_hf(d)
    res = torch_loop()
    hist = res["history"]
    lines = []
    for i, loss in enumerate(hist["step_loss"]):  # nanoGPT train.py print statements
        lines.append(f"iter {i}: loss {loss:.4f}, time {12.5 + i % 3:.2f}ms, mfu {-100.0:.2f}%")
        if i % 24 == 0:
            e = i // 8
            lines.append(f"step {i}: train loss {hist['train_loss'][e]:.4f}, "
                         f"val loss {hist['val_loss'][e]:.4f}")
    (d / "nanogpt_iter_lines.log").write_text("\n".join(lines) + "\n")
    lines = []
    for e in range(len(hist["train_loss"])):  # pytorch-tutorial feedforward_neural_network
        for i in range(8):
            if (i + 1) % 4 == 0:
                lines.append("Epoch [{}/{}], Step [{}/{}], Loss: {:.4f}".format(
                    e + 1, len(hist["train_loss"]), i + 1, 8, hist["step_loss"][e * 8 + i]))
    (d / "epoch_bracket_step.log").write_text("\n".join(lines) + "\n")
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        rows = zip(hist["train_loss"], hist["val_loss"], hist["lr"], strict=True)
        for e, (t, v, lr) in enumerate(rows):
            print(f"Epoch {e + 1}/{len(hist['lr'])} - Train Loss: {t:.4f}, Val Loss: {v:.4f}, "
                  f"LR: {lr:.6f}")
    (d / "epoch_train_val_lr.txt").write_text(buffer.getvalue())


def _text_keras(d: Path) -> None:
    import subprocess

    code = (
        "import keras, numpy as np\n"
        "keras.utils.set_random_seed(0)\n"
        "x = np.random.rand(256, 8).astype('float32'); y = x.sum(1, keepdims=True)\n"
        "m = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation='relu'),"
        " keras.layers.Dense(1)])\n"
        "m.compile(keras.optimizers.Adam(0.01), 'mse', metrics=['mae'])\n"
        "cb = [keras.callbacks.ReduceLROnPlateau(patience=1, factor=0.5, verbose=1)]\n"
        "m.fit(x, y, validation_split=0.25, epochs=6, verbose=VERBOSE, callbacks=cb)\n")
    for verbose, name in ((2, "keras_verbose2.log"), (1, "keras_progress_bar_ansi.log")):
        result = subprocess.run([sys.executable, "-c", code.replace("VERBOSE", str(verbose))],
                                capture_output=True, text=True, check=True,
                                env={**os.environ, "KERAS_BACKEND": "torch", "TERM": "xterm",
                                     "FORCE_COLOR": "1"})
        (d / name).write_text(result.stdout)


def _text_hf(d: Path) -> None:
    import subprocess

    code = (
        "import torch\n"
        "from transformers import GPT2Config, GPT2LMHeadModel, Trainer, TrainingArguments\n"
        "ids = torch.randint(0, 64, (48, 16), generator=torch.Generator().manual_seed(0))\n"
        "data = [{'input_ids': i, 'labels': i} for i in ids]\n"
        "torch.manual_seed(0)\n"
        "model = GPT2LMHeadModel(GPT2Config(n_layer=1, n_head=2, n_embd=16, vocab_size=64,"
        " n_positions=16))\n"
        "args = TrainingArguments(output_dir=OUT, per_device_train_batch_size=8,"
        " num_train_epochs=2, logging_steps=2, eval_strategy='epoch', report_to='none',"
        " use_cpu=True, save_strategy='no')\n"
        "Trainer(model=model, args=args, train_dataset=data, eval_dataset=data[:8]).train()\n")
    with tempfile.TemporaryDirectory() as tmp:
        result = subprocess.run([sys.executable, "-c", code.replace("OUT", repr(tmp))],
                                capture_output=True, text=True, check=True)
    (d / "hf_v5_stdout_tqdm.log").write_text(result.stdout + result.stderr)


# --------------------------------------------------------------------------- ultralytics
ULTRA_KEYS = ["train/box_loss", "train/cls_loss", "train/dfl_loss", "metrics/precision(B)",
              "metrics/recall(B)", "metrics/mAP50(B)", "metrics/mAP50-95(B)", "val/box_loss",
              "val/cls_loss", "val/dfl_loss", "lr/pg0", "lr/pg1", "lr/pg2"]


def _ultra_values(epoch: int) -> list[float]:
    decay = 1 / (1 + 0.3 * epoch)
    warm = min(1.0, (epoch + 1) / 3)
    return [1.6 * decay, 3.0 * decay, 2.1 * decay, 0.2 + 0.05 * epoch, 0.25 + 0.04 * epoch,
            0.15 + 0.05 * epoch, 0.05 + 0.03 * epoch, 2.3 * decay, 2.8 * decay, 3.3 * decay,
            0.1 - 0.09 * warm, 0.01 * warm, 0.01 * warm]


def make_ultralytics(out: Path) -> None:
    """Ultralytics cannot train offline here (it downloads datasets and weights), so the
    files are written with the writers' own format strings: 8.4 ``save_metrics`` (``%.6g``,
    ``epoch + 1``, a ``time`` column) and 8.0 / YOLOv5 (``%23s`` / ``%23.5g`` padding, 0-based
    epoch); see tests/data/ultralytics_csv/README.md."""
    d = out / "ultralytics_csv"
    d.mkdir(parents=True, exist_ok=True)
    n = len(ULTRA_KEYS) + 2
    lines = [("%s," * n % tuple(["epoch", "time", *ULTRA_KEYS])).rstrip(",")]
    for epoch in range(6):
        lines.append(("%.6g," * n % tuple([epoch + 1, 61.5 * (epoch + 1),
                                            *_ultra_values(epoch)])).rstrip(","))
    (d / "v8_4_time_column.csv").write_text("\n".join(lines) + "\n")
    resumed = lines[:5] + lines[4:]  # died after writing epoch 4, resumed from epoch 4
    (d / "resumed_duplicate_epoch.csv").write_text("\n".join(resumed) + "\n")
    n = len(ULTRA_KEYS) + 1
    lines = [("%23s," * n % tuple(["epoch", *ULTRA_KEYS])).rstrip(",")]
    for epoch in range(6):
        lines.append(("%23.5g," * n % tuple([epoch, *_ultra_values(epoch)])).rstrip(","))
    (d / "v8_0_padded_zero_based.csv").write_text("\n".join(lines) + "\n")
    trailing = [line + "," for line in lines]  # writers that did not rstrip the comma
    (d / "padded_trailing_commas.csv").write_text("\n".join(trailing) + "\n")
    _yolov10_heads(d)


def _yolov10_heads(d: Path) -> None:
    """THU-MIG/yolov10 (ultralytics 8.1 ``save_metrics``: ``%23s`` / ``%23.5g``, ``epoch + 1``):
    ``YOLOv10DetectionTrainer.loss_names`` are ``box_om, cls_om, dfl_om, box_oo, cls_oo,
    dfl_oo``, the parts of its one-to-many and one-to-one heads; no ``*_loss`` column."""
    heads = ["box_om", "cls_om", "dfl_om", "box_oo", "cls_oo", "dfl_oo"]
    keys = [*(f"train/{h}" for h in heads), *ULTRA_KEYS[3:7], *(f"val/{h}" for h in heads),
            *ULTRA_KEYS[10:]]
    n = len(keys) + 1
    lines = [("%23s," * n % tuple(["epoch", *keys])).rstrip(",")]
    for epoch in range(6):
        v = _ultra_values(epoch)
        train, val = v[:3], v[7:10]
        row = [*train, *(0.9 * x for x in train), *v[3:7], *val, *(0.9 * x for x in val),
               *v[10:]]
        lines.append(("%23.5g," * n % tuple([epoch + 1, *row])).rstrip(","))
    (d / "yolov10_om_oo_heads.csv").write_text("\n".join(lines) + "\n")


# -------------------------------------------------------------------------------- mlflow
def make_mlflow(out: Path) -> None:
    """mlflow-skinny 3.17.2: a file store run (MLFLOW_ALLOW_FILE_STORE=true) and an SQLite
    store with two runs, both logging the torch loop's history plus NaN and inf values."""
    import subprocess

    d = out / "mlflow"
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    hist = torch_loop()["history"]
    code = (
        "import json, math, sys, mlflow\n"
        "hist = json.loads(sys.argv[2])\n"
        "mlflow.set_tracking_uri(sys.argv[1])\n"
        "mlflow.set_experiment('fixtures')\n"
        "for name, n in (('short_run', 4), ('diverged_run', len(hist['train_loss']))):\n"
        "    with mlflow.start_run(run_name=name):\n"
        "        mlflow.log_params({'lr': 0.05, 'scheduler': 'ReduceLROnPlateau'})\n"
        "        for e in range(n):\n"
        "            bad = math.nan if e == 9 else math.inf\n"
        "            loss = hist['train_loss'][e] if e < 9 else bad\n"
        "            mlflow.log_metric('train/loss', loss, step=e)\n"
        "            mlflow.log_metric('val_loss', hist['val_loss'][e] if e != 10 else -math.inf,"
        " step=e)\n"
        "            mlflow.log_metric('lr', hist['lr'][e], step=e)\n"
        "        mlflow.log_metric('val_loss', 0.5, step=n - 1)  # the same step logged again\n")
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "MLFLOW_ALLOW_FILE_STORE": "true"}
        subprocess.run([sys.executable, "-c", code, "file:" + str(Path(tmp) / "mlruns"),
                        json.dumps(hist)], check=True, env=env, cwd=tmp, capture_output=True)
        shutil.copytree(Path(tmp) / "mlruns", d / "file_store_nested_keys" / "mlruns")
        subprocess.run([sys.executable, "-c", code, "sqlite:///" + str(Path(tmp) / "mlflow.db"),
                        json.dumps(hist)], check=True, cwd=tmp, capture_output=True)
        shutil.copy(Path(tmp) / "mlflow.db", d / "sqlite_nan_inf_sentinels.db")


# ---------------------------------------------------------------------------- json lines
def make_json_lines(out: Path) -> None:
    """mmengine 0.10.7 Runner (real) and detectron2's JSONWriter line format (detectron2 does
    not install here: it compiles C++ ops); see tests/data/json_lines/README.md."""
    d = out / "json_lines"
    d.mkdir(parents=True, exist_ok=True)
    _mmengine_run(d)
    hist = torch_loop()["history"]
    lines = []
    for it in range(19, 96, 20):  # JSONWriter: json.dumps(..., sort_keys=True), period 20
        k = it // 8
        lines.append(json.dumps({"data_time": 0.01, "eta_seconds": 100.0 - it,
                                 "iteration": it, "loss_box_reg": 0.3 * hist["step_loss"][it],
                                 "loss_cls": 0.7 * hist["step_loss"][it],
                                 "lr": hist["lr"][k], "time": 0.2,
                                 "total_loss": hist["step_loss"][it]}, sort_keys=True))
        if it == 59:  # an evaluation at iteration 59, on its own line
            lines.append(json.dumps({"bbox/AP": 12.5, "bbox/AP50": 30.1, "iteration": it},
                                    sort_keys=True))
    (d / "detectron2_eval_lines.json").write_text("\n".join(lines) + "\n")
    resumed = lines + lines[2:]  # resumed from the checkpoint at iteration 39: appended
    (d / "detectron2_resumed_append.json").write_text("\n".join(resumed) + "\n")
    (d / "detectron2_cut_last_line.json").write_text("\n".join(lines) + "\n" + lines[0][:25])
    _fairseq_log(d, hist)


def _fairseq_log(d: Path, hist: dict) -> None:
    """fairseq --log-format json through its logging format (fairseq_cli/train.py):
    '%(asctime)s | %(levelname)s | %(name)s | %(message)s', message = json.dumps(stats) with
    every value a string (progress_bar._format_stats)."""
    lines = ["2026-11-25 12:00:00 | INFO | fairseq_cli.train | Namespace(arch='transformer')"]
    updates = 0
    for e, lr in enumerate(hist["lr"]):
        for i in range(0, 8, 4):
            updates += 4
            loss = hist["step_loss"][e * 8 + i]
            stats = {"epoch": e + 1, "update": f"{e + (i + 4) / 8:.3f}", "loss": f"{loss:.3f}",
                     "nll_loss": f"{loss:.3f}", "ppl": f"{2 ** loss:.2f}", "wps": "1234",
                     "ups": "5.6", "wpb": "100", "bsz": "32", "num_updates": str(updates),
                     "lr": f"{lr:g}", "gnorm": "1.234", "loss_scale": "128",
                     "train_wall": "1", "wall": str(updates)}
            lines.append(f"2026-11-25 12:00:{updates:02d} | INFO | train_inner | "
                         f"{json.dumps(stats)}")
        valid = {"epoch": e + 1, "valid_loss": f"{hist['val_loss'][e]:.3f}",
                 "valid_ppl": f"{2 ** hist['val_loss'][e]:.2f}",
                 "valid_num_updates": str(updates)}
        lines.append(f"2026-11-25 12:01:{e:02d} | INFO | valid | {json.dumps(valid)}")
        train = {"epoch": e + 1, "train_loss": f"{hist['train_loss'][e]:.3f}",
                 "train_num_updates": str(updates), "train_lr": f"{lr:g}"}
        lines.append(f"2026-11-25 12:01:{e:02d} | INFO | train | {json.dumps(train)}")
    (d / "fairseq_json_log.log").write_text("\n".join(lines) + "\n")


def _mmengine_run(d: Path) -> None:
    import torch
    from mmengine.evaluator import BaseMetric
    from mmengine.model import BaseModel
    from mmengine.runner import Runner

    class Reg(BaseModel):
        def __init__(self) -> None:
            super().__init__()
            self.net = torch.nn.Linear(8, 1)

        def forward(self, inputs, labels, mode="tensor"):
            out = self.net(inputs)
            if mode == "loss":
                return {"loss": torch.nn.functional.mse_loss(out, labels)}
            return [(out, labels)]

    class Mse(BaseMetric):
        def process(self, data_batch, data_samples):
            for out, labels in data_samples:
                self.results.append(float(torch.nn.functional.mse_loss(out, labels)))

        def compute_metrics(self, results):
            return {"mse": sum(results) / len(results)}

    x, y = _regression(64)

    class Data(torch.utils.data.Dataset):
        def __len__(self):
            return 64

        def __getitem__(self, i):
            return {"inputs": x[i], "labels": y[i]}

    loader = {"dataset": Data(), "batch_size": 8, "sampler": {"type": "DefaultSampler",
                                                               "shuffle": False},
              "collate_fn": {"type": "default_collate"}}
    with tempfile.TemporaryDirectory() as tmp:
        runner = Runner(model=Reg(), work_dir=tmp, train_dataloader=loader,
                        val_dataloader=loader, val_evaluator={"type": Mse},
                        optim_wrapper={"optimizer": {"type": "SGD", "lr": 0.01}},
                        param_scheduler={"type": "StepLR", "step_size": 2, "gamma": 0.5,
                                         "by_epoch": True},
                        train_cfg={"by_epoch": True, "max_epochs": 4, "val_interval": 1},
                        val_cfg={}, default_hooks={"logger": {"type": "LoggerHook",
                                                              "interval": 2}},
                        randomness={"seed": 0})
        runner.train()
        scalars = next(Path(tmp).rglob("vis_data/scalars.json"))
        shutil.copy(scalars, d / "mmengine_scalars.json")
        text = out_text = d.parent / "text_log"
        text.mkdir(parents=True, exist_ok=True)
        log = next(p for p in scalars.parent.parent.glob("*.log"))
        shutil.copy(log, out_text / "mmengine_runner.log")


# --------------------------------------------------------------------------------- wandb
def make_wandb(out: Path) -> None:
    """wandb 0.31.0 offline runs (the binary .wandb log is the real writer's); the legacy
    wandb-history.jsonl and the UI CSV export are written to their schema (README beside)."""
    import subprocess

    d = out / "wandb"
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    hist = torch_loop()["history"]
    code = (
        "import json, math, sys, wandb\n"
        "hist = json.loads(sys.argv[1])\n"
        "run = wandb.init(project='fixtures', config={'lr': 0.05})\n"
        "for e in range(len(hist['lr'])):\n"
        "    for i in range(8):\n"
        "        run.log({'train/loss': hist['step_loss'][e * 8 + i]})\n"
        "    loss = hist['val_loss'][e] if e < 10 else (math.nan if e == 10 else math.inf)\n"
        "    run.log({'val_loss': loss, 'lr': hist['lr'][e], 'epoch': e})\n"
        "run.log({'late': 1.0}, step=3)  # below the current step: W&B drops it\n"
        "run.finish()\n")
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "WANDB_MODE": "offline", "WANDB_SILENT": "true"}
        subprocess.run([sys.executable, "-c", code, json.dumps(hist)], check=True, env=env,
                       cwd=tmp, capture_output=True)
        run_dir = next(Path(tmp, "wandb").glob("offline-run-*"))
        target = d / "offline_run" / run_dir.name
        target.mkdir(parents=True)
        shutil.copy(next(run_dir.glob("*.wandb")), target)
    rows = [{"_step": e, "_runtime": 1.5 * e, "_timestamp": 1.7e9 + e,
             "train_loss": hist["train_loss"][e],
             "val_loss": hist["val_loss"][e] if e != 5 else "NaN", "lr": hist["lr"][e]}
            for e in range(len(hist["lr"]))]
    (d / "wandb-history.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    lines = ['"Step","run-a - train/loss","run-a - train/loss__MIN","run-a - train/loss__MAX"']
    for e, value in enumerate(hist["train_loss"]):
        lines.append(f'"{e}","{value}","{value * 0.9}","{value * 1.1}"')
    (d / "ui_export_min_max.csv").write_text("\n".join(lines) + "\n")


# --------------------------------------------------------------------------------- main
PARTS = {"torch": make_torch, "hf": make_hf, "lightning": make_lightning, "keras": make_keras,
         "tensorboard": make_tensorboard, "text": make_text, "ultralytics": make_ultralytics,
         "mlflow": make_mlflow, "json_lines": make_json_lines,
         "wandb": make_wandb}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("parts", nargs="*", choices=[*PARTS, []], default=[])
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args(argv)
    for part in args.parts or list(PARTS):
        print(f"writing {part} fixtures", file=sys.stderr)
        PARTS[part](args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
