"""User entry points: confirmation trainings of your own model instead of the proxy.

``reporter analyze RUN --confirm ENTRY`` names a function as ``path/to/file.py:function`` or
``package.module:function`` (a module is imported with the current folder on ``sys.path``,
a file with its own folder there, as ``python path/to/file.py`` would). reporter calls it
once per trial × seed as ``function(seed)``, after seeding torch, numpy's global generator
and ``random`` with that seed, and trains what it returns: a dict, or any object with these
attributes.

=======================  ==================================================================
``model``                a fresh ``torch.nn.Module`` (required)
``train_loader``         re-iterable of ``(inputs, targets)`` batches, one pass per epoch,
                         e.g. a ``DataLoader`` or a list (required)
``val_loader``           the same, for the validation loss after every epoch (required)
``loss_fn``              ``loss_fn(outputs, targets)`` → a one-element tensor (required)
``optimizer``            ``optimizer(params, lr)`` → a torch optimizer; default
                         ``torch.optim.Adam(params, lr=lr)``
``forward``              ``forward(model, inputs)`` → outputs; default ``model(inputs)``
``max_epochs``           at most this many epochs per trial (int); default: the setting's
``max_steps_per_epoch``  at most this many training batches per epoch (int); default: all
``resume``               a checkpoint to rewind to (see below): a path to a ``torch.save``
                         file, or ``resume(model, optimizer)`` that loads your own; default:
                         none, every trial trains from scratch
``resume_epoch``         K, the number of epochs trained when the checkpoint was saved (int)
=======================  ==================================================================

Each trial sets the learning rate, builds the real torch scheduler from the setting's
replay spec (``ReduceLROnPlateau`` stepped on the validation loss), clips with
``clip_grad_norm_`` and stops through ``replay.early_stop``: the loop of
:mod:`reporter.confirm.loop`, the same one the proxy runs. The model and every batch go to
the device of ``--device`` (``auto``: the GPU when ``torch.cuda.is_available()``, else the
CPU; ``cuda`` without one is a usage error), one CPU thread per trial. The validation loss
of an epoch is the mean of the batch losses weighted by batch size; the training loss the
plain mean of the step losses. A ``train_loader`` whose sampler has ``set_epoch(epoch)``
(``DistributedSampler``, or your own) is told each epoch's index before it is iterated.

Rewinding to a checkpoint (the practitioner's experiment: go back to before the spike and
re-run the window under each setting). The checkpoint comes from ``--resume FILE`` or the
entry point's ``resume``; K from ``--resume-epoch K`` or ``resume_epoch`` (the flags win).
A file is read with ``torch.load(FILE, map_location=device, weights_only=True)`` and holds
the model's state dict under ``model``, ``model_state_dict`` or ``state_dict`` and,
optionally, the optimizer's under ``optimizer`` or ``optimizer_state_dict`` (without it the
optimizer starts afresh), or is the model's bare state dict. K counts epochs: the
checkpoint was saved after epochs 0 … K-1 (0-based) and every trial trains epochs K, K+1,
… under its setting: the weights and optimizer state loaded, the optimizer's learning rates
set back to the setting's (a loaded state carries the run's), its scheduler stepped K times
(a plateau scheduler with the run's logged validation losses of epochs 0 … K-1, its state
otherwise unknown), early stopping counting from the same logged losses. How far each trial
trains after the spike is chosen by :mod:`reporter.confirm.rewind` (through the run's logged
end, and at least as many epochs after the spike as from the checkpoint up to it) and stated
in the report, with whether the failure recurred within that horizon.

For other parts of reporter (a remedy that rewinds, e.g. rewind-and-skip): a trial rewinds
when its :class:`~reporter.confirm.spec.TrialSpec` has ``start_epoch`` K > 0 (``history``:
the run's logged validation losses of epochs 0 … K-1, or empty); it then needs an
:class:`EntryTask` with ``resume_epoch`` set (``load_entry`` checked its checkpoint), and its
:class:`~reporter.confirm.spec.SeedCurve` has ``start_epoch`` K (index i is epoch K + i).

Example (``samples/entry_point/my_model.py`` is a complete one)::

    def build(seed):
        x, y = make_data(seed)
        return {
            "model": torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(),
                                         torch.nn.Linear(16, 1)),
            "train_loader": DataLoader(TensorDataset(x[:256], y[:256]), batch_size=32,
                                       shuffle=True),
            "val_loader": [(x[256:], y[256:])],
            "loss_fn": torch.nn.functional.mse_loss,
            "max_epochs": 10,
        }

:func:`load_entry` imports the function and calls it once (seed 0) to check what it
returns; every problem (no such file or module, no such function, the function raised, a
missing or wrong-typed key) is a :class:`~reporter.errors.UsageError` that names the entry
point. Errors raised by your code during a trial become one too, with the trial, seed and
the file and line they came from.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.machinery
import importlib.util
import os
import random
import sys
import time
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from reporter.confirm.spec import EntryTask, SeedCurve, TrialSpec
from reporter.errors import ReporterError, UsageError, suggest
from reporter.report.filters import display_path

__all__ = ["ENTRY_KEYS", "checkpoint_loader", "load_entry", "resolve_device", "train_trial"]

REQUIRED_KEYS = ("model", "train_loader", "val_loader", "loss_fn")
OPTIONAL_KEYS = ("optimizer", "forward", "max_epochs", "max_steps_per_epoch")
ENTRY_KEYS = REQUIRED_KEYS + OPTIONAL_KEYS + ("resume", "resume_epoch")
FORM = "path/to/file.py:function or package.module:function"
DEVICES = ("auto", "cpu", "cuda")
MODEL_STATE_KEYS = ("model", "model_state_dict", "state_dict")
OPTIMIZER_STATE_KEYS = ("optimizer", "optimizer_state_dict")

_FUNCTIONS: dict[tuple[str, str, str], Callable[[int], Any]] = {}


def load_entry(
    text: str,
    *,
    device: str = "auto",
    resume: str | os.PathLike | None = None,
    resume_epoch: int | None = None,
) -> EntryTask:
    """Import the entry point ``text``, call it with seed 0 and check what it returns.

    ``device`` is ``auto``, ``cpu`` or ``cuda`` (see :func:`resolve_device`); ``resume`` a
    checkpoint file and ``resume_epoch`` K (``--resume``, ``--resume-epoch``), which win over
    the entry point's own ``resume`` and ``resume_epoch``. A checkpoint is loaded once into
    seed 0's model and optimizer here, so a mismatch fails before any training.
    Returns the :class:`EntryTask` to pass to ``run_confirmation(..., task=...)``; a worker
    process re-loads the function from it. Raises :class:`UsageError` naming the entry point
    and the problem.
    """
    import torch

    where = resolve_device(device)
    task = _parse(text)
    parts = _build(task, _function(task), seed=0)
    parts.model.to(where)
    params = [p for p in parts.model.parameters() if p.requires_grad]
    optimizer = _user_call(task, "optimizer(params, lr)", lambda: parts.optimizer(params, 1e-3))
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise _error(task, f"optimizer(params, lr) returned {type(optimizer).__name__}, "
                           "not a torch.optim.Optimizer")
    rewind = _check_resume(task, parts, optimizer, resume, resume_epoch, where)
    return EntryTask(
        entry=task.entry,
        path=task.path,
        function=task.function,
        root=task.root,
        is_file=task.is_file,
        model=type(parts.model).__name__,
        trainable_parameters=sum(p.numel() for p in params),
        optimizer=type(optimizer).__name__,
        max_epochs=parts.max_epochs,
        max_steps_per_epoch=parts.max_steps_per_epoch,
        device=where,
        **rewind,
    )


def resolve_device(device: str) -> str:
    """``cpu`` or ``cuda`` for ``--device``: ``auto`` is the GPU when torch sees one.

    ``cuda`` on a machine without one is a :class:`UsageError` (exit code 2).
    """
    if device not in DEVICES:
        raise UsageError(f"--device must be one of {', '.join(DEVICES)}, got {device!r}",
                         hint=suggest(device, DEVICES))
    if device == "cpu":
        return "cpu"
    import torch

    if torch.cuda.is_available():
        return "cuda"
    if device == "cuda":
        raise UsageError(f"--device cuda: torch {torch.__version__} sees no CUDA device here "
                         "(torch.cuda.is_available() is False)",
                         hint="use --device auto or --device cpu to train on the CPU")
    return "cpu"


def checkpoint_loader(path: str | os.PathLike, device: str) -> Callable[[Any, Any], str]:
    """``load(model, optimizer)`` for a ``torch.save`` checkpoint file (formats above).

    ``load`` returns what it restored: ``"weights and optimizer state"`` or ``"weights"``.
    """

    def load(model: Any, optimizer: Any) -> str:
        import torch

        state = torch.load(path, map_location=device, weights_only=True)
        model_state, optimizer_state = _split_checkpoint(state)
        model.load_state_dict(model_state)
        if optimizer_state is None:
            return "weights"
        optimizer.load_state_dict(optimizer_state)
        return "weights and optimizer state"

    load.path = str(path)  # type: ignore[attr-defined]  # what the trial cache hashes
    return load


def _split_checkpoint(state: Any) -> tuple[Mapping, Mapping | None]:
    """The model's and the optimizer's state dicts in a loaded checkpoint."""
    import torch

    if not isinstance(state, Mapping):
        raise ValueError(f"the checkpoint holds a {type(state).__name__}, not a dict")
    model_key = next((k for k in MODEL_STATE_KEYS if isinstance(state.get(k), Mapping)), None)
    if model_key is None:
        if state and all(isinstance(v, torch.Tensor) for v in state.values()):
            return state, None  # a bare state dict of the model
        raise ValueError(f"the checkpoint has no model state dict under "
                         f"{', '.join(map(repr, MODEL_STATE_KEYS))} (its keys: "
                         f"{', '.join(map(repr, list(state)[:8]))})")
    optim_key = next((k for k in OPTIMIZER_STATE_KEYS if isinstance(state.get(k), Mapping)),
                     None)
    return state[model_key], state[optim_key] if optim_key else None


def _check_resume(task: EntryTask, parts: Any, optimizer: Any, resume: Any,
                  resume_epoch: int | None, device: str) -> dict[str, Any]:
    """The EntryTask fields of a rewind (empty without one), after one trial load."""
    if resume is None and parts.resume is None:
        if resume_epoch is not None:
            raise UsageError(f"--resume-epoch {resume_epoch} needs a checkpoint: --resume FILE, "
                             f"or 'resume' in what {task.entry} returns")
        return {}
    epoch = resume_epoch if resume_epoch is not None else parts.resume_epoch
    if epoch is None:
        raise _error(task, "the checkpoint's epoch is unknown: pass --resume-epoch K, or "
                           "return 'resume_epoch' (K, the epochs trained when it was saved)")
    if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 1:
        raise _error(task, f"the resume epoch must be a positive int, got {epoch!r}")
    fields: dict[str, Any] = {"resume_epoch": epoch}
    if resume is not None:
        path = Path(resume).expanduser().resolve()
        if not path.is_file():
            raise UsageError(f"--resume {resume}: no such file")
        fields.update(checkpoint=str(path), checkpoint_sha256=_sha256(path))
        load = checkpoint_loader(path, device)
        name = f"--resume {display_path(resume, os.getcwd())}"
    else:
        load, name = parts.resume, f"the 'resume' that {task.function}() returns"
        if Path(getattr(load, "path", "")).is_file():  # a path: its content keys the cache
            fields["checkpoint_sha256"] = _sha256(Path(load.path))
    try:
        restored = load(parts.model, optimizer)
    except Exception as err:  # a checkpoint that does not fit: the user's to fix
        raise _error(task, f"loading the checkpoint ({name}) raised {type(err).__name__}: "
                           f"{_first_line(err)}") from err
    what = restored if isinstance(restored, str) else "loaded by your resume()"
    fields["resume_from"] = f"{name}, {what}"
    return fields


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else ""


def train_trial(spec: TrialSpec, seed: int, *, task: EntryTask, name: str = "") -> SeedCurve:
    """Train what ``task``'s entry point returns for ``seed`` under ``spec``.

    Same spec and seed give the same numbers in any process, as long as the entry point
    itself is deterministic for a seed (reporter seeds torch, numpy and ``random`` first).
    """
    from reporter.confirm.loop import one_thread, train_loop

    function = _function(task)
    with one_thread():
        start = time.perf_counter()
        parts = _build(task, function, seed)
        parts.device = task.device
        if task.checkpoint:
            parts.resume = checkpoint_loader(task.checkpoint, task.device)
        where = f"trial {name!r}, seed {seed}" if name else f"seed {seed}"
        return _user_call(
            task, f"training ({where})",
            lambda: train_loop(spec, parts, seed=seed, name=name, start=start),
        )


def _parse(text: str) -> EntryTask:
    """Split ``text`` into where the function lives and its name; nothing is imported."""
    target, sep, function = text.rpartition(":")
    if not sep or not target or not function:
        raise UsageError(f"entry point {text!r} is not of the form {FORM}")
    if not function.isidentifier():
        raise UsageError(f"entry point {text!r}: {function!r} is not a Python function name")
    if target.endswith(".py") or "/" in target or os.sep in target:
        path = Path(target).expanduser().resolve()
        if not path.is_file():
            raise UsageError(f"entry point {text!r}: no such file {path}")
        return EntryTask(text, str(path), function, str(path.parent), is_file=True)
    if not all(part.isidentifier() for part in target.split(".")):
        raise UsageError(f"entry point {text!r}: {target!r} is neither a .py file nor a "
                         f"module name (expected {FORM})")
    return EntryTask(text, target, function, os.getcwd(), is_file=False)


def _function(task: EntryTask) -> Callable[[int], Any]:
    """The entry point's function, imported once per process."""
    key = (task.path, task.function, task.root)
    if key not in _FUNCTIONS:
        module = _import(task)
        function = getattr(module, task.function, None)
        if function is None:
            names = [n for n in vars(module) if not n.startswith("_")]
            raise _error(task, f"{_where(task)} has no function {task.function!r}",
                         hint=suggest(task.function, names))
        if not callable(function):
            raise _error(task, f"{task.function!r} in {_where(task)} is not callable "
                               f"(got {type(function).__name__})")
        _FUNCTIONS[key] = function
    return _FUNCTIONS[key]


