"""Write ``ultralytics.json``: the ``lr/pg*`` values the real Ultralytics trainer logs.

Runs the real ``BaseTrainer._do_train`` of an installed or unpacked ``ultralytics`` wheel (the
loop, its warm-up, ``_setup_scheduler``, ``build_optimizer``, ``_build_train_pipeline``) on a
stand-in model and data loader: only the model, the data, validation and file writing are
replaced. ``save_metrics`` receives ``self.lr``, the dict the trainer writes to results.csv.

    pip download ultralytics==8.4.190 --no-deps -d /tmp/ul && cd /tmp/ul && unzip -q *.whl
    .venv/bin/python tests/replay/data/make_ultralytics.py /tmp/ul

``cv2`` (imported at package level, unused by this loop) is stubbed when absent, and a missing
``torchvision`` reads as version 0.0.0 (only its version is read at import).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.metadata
import json
import sys
from pathlib import Path
from types import SimpleNamespace
from unittest import mock

#: (kind, epochs, batches per epoch, optimizer, overrides)
CASES = [
    ("linear", 25, 55, "SGD", {}),
    ("linear", 10, 59, "auto", {}),
    ("cos", 12, 40, "SGD", {"lr0": 0.02, "lrf": 0.05}),
    ("cos", 8, 7, "AdamW", {"lr0": 0.001, "warmup_epochs": 2.5, "warmup_bias_lr": 0.05}),
    ("linear", 6, 30, "SGD", {"warmup_epochs": 0.0}),
    ("linear", 3, 100, "SGD", {"warmup_epochs": 5.0}),
]


class _StubCv2(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path, target=None):
        return importlib.machinery.ModuleSpec(name, self) if name == "cv2" else None

    def create_module(self, spec):
        return mock.MagicMock(name=spec.name)

    def exec_module(self, module):
        pass


def _stand_ins(nb: int) -> tuple[type, type]:
    """A model with a conv (weight, bias) and a norm layer, and a loader of ``nb`` batches."""
    import torch
    from torch import nn

    class Model(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(1, 2, 1)
            self.bn = nn.BatchNorm2d(2)
            self.stride = torch.tensor([32.0])
            self.args = SimpleNamespace()
            self.criterion = None

        def forward(self, batch):
            loss = self.bn(self.conv(batch["img"])).pow(2).mean()
            return loss, {"box": loss.detach()}

    class Loader:
        dataset = range(nb * 8)
        sampler = range(nb * 8)
        batch_size = 8
        num_workers = 0
        drop_last = False

        def __len__(self):
            return nb

        def __iter__(self):
            return iter({"img": torch.ones(8, 1, 2, 2), "cls": torch.zeros(8)} for _ in range(nb))

        def reset(self):
            pass

    return Model, Loader


def _record(case) -> dict:
    import torch
    from ultralytics.cfg import get_cfg
    from ultralytics.engine.trainer import BaseTrainer
    from ultralytics.utils import DEFAULT_CFG

    kind, epochs, nb, optimizer, overrides = case
    Model, Loader = _stand_ins(nb)

    class Trainer(BaseTrainer):
        def __init__(self) -> None:  # no run folder, no dataset check
            self.args = get_cfg(DEFAULT_CFG, {"epochs": epochs, "cos_lr": kind == "cos",
                                              "optimizer": optimizer, "batch": 8, "plots": False,
                                              "amp": False, "close_mosaic": 0, "val": False,
                                              "workers": 0, **overrides})
            self.device = torch.device("cpu")
            self.world_size, self.epochs, self.start_epoch = 1, epochs, 0
            self.batch_size = self.args.batch
            self.model, self.data = Model(), {"nc": 2, "train": "", "val": ""}
            self.callbacks, self.optimizer, self.ema, self.lf = {}, None, None, None
            self.validator, self.metrics, self.plot_idx, self.loss_names = None, None, [], ()
            self.tloss, self.nan_recovery_attempts, self.resume = None, 0, False
            self.save_dir, self.stop, self.fitness, self.best_fitness = Path("."), False, None, None
            self.logged: list[dict[str, float]] = []
            self.groups: list[str] = []

        def _nothing(self, *args, **kwargs):
            return None

        setup_model = set_model_attributes = set_class_weights = final_eval = _nothing

        def get_dataloader(self, *args, **kwargs):
            return Loader()

        def get_validator(self):
            return SimpleNamespace(metrics=SimpleNamespace(keys=[]), dataloader=None)

        def label_loss_items(self, loss_items=None, prefix="train"):
            return [] if loss_items is None else {}

        def preprocess_batch(self, batch):
            return batch

        def validate(self):
            return {}, 0.0

        def save_metrics(self, metrics):
            self.logged.append({k: v for k, v in metrics.items() if k.startswith("lr/")})
            self.groups = [g.get("param_group", "") for g in self.optimizer.param_groups]

        def save_model(self):
            return False

    trainer = Trainer()
    trainer._do_train()
    names = sorted(trainer.logged[0])
    return {"kind": kind, "epochs": epochs, "nb": nb, "optimizer": optimizer,
            "args": {k: getattr(trainer.args, k) for k in
                     ("lr0", "lrf", "warmup_epochs", "warmup_bias_lr", "optimizer")},
            "groups": trainer.groups,
            "lr": {name: [row[name] for row in trainer.logged] for name in names}}


def main() -> None:
    wheel = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/ul")
    sys.path.insert(0, str(wheel))
    try:
        import cv2  # noqa: F401
    except ImportError:
        sys.meta_path.append(_StubCv2())
    version = importlib.metadata.version

    def _version(name: str) -> str:
        try:
            return version(name)
        except importlib.metadata.PackageNotFoundError:
            return "0.0.0"

    importlib.metadata.version = _version
    import ultralytics

    out = {"ultralytics": ultralytics.__version__, "cases": [_record(c) for c in CASES]}
    path = Path(__file__).with_name("ultralytics.json")
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
