"""The training history stored in a torch checkpoint (formats.md §9).

Loaded with ``torch.load(path, weights_only=True, map_location="cpu")``, never a plain
unpickle, with a fixed allowlist of numpy types (scalars from ``np.mean``, arrays) under both
their numpy 2 and numpy 1 names. The history is the ``history`` entry (or ``log``,
``metrics``…) or the ``train_losses``/``val_losses``/``lrs``-style lists beside the weights;
tensors become floats. torch is imported inside this module's functions only.
"""

from __future__ import annotations

import re
import struct
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reporter.errors import LogFormatError, MissingDependencyError
from reporter.ingest._history import WRAPPER_KEYS, HistoryShapeError, history_points
from reporter.ingest._sniff import head
from reporter.ingest._table import finish_run

ID = "torch_checkpoint"
SUFFIXES = (".pt", ".pth", ".ckpt", ".tar", ".bin")
_LEGACY_MAGIC = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19"
# What torch.load(weights_only=True) lets through from a damaged file besides its own
# UnpicklingError: its unpickler indexes the stack and memo and unpacks bytes without checks
# (IndexError, KeyError, struct.error, EOFError…), looks up a damaged codec name
# (LookupError); the zip reader raises RuntimeError.
_DAMAGED = (RuntimeError, EOFError, ValueError, OSError, struct.error, LookupError, TypeError,
            AttributeError, OverflowError)
_UNPICKLER_SAYS = re.compile(r"WeightsUnpickler error: ([^\n]*)")
_UNSUPPORTED = re.compile(r"GLOBAL (\S+) was not an allowed global")
_WEIGHT_KEYS = frozenset({"model", "state_dict", "model_state_dict", "optimizer",
                          "optimizer_state_dict", "scheduler", "lr_scheduler", "ema",
                          "optimizer_states", "lr_schedulers", "callbacks", "loops"})


def detect(path: Path) -> float:
    if path.is_dir():
        return 0.0
    start = head(path, 64)
    by_name = path.name.lower().endswith(SUFFIXES)
    if start.startswith(b"PK\x03\x04"):
        return 0.9 if by_name or _is_torch_zip(path) else 0.0
    if start.startswith(_LEGACY_MAGIC):
        return 0.9
    return 0.2 if by_name and start.startswith(b"\x80") else 0.0


def _is_torch_zip(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            return any(n.endswith("/data.pkl") for n in archive.namelist()[:5])
    except (OSError, zipfile.BadZipFile):
        return False


def read(path: Path):
    checkpoint = load_checkpoint(path)
    notes: list[str] = []
    history = find_history(checkpoint)
    if history is None:
        keys = ", ".join(map(str, list(checkpoint)[:12])) if isinstance(checkpoint, Mapping) \
            else type(checkpoint).__name__
        raise LogFormatError(path, f"no training history in the checkpoint (keys: {keys})")
    try:
        table, step_kind = history_points(history, notes)
    except HistoryShapeError as err:
        raise LogFormatError(path, f"the checkpoint history is not readable: {err}") from err
    meta: dict[str, Any] = {"framework": "torch", "lr_timing": "unknown"}
    for key in ("epoch", "global_step", "iter_num", "best_val_loss"):
        value = checkpoint.get(key) if isinstance(checkpoint, Mapping) else None
        if value is not None and hasattr(value, "item"):
            try:
                value = value.item()
            except (ValueError, RuntimeError):  # more than one element
                value = None
        if isinstance(value, (int, float)):
            meta[key] = value
    return finish_run(path, ID, table, step_kind=step_kind, notes=notes, meta=meta)


def load_checkpoint(path: Path) -> Any:
    """``torch.load`` with ``weights_only=True`` plus the numpy allowlist; errors name the file."""
    try:
        import torch
    except ImportError as err:
        raise MissingDependencyError("torch", f"reading the checkpoint {path}") from err
    import pickle

    try:
        with torch.serialization.safe_globals(_numpy_allowlist()):
            return torch.load(path, weights_only=True, map_location="cpu")
    except pickle.UnpicklingError as err:
        reason = _unpickler_reason(err)
        if not reason.startswith("Unsupported global"):
            raise LogFormatError(path, f"not a readable torch checkpoint ({reason})") from err
        blocked = _blocked_globals(path) or _UNSUPPORTED.findall(reason)
        detail = f": {', '.join(blocked[:5])}" if blocked else ""
        raise LogFormatError(
            path, f"the checkpoint holds objects that safe loading refuses{detail}",
            hint="save the history as plain lists of floats (or JSON) to read it here",
        ) from err
    except _DAMAGED as err:
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise LogFormatError(path, f"not a readable torch checkpoint ({reason})") from err


def _unpickler_reason(err: Exception) -> str:
    """The weights-only unpickler's own words, without torch's advice around them."""
    text = str(err)
    match = _UNPICKLER_SAYS.search(text)
    return match[1].strip() if match else (text.splitlines() or [type(err).__name__])[0]


def _blocked_globals(path: Path) -> list[str]:
    import pickle

    import torch

    try:
        return list(torch.serialization.get_unsafe_globals_in_checkpoint(path))
    except (pickle.UnpicklingError, *_DAMAGED):
        return []  # the list is only a courtesy in the error message


def _numpy_allowlist() -> list[Any]:
    """numpy types a history may hold, under numpy 2 and numpy 1 module names."""
    try:
        import numpy as np
    except ImportError:
        return []
    core = getattr(np, "_core", None) or np.core
    allowed: list[Any] = [np.ndarray, np.dtype]
    for name in ("scalar", "_reconstruct"):
        obj = getattr(core.multiarray, name)
        allowed += [obj, (obj, f"numpy.core.multiarray.{name}"),
                    (obj, f"numpy._core.multiarray.{name}")]
    dtypes = getattr(np, "dtypes", None)
    if dtypes is not None:
        for name in ("Float64DType", "Float32DType", "Float16DType", "Int64DType", "Int32DType",
                     "Int16DType", "Int8DType", "UInt8DType", "BoolDType"):
            if hasattr(dtypes, name):
                allowed.append(getattr(dtypes, name))
    return allowed


def find_history(checkpoint: Any) -> Any:
    """The history part of a checkpoint: a wrapper entry, or the series beside the weights."""
    if not isinstance(checkpoint, Mapping):
        return checkpoint if isinstance(checkpoint, list) else None
    for key in WRAPPER_KEYS:
        if isinstance(checkpoint.get(key), (Mapping, list)):
            return checkpoint[key]
    series = {k: v for k, v in checkpoint.items()
              if k not in _WEIGHT_KEYS and isinstance(v, (list, tuple)) and len(v) > 0}
    series.update({k: v for k, v in checkpoint.items()
                   if k not in _WEIGHT_KEYS and getattr(v, "ndim", 0) == 1})
    return series or None
