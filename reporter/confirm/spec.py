"""Plain data of a confirmation: the task, what one trial trains with, and what it measured.

Nothing here imports torch; :mod:`reporter.confirm.proxy` and :mod:`reporter.confirm.entry`
do, when a trial runs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from replay import (
    ConstantSchedule,
    CosineAnnealingLR,
    EarlyStopping,
    ReduceLROnPlateau,
    StepLR,
    UltralyticsSchedule,
)

SCHEDULER_SPECS = (ConstantSchedule, CosineAnnealingLR, ReduceLROnPlateau, StepLR,
                   UltralyticsSchedule)

PROXY_DESCRIPTION = (
    "Built-in proxy task, not your model: a {num_layers}-layer LSTM (hidden size {hidden_size}) "
    "with a Linear-ReLU-Linear read-out ({head_size} ReLU units) reads {seq_len} samples of a "
    "unit-amplitude sine wave (random phase, period {period_min:g} to {period_max:g} steps, "
    "input noise sd {noise:g}) and predicts the next value, trained with MSE loss and Adam "
    "(batch {batch_size}) on {n_train} windows and validated on {n_val} others; each seed "
    "draws its own data and initial weights. Predicting a constant scores an MSE of about 0.5, "
    "the variance of the target. The proxy shares the learning rate, the LR schedule, early "
    "stopping and gradient clipping with your run, so it shows how those settings behave on "
    "a small recurrent regression; it cannot show how your own model and data would respond."
)

ENTRY_DESCRIPTION = (
    "Your own model, not a proxy: every measurement comes from the model, data and loss "
    "that your entry point {entry} returns for each seed ({model}, {parameters:,} trainable "
    "parameters, optimizer {optimizer}), trained {span}{steps} on {device} "
    "and validated on your val_loader after every epoch; each setting changes only the "
    "learning rate, the LR schedule, early stopping and gradient clipping."
)


@dataclass(frozen=True)
class ProxyTask:
    """The built-in proxy: LSTM sequence-to-value regression of a unit-amplitude sine.

    Each sample is a window of ``seq_len`` values ``sin(2π t / P + φ) + ε`` (``t`` = 0, 1, …;
    ``φ`` uniform in [0, 2π); ``P`` uniform in [``period_min``, ``period_max``] steps;
    ``ε`` Gaussian with sd ``noise``), and its target is the next clean value. A uniform
    phase makes the target's variance exactly 0.5, the MSE of a constant prediction.
    The model is ``LSTM → Linear(hidden_size, head_size) → ReLU → Linear(head_size, 1)``
    (a plain ``Linear`` read-out when ``head_size`` is 0). The narrow ReLU read-out is
    what lets a large update end in a lasting collapse: once every ReLU unit is inactive
    on every input, the output is the last bias, nothing upstream gets a gradient, and
    the loss stays at the target's variance.
    """

    n_train: int = 1024
    n_val: int = 256
    seq_len: int = 24
    period_min: float = 12.0
    period_max: float = 40.0
    noise: float = 0.0
    hidden_size: int = 32
    num_layers: int = 1
    head_size: int = 8
    batch_size: int = 16

    kind = "proxy"

    def describe(self, epochs: int | None = None) -> str:
        """:data:`PROXY_DESCRIPTION` filled in with this task's numbers.

        ``epochs`` is accepted for symmetry with :meth:`EntryTask.describe`; the proxy text
        does not name it.
        """
        return PROXY_DESCRIPTION.format(**self.__dict__)

    def parameters(self) -> dict[str, Any]:
        """The task's fields, JSON-safe."""
        return asdict(self)

    def train(self, spec: TrialSpec, seed: int, *, name: str = "") -> SeedCurve:
        """Train the proxy under ``spec`` with ``seed`` (imports torch)."""
        from reporter.confirm.proxy import train_trial

        return train_trial(spec, seed, task=self, name=name)


