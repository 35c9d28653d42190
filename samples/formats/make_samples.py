"""Write one sample run per supported log format, each by the real framework, offline.

Every sample trains a small model on the same regression task (8 features, a fixed linear
target plus noise; a tiny GPT-2 on counting sequences for Hugging Face) for a few dozen
epochs. During one epoch the training labels come from a corrupted shard, so the training
loss spikes and then recovers while the LR schedule reacts: a run ``reporter analyze`` can
turn into a report. Beside each log the script writes the settings the run really used
(``config/config.yaml``, Lightning's own ``hparams.yaml``, HF ``training_args.json``).

Run it from a venv outside the repository (see tests/data/make_fixtures.py)::

    KERAS_BACKEND=torch /work/fixtures-venv/bin/python samples/formats/make_samples.py [part...]

Versions used for the committed samples: torch 2.13.0+cpu, transformers 5.24.0,
accelerate 1.x, lightning 2.6.6, keras 3.15.1 (torch backend), numpy 2.4.6.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

HERE = Path(__file__).resolve().parent
EPOCHS = 30
BAD_EPOCH = 12  # the epoch whose training labels come from the corrupted shard
SEED = 0


def task(n: int, seed: int):
    """x (n, 8) and y (n, 1) of the shared regression task, as float32 tensors."""
    import torch

    w = torch.randn(8, 1, generator=torch.Generator().manual_seed(1234))
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 8, generator=g)
    return x, x @ w + 0.1 * torch.randn(n, 1, generator=g)


def corrupted(y):
    """The corrupted shard: labels replaced by large noise."""
    import torch

    return 6.0 * torch.randn(y.shape, generator=torch.Generator().manual_seed(99))


def write_config(folder: Path, framework: str, **training) -> None:
    lines = [f"# settings of this sample run (written by make_samples.py, {framework})",
             "training:"]
    lines += [f"  {k}: {v}" for k, v in training.items()]
    (folder / "config").mkdir(parents=True, exist_ok=True)
    (folder / "config" / "config.yaml").write_text("\n".join(lines) + "\n")


TORCH_SETTINGS = {"epochs": EPOCHS, "batch_size": 32, "optimizer": "SGD", "learning_rate": 0.05,
                  "momentum": 0.0, "scheduler": "ReduceLROnPlateau", "scheduler_patience": 2,
                  "scheduler_factor": 0.5, "scheduler_mode": "min"}


def torch_run() -> dict:
    import torch

    torch.manual_seed(SEED)
    x, y = task(512, SEED)
    xv, yv = task(128, SEED + 1)
    model = torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.ReLU(), torch.nn.Linear(32, 1))
    opt = torch.optim.SGD(model.parameters(), lr=TORCH_SETTINGS["learning_rate"])
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(
        opt, mode="min", patience=TORCH_SETTINGS["scheduler_patience"],
        factor=TORCH_SETTINGS["scheduler_factor"])
    hist: dict[str, list[float]] = {"train_loss": [], "val_loss": [], "lr": []}
    for epoch in range(EPOCHS):
        labels = corrupted(y) if epoch == BAD_EPOCH else y
        losses = []
        for i in range(0, len(x), 32):
            opt.zero_grad()
            loss = torch.nn.functional.mse_loss(model(x[i:i + 32]), labels[i:i + 32])
            loss.backward()
            opt.step()
            losses.append(loss.item())
        with torch.no_grad():
            val = torch.nn.functional.mse_loss(model(xv), yv).item()
        hist["train_loss"].append(sum(losses) / len(losses))
        hist["val_loss"].append(val)
        hist["lr"].append(opt.param_groups[0]["lr"])  # the LR used during this epoch
        sched.step(val)
    return {"model": model, "optimizer": opt, "scheduler": sched, "history": hist}


def make_torch_checkpoint() -> None:
    import torch

    res = torch_run()
    out = HERE / "torch_checkpoint" / "noisy_shard"
    out.mkdir(parents=True, exist_ok=True)
    torch.save({"model": res["model"].state_dict(), "optimizer": res["optimizer"].state_dict(),
                "scheduler": res["scheduler"].state_dict(), "epoch": EPOCHS - 1,
                "history": res["history"]}, out / "checkpoint.pt")
    write_config(out, "torch", **TORCH_SETTINGS)


def make_history_json() -> None:
    res = torch_run()
    out = HERE / "history_json" / "noisy_shard"
    out.mkdir(parents=True, exist_ok=True)
    (out / "history.json").write_text(json.dumps(res["history"], indent=1) + "\n")
    write_config(out, "torch", **TORCH_SETTINGS)


def make_keras_csv() -> None:
    import keras
    import numpy as np

    x, y = (t.numpy() for t in task(512, SEED))
    xv, yv = (t.numpy() for t in task(128, SEED + 1))
    bad = corrupted(task(512, SEED)[1]).numpy()

    class Shard(keras.utils.PyDataset):
        """Batches of the task; the epoch BAD_EPOCH reads the corrupted labels."""

        def __init__(self) -> None:
            super().__init__()
            self.epoch = 0

        def __len__(self) -> int:
            return len(x) // 32

        def __getitem__(self, i):
            labels = bad if self.epoch == BAD_EPOCH else y
            return x[i * 32:(i + 1) * 32], labels[i * 32:(i + 1) * 32]

        def on_epoch_end(self) -> None:
            self.epoch += 1

    keras.utils.set_random_seed(SEED)
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(32, activation="relu"),
                              keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    out = HERE / "keras_csv" / "noisy_shard"
    out.mkdir(parents=True, exist_ok=True)
    log = out / "training_log.csv"
    log.unlink(missing_ok=True)
    console = io.StringIO()
    with contextlib.redirect_stdout(console):  # the console log is the text_log sample
        model.fit(Shard(), validation_data=(xv, yv), epochs=EPOCHS, verbose=2, callbacks=[
            keras.callbacks.ReduceLROnPlateau(monitor="val_loss", patience=2, factor=0.5),
            keras.callbacks.CSVLogger(log)])
    text = HERE / "text_log" / "noisy_shard"
    text.mkdir(parents=True, exist_ok=True)
    (text / "train.log").write_text(console.getvalue())
    for folder in (out, text):
        write_config(folder, "keras", epochs=EPOCHS, batch_size=32, optimizer="SGD",
                     learning_rate=0.05, scheduler="ReduceLROnPlateau", scheduler_patience=2,
                     scheduler_factor=0.5, scheduler_monitor="val_loss")
    assert np.isfinite(np.loadtxt(log, delimiter=",", skiprows=1, usecols=1)).all()


def make_lightning_csv() -> None:
    import lightning as L
    import torch
    from lightning.pytorch.callbacks import LearningRateMonitor
    from lightning.pytorch.loggers import CSVLogger

    class Data(L.LightningDataModule):
        def train_dataloader(self):
            x, y = task(512, SEED)
            if self.trainer.current_epoch == BAD_EPOCH:
                y = corrupted(y)
            return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y),
                                               batch_size=32)

        def val_dataloader(self):
            return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(*task(128, 1)),
                                               batch_size=128)

    class Reg(L.LightningModule):
        def __init__(self, lr: float = 0.05, scheduler: str = "ReduceLROnPlateau",
                     scheduler_patience: int = 2, scheduler_factor: float = 0.5,
                     max_epochs: int = EPOCHS) -> None:
            super().__init__()
            self.save_hyperparameters()
            self.net = torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.ReLU(),
                                           torch.nn.Linear(32, 1))

        def training_step(self, batch, _):
            loss = torch.nn.functional.mse_loss(self.net(batch[0]), batch[1])
            self.log("train_loss", loss, on_step=True, on_epoch=True)
            return loss

        def validation_step(self, batch, _):
            self.log("val_loss", torch.nn.functional.mse_loss(self.net(batch[0]), batch[1]))

        def configure_optimizers(self):
            opt = torch.optim.SGD(self.parameters(), lr=self.hparams.lr)
            sched = torch.optim.lr_scheduler.ReduceLROnPlateau(
                opt, patience=self.hparams.scheduler_patience,
                factor=self.hparams.scheduler_factor)
            return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "monitor": "val_loss"}}

    out = HERE / "lightning_csv" / "noisy_shard"
    shutil.rmtree(out, ignore_errors=True)
    L.seed_everything(SEED)
    trainer = L.Trainer(max_epochs=EPOCHS, accelerator="cpu", log_every_n_steps=4,
                        reload_dataloaders_every_n_epochs=1, enable_checkpointing=False,
                        logger=CSVLogger(out, name="lightning_logs"),
                        callbacks=[LearningRateMonitor(logging_interval="epoch")],
                        enable_progress_bar=False, enable_model_summary=False)
    trainer.fit(Reg(), datamodule=Data())


def make_hf_trainer_state() -> None:
    import torch
    from transformers import (
        GPT2Config,
        GPT2LMHeadModel,
        Trainer,
        TrainerCallback,
        TrainingArguments,
    )

    class Counting(torch.utils.data.Dataset):
        """Sequences a, a+b, a+2b … mod 64; ``corrupt`` swaps in random tokens."""

        def __init__(self, n: int, seed: int) -> None:
            g = torch.Generator().manual_seed(seed)
            a = torch.randint(0, 64, (n, 1), generator=g)
            b = torch.randint(1, 4, (n, 1), generator=g)
            self.ids = (a + b * torch.arange(16)) % 64
            self.noise = torch.randint(0, 64, (n, 16), generator=g)
            self.corrupt = False

        def __len__(self) -> int:
            return len(self.ids)

        def __getitem__(self, i):
            ids = self.noise[i] if self.corrupt else self.ids[i]
            return {"input_ids": ids, "labels": ids}

    train = Counting(256, 0)

    class CorruptOneEpoch(TrainerCallback):
        def on_epoch_begin(self, args, state, control, **kwargs):
            train.corrupt = round(state.epoch or 0) == 4

    out = HERE / "hf_trainer_state" / "noisy_shard"
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(SEED)
    model = GPT2LMHeadModel(GPT2Config(n_layer=2, n_head=2, n_embd=32, vocab_size=64,
                                       n_positions=16))
    with tempfile.TemporaryDirectory() as tmp:
        args = TrainingArguments(
            output_dir=tmp, per_device_train_batch_size=16, num_train_epochs=10,
            learning_rate=3e-3, lr_scheduler_type="cosine", warmup_steps=16, logging_steps=4,
            eval_strategy="epoch", save_strategy="no", report_to="none", use_cpu=True,
            seed=SEED, disable_tqdm=True)
        trainer = Trainer(model=model, args=args, train_dataset=train,
                          eval_dataset=Counting(64, 1), callbacks=[CorruptOneEpoch()])
        trainer._get_train_sampler = lambda *a, **k: torch.utils.data.SequentialSampler(train)
        trainer.train()
        trainer.save_state()
        shutil.copy(Path(tmp) / "trainer_state.json", out / "trainer_state.json")
    (out / "training_args.json").write_text(args.to_json_string() + "\n")


def make_tfevents() -> None:
    """The torch loop's per-epoch history written by torch's SummaryWriter."""
    from torch.utils.tensorboard import SummaryWriter

    hist = torch_run()["history"]
    out = HERE / "tfevents" / "noisy_shard"
    shutil.rmtree(out, ignore_errors=True)
    with SummaryWriter(out / "runs" / "noisy_shard") as writer:
        for epoch in range(EPOCHS):
            writer.add_scalar("train/loss", hist["train_loss"][epoch], epoch)
            writer.add_scalar("val/loss", hist["val_loss"][epoch], epoch)
            writer.add_scalar("lr", hist["lr"][epoch], epoch)
            writer.add_scalar("epoch", epoch, epoch)
    write_config(out, "torch", **TORCH_SETTINGS)


def make_mlflow() -> None:
    """The torch loop's history logged with mlflow to its default SQLite store."""
    import subprocess

    hist = torch_run()["history"]
    out = HERE / "mlflow" / "noisy_shard"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    code = ("import json, sys, mlflow\n"
            "hist = json.loads(sys.argv[1])\n"
            "mlflow.set_tracking_uri('sqlite:///mlflow.db')\n"
            "with mlflow.start_run(run_name='noisy_shard'):\n"
            "    mlflow.log_params(json.loads(sys.argv[2]))\n"
            "    for e in range(len(hist['lr'])):\n"
            "        mlflow.log_metrics({'train_loss': hist['train_loss'][e],"
            " 'val_loss': hist['val_loss'][e], 'lr': hist['lr'][e], 'epoch': e}, step=e)\n")
    subprocess.run([sys.executable, "-c", code, json.dumps(hist), json.dumps(TORCH_SETTINGS)],
                   check=True, cwd=out, capture_output=True)
    write_config(out, "torch", **TORCH_SETTINGS)