def _import(task: EntryTask) -> Any:
    if task.root not in sys.path:
        sys.path.insert(0, task.root)
    if not task.is_file:
        try:
            return importlib.import_module(task.path)
        except ModuleNotFoundError as err:
            if err.name and (task.path == err.name or task.path.startswith(err.name + ".")):
                raise _error(task, f"no module named {err.name!r}",
                             hint=f"run from the folder that holds it, or give {FORM}") from err
            raise _raised(task, f"importing {task.path}", err) from err
        except Exception as err:  # the user's module: whatever it raises is theirs to read
            raise _raised(task, f"importing {task.path}", err) from err
    name = f"_reporter_entry_{Path(task.path).stem}"
    loader = importlib.machinery.SourceFileLoader(name, task.path)
    spec = importlib.util.spec_from_file_location(name, task.path, loader=loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look their module up here
    try:
        loader.exec_module(module)
    except Exception as err:  # the user's file: whatever it raises is theirs to read
        del sys.modules[name]
        raise _raised(task, f"importing {Path(task.path).name}", err) from err
    return module


def _build(task: EntryTask, function: Callable[[int], Any], seed: int) -> Any:
    """Seed everything, call the entry point and check its return value; a TrainParts."""
    import numpy as np
    import torch

    torch.manual_seed(seed)
    np.random.seed(seed)
    random.seed(seed)
    value = _user_call(task, f"calling it with seed {seed}", lambda: function(seed))
    return _parts(task, value)


def _parts(task: EntryTask, value: Any) -> Any:
    from torch import nn

    from reporter.confirm.loop import TrainParts

    if isinstance(value, Mapping):
        fields = {key: value[key] for key in ENTRY_KEYS if value.get(key) is not None}
        unknown = [str(key) for key in value if key not in ENTRY_KEYS]
    else:
        fields = {key: getattr(value, key) for key in ENTRY_KEYS
                  if getattr(value, key, None) is not None}
        unknown = []
    missing = [key for key in REQUIRED_KEYS if key not in fields]
    if missing:
        hints = [f"{key!r}: {suggest(key, ENTRY_KEYS)}" for key in unknown
                 if suggest(key, ENTRY_KEYS)]
        raise _error(task, f"returned {type(value).__name__} without "
                           f"{', '.join(map(repr, missing))}; it must give "
                           f"{', '.join(REQUIRED_KEYS)}",
                     hint="; ".join(hints) or None)
    if not isinstance(fields["model"], nn.Module):
        raise _error(task, f"'model' must be a torch.nn.Module, got "
                           f"{type(fields['model']).__name__}")
    for key in ("train_loader", "val_loader"):
        if not hasattr(fields[key], "__iter__") or isinstance(fields[key], (str, bytes)):
            raise _error(task, f"{key!r} must be an iterable of (inputs, targets) batches, "
                               f"got {type(fields[key]).__name__}")
    for key in ("loss_fn", "optimizer", "forward"):
        if key in fields and not callable(fields[key]):
            raise _error(task, f"{key!r} must be callable, got {type(fields[key]).__name__}")
    if isinstance(fields.get("resume"), (str, os.PathLike)):
        fields["resume"] = checkpoint_loader(fields["resume"], "cpu")
    elif "resume" in fields and not callable(fields["resume"]):
        raise _error(task, f"'resume' must be a checkpoint path or resume(model, optimizer), "
                           f"got {type(fields['resume']).__name__}")
    for key in ("max_epochs", "max_steps_per_epoch", "resume_epoch"):
        n = fields.get(key)
        if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
            raise _error(task, f"{key!r} must be a positive int, got {n!r}")
    return TrainParts(**fields)


def _user_call(task: EntryTask, doing: str, call: Callable[[], Any]) -> Any:
    """``call()``; an error raised in the user's code becomes a UsageError naming it."""
    try:
        return call()
    except ReporterError:
        raise
    except Exception as err:  # the user's code: whatever it raises is theirs to read
        raise _raised(task, doing, err) from err


def _raised(task: EntryTask, doing: str, err: BaseException) -> UsageError:
    """``entry point 'x': calling it with seed 0 raised ValueError: ... (file.py:12)``.

    The location is the innermost frame outside reporter and torch: the user's own line.
    """
    skip = [str(Path(__file__).parents[1])]
    if "torch" in sys.modules:
        skip.append(str(Path(sys.modules["torch"].__file__).parent))
    own = [f for f in traceback.extract_tb(err.__traceback__)
           if not any(f.filename.startswith(folder) for folder in skip)]
    where = f" ({Path(own[-1].filename).name}:{own[-1].lineno})" if own else ""
    return _error(task, f"{doing} raised {type(err).__name__}: {err}{where}")


def _error(task: EntryTask, what: str, *, hint: str | None = None) -> UsageError:
    return UsageError(f"entry point {task.entry!r}: {what}", hint=hint)


def _where(task: EntryTask) -> str:
    return Path(task.path).name if task.is_file else f"module {task.path}"