@dataclass(frozen=True)
class EntryTask:
    """The user's own model, built by an entry point for every trial × seed.

    Made by :func:`reporter.confirm.entry.load_entry`, which calls the entry point once
    (seed 0) to check what it returns and to fill in the fields after ``function``.
    ``entry`` is the text as the user gave it; ``path`` the absolute file
    (``path/to/file.py:function``) or the module name (``package.module:function``);
    ``root`` the folder put on ``sys.path`` before importing it, so a worker process can
    load the same function from this record alone. ``model`` is the model's class name,
    ``trainable_parameters`` its trainable parameter count, ``optimizer`` the optimizer's
    class name; ``max_epochs`` and ``max_steps_per_epoch`` are the caps the entry point asked
    for (None: none). ``device`` is where the model trains (``"cpu"`` or ``"cuda"``).
    ``resume_epoch`` is K when every trial rewinds to a checkpoint saved after K epochs
    (None: trials train from scratch); ``checkpoint`` is the file given with ``--resume``
    (absolute; empty when the entry point's own ``resume`` provides the state) and
    ``checkpoint_sha256`` its content hash, ``resume_from`` how the report names it.
    """

    entry: str
    path: str
    function: str
    root: str
    is_file: bool
    model: str = ""
    trainable_parameters: int = 0
    optimizer: str = "Adam"
    max_epochs: int | None = None
    max_steps_per_epoch: int | None = None
    device: str = "cpu"
    resume_epoch: int | None = None
    checkpoint: str = ""
    checkpoint_sha256: str = ""
    resume_from: str = ""

    kind = "entry"

    def describe(self, epochs: int | None = None) -> str:
        """:data:`ENTRY_DESCRIPTION` for trials of at most ``epochs`` epochs (None: unknown)."""
        k = self.resume_epoch or 0
        caps = [n for n in (None if epochs is None else epochs - k, self.max_epochs)
                if n is not None]
        most = min(caps) if caps else "the setting's"
        span = f"for up to {most} epochs per setting"
        if self.resume_epoch is not None:
            span = f"from the checkpoint saved after {k} epochs ({self.resume_from}), {span}"
        steps = self.max_steps_per_epoch
        return ENTRY_DESCRIPTION.format(
            entry=self.entry,
            model=self.model,
            parameters=self.trainable_parameters,
            optimizer=self.optimizer,
            span=span,
            steps=f" (at most {steps} training batches per epoch)" if steps else "",
            device="the GPU (cuda)" if self.device == "cuda" else "the CPU",
        )

    def parameters(self) -> dict[str, Any]:
        """The task's fields, JSON-safe."""
        return asdict(self)

    def train(self, spec: TrialSpec, seed: int, *, name: str = "") -> SeedCurve:
        """Train the entry point's model under ``spec`` with ``seed`` (imports torch)."""
        from reporter.confirm.entry import train_trial

        return train_trial(spec, seed, task=self, name=name)


Task = ProxyTask | EntryTask


@dataclass(frozen=True)
class TrialSpec:
    """The training settings of one trial, in the replay package's terms.

    ``scheduler`` is a replay spec (``ReduceLROnPlateau``, ``CosineAnnealingLR``,
    ``StepLR``, ``ConstantSchedule``) or None (no scheduler); the trainer builds the torch
    scheduler of the same name with the same parameters, stepping a plateau scheduler
    with the validation loss after each epoch and the others once per epoch.
    ``early_stopping`` is a ``replay.EarlyStopping`` watching the validation loss, or None.
    ``clip_grad_norm`` is the ``max_norm`` of ``torch.nn.utils.clip_grad_norm_`` (None: no
    clipping; the norm is still measured). ``epochs`` is the most epochs the trial trains.
    ``start_epoch`` is the first epoch trained (0-based): a trial that rewinds to a checkpoint
    saved after K epochs has ``start_epoch`` K and trains epochs K to ``epochs - 1``, its
    scheduler and early stopping positioned at K. ``history`` holds the run's logged
    validation losses of epochs 0 to K - 1, which position a plateau scheduler and early
    stopping (empty: those two start afresh at the checkpoint).
    ``warmup_epochs`` W > 0 lays a linear warm-up over the first W epochs (epoch e trains at
    ``(e + 1) / W`` of the scheduler's LR: ``replay.warmup_factor``); ``zclip`` is a
    ``replay.ZClip`` applied to every step's gradient norm instead of ``clip_grad_norm_``
    (None: none). A trainer that cannot run them must refuse the spec, not ignore them.
    """

    learning_rate: float
    scheduler: Any = None
    early_stopping: EarlyStopping | None = None
    clip_grad_norm: float | None = None
    epochs: int = 50
    start_epoch: int = 0
    history: tuple[float, ...] = ()
    warmup_epochs: int = 0
    zclip: Any = None

    def __post_init__(self) -> None:
        if not self.learning_rate > 0:
            raise ValueError(f"TrialSpec learning_rate must be > 0, got {self.learning_rate!r}")
        if self.scheduler is not None and not isinstance(self.scheduler, SCHEDULER_SPECS):
            names = ", ".join(cls.__name__ for cls in SCHEDULER_SPECS)
            raise TypeError(
                f"TrialSpec scheduler must be one of {names} or None, "
                f"got {type(self.scheduler).__name__}"
            )
        if self.early_stopping is not None and not isinstance(self.early_stopping, EarlyStopping):
            raise TypeError(
                "TrialSpec early_stopping must be a replay.EarlyStopping or None, "
                f"got {type(self.early_stopping).__name__}"
            )
        if self.clip_grad_norm is not None and not self.clip_grad_norm > 0:
            raise ValueError(f"TrialSpec clip_grad_norm must be > 0, got {self.clip_grad_norm!r}")
        if int(self.epochs) != self.epochs or self.epochs < 1:
            raise ValueError(f"TrialSpec epochs must be a positive int, got {self.epochs!r}")
        if not 0 <= self.start_epoch < self.epochs:
            raise ValueError(f"TrialSpec start_epoch must be in [0, epochs), got "
                             f"{self.start_epoch!r} with epochs {self.epochs!r}")
        if self.history and len(self.history) != self.start_epoch:
            raise ValueError(f"TrialSpec history must hold start_epoch ({self.start_epoch}) "
                             f"values, got {len(self.history)}")