def make_wandb() -> None:
    """The torch loop's history logged with wandb in offline mode (the .wandb log is kept)."""
    import subprocess

    hist = torch_run()["history"]
    out = HERE / "wandb" / "noisy_shard"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    code = ("import json, sys, wandb\n"
            "hist = json.loads(sys.argv[1])\n"
            "run = wandb.init(project='samples', name='noisy_shard',"
            " config=json.loads(sys.argv[2]))\n"
            "for e in range(len(hist['lr'])):\n"
            "    run.log({'train_loss': hist['train_loss'][e], 'val_loss': hist['val_loss'][e],"
            " 'lr': hist['lr'][e], 'epoch': e})\n"
            "run.finish()\n")
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "WANDB_MODE": "offline", "WANDB_SILENT": "true"}
        subprocess.run([sys.executable, "-c", code, json.dumps(hist),
                        json.dumps(TORCH_SETTINGS)], check=True, cwd=tmp, env=env,
                       capture_output=True)
        run_dir = next(Path(tmp, "wandb").glob("offline-run-*"))
        target = out / "wandb" / run_dir.name
        target.mkdir(parents=True)
        shutil.copy(next(run_dir.glob("*.wandb")), target)
    write_config(out, "torch", **TORCH_SETTINGS)


PARTS = {"torch_checkpoint": make_torch_checkpoint, "history_json": make_history_json,
         "keras_csv": make_keras_csv, "lightning_csv": make_lightning_csv,
         "hf_trainer_state": make_hf_trainer_state, "tfevents": make_tfevents,
         "mlflow": make_mlflow, "wandb": make_wandb, "text_log": make_keras_csv}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("parts", nargs="*", choices=[*PARTS, []], default=[])
    for part in parser.parse_args(argv).parts or list(PARTS):
        print(f"writing the {part} sample", file=sys.stderr)
        PARTS[part]()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