@dataclass(frozen=True)
class SeedCurve:
    """What one trial measured for one seed, one entry per epoch trained.

    Index ``i`` of every array is epoch ``i`` (0-based): ``train_loss[i]`` is the mean
    training MSE over the epoch's batches, ``val_loss[i]`` the validation MSE after it,
    ``lr[i]`` the LR the optimizer used during it, ``grad_norm[i]`` the largest
    pre-clipping total gradient norm (L2) among its steps and ``clip_fraction[i]`` the share
    of its steps that ``clip_grad_norm_`` scaled down (0 without clipping).
    ``stopped_at`` is the index of the last epoch trained when early stopping ended the
    trial (None: it ran all epochs or diverged) and ``stop_reason`` the callback's reason
    (empty when it did not stop); ``diverged`` is True when a loss became
    NaN or infinite, which ends the trial after that epoch. ``seconds`` is its wall time.
    ``start_epoch`` is the epoch index 0 stands for (K for a trial rewound to a checkpoint
    saved after K epochs: index ``i`` is then epoch K + i; ``stopped_at`` counts the same way).
    """

    trial: str
    seed: int
    train_loss: np.ndarray
    val_loss: np.ndarray
    lr: np.ndarray
    grad_norm: np.ndarray
    clip_fraction: np.ndarray
    stopped_at: int | None
    stop_reason: str
    diverged: bool
    seconds: float
    start_epoch: int = 0

    @property
    def epochs_trained(self) -> int:
        return len(self.train_loss)

    def to_dict(self) -> dict:
        return {
            "trial": self.trial,
            "seed": self.seed,
            "train_loss": _floats(self.train_loss),
            "val_loss": _floats(self.val_loss),
            "lr": _floats(self.lr),
            "grad_norm": _floats(self.grad_norm),
            "clip_fraction": _floats(self.clip_fraction),
            "stopped_at": self.stopped_at,
            "stop_reason": self.stop_reason,
            "diverged": self.diverged,
            "seconds": self.seconds,
            "start_epoch": self.start_epoch,
        }


@dataclass(frozen=True)
class TrialResult:
    """One trial's spec and its curves, one per seed, in seed order."""

    name: str
    spec: TrialSpec
    runs: tuple[SeedCurve, ...]

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "spec": _spec_dict(self.spec),
            "runs": [run.to_dict() for run in self.runs],
        }


@dataclass(frozen=True)
class ConfirmationResult:
    """Every trial × seed of one confirmation, with the task that ran them.

    ``trials`` keeps the order the trials were given in; ``seconds`` is the wall time of the
    whole confirmation (process start-up included), ``workers`` how many processes ran it.
    """

    trials: dict[str, TrialResult]
    seeds: tuple[int, ...]
    task: Task
    description: str
    seconds: float
    workers: int = 1
    torch_version: str = ""

    def to_dict(self) -> dict:
        return {
            "task": self.task.kind,
            "task_parameters": self.task.parameters(),
            "description": self.description,
            "seeds": list(self.seeds),
            "seconds": self.seconds,
            "workers": self.workers,
            "torch_version": self.torch_version,
            "trials": {name: trial.to_dict() for name, trial in self.trials.items()},
        }


def _floats(values: np.ndarray) -> list[float | None]:
    """JSON-safe list: NaN and infinities become None."""
    return [float(v) if np.isfinite(v) else None for v in np.asarray(values, dtype=float)]


def _spec_dict(spec: TrialSpec) -> dict:
    def part(obj: Any) -> dict | None:
        if obj is None:
            return None
        return {"kind": type(obj).__name__, **obj.__dict__}

    return {
        "learning_rate": spec.learning_rate,
        "scheduler": part(spec.scheduler),
        "early_stopping": part(spec.early_stopping),
        "clip_grad_norm": spec.clip_grad_norm,
        "epochs": spec.epochs,
        "start_epoch": spec.start_epoch,
    }
