"""Histories saved with numpy: ``np.savez(path, **history)`` or ``np.save`` of one series.

Loaded with ``allow_pickle=False`` only (formats.md §9): a ``.npz`` gives one series per
array, a 1-D ``.npy`` one series named after the file (``val_loss.npy`` → ``val/loss``). An
``np.save`` of a dict is a pickled object array: refused, with how to save it instead.
"""

from __future__ import annotations

from pathlib import Path

from reporter.errors import LogFormatError
from reporter.ingest._history import HistoryShapeError, history_points
from reporter.ingest._sniff import head, suffix
from reporter.ingest._table import finish_run

ID = "numpy_history"
_NPY_MAGIC = b"\x93NUMPY"


def detect(path: Path) -> float:
    if path.is_dir():
        return 0.0
    start = head(path, 8)
    if suffix(path) == ".npz" and start.startswith(b"PK\x03\x04"):
        return 0.8
    return 0.8 if start.startswith(_NPY_MAGIC) else 0.0


def read(path: Path):
    import numpy as np

    try:
        loaded = np.load(path, allow_pickle=False)
    except ValueError as err:
        if "allow_pickle" in str(err):
            raise LogFormatError(path, "a pickled object array (np.save of a dict or list), "
                                       "which is not loaded for safety",
                                 hint="save it with np.savez(path, **history) or as JSON") \
                from err
        raise LogFormatError(path, f"not a readable numpy file ({err})") from err
    except (OSError, EOFError) as err:
        raise LogFormatError(path, f"not a readable numpy file ({err})") from err
    if isinstance(loaded, np.ndarray):
        if loaded.ndim != 1:
            raise LogFormatError(path, f"an array of shape {loaded.shape}; one series per file "
                                       "needs a 1-D array (or use np.savez with names)")
        history = {path.name.split(".")[0]: loaded}
    else:
        with loaded:
            history = {key: loaded[key] for key in loaded.files}
    notes: list[str] = []
    try:
        table, step_kind = history_points(history, notes)
    except HistoryShapeError as err:
        raise LogFormatError(path, f"not a training history: {err}") from err
    meta = {"framework": "unknown", "lr_timing": "unknown"}
    return finish_run(path, ID, table, step_kind=step_kind, notes=notes, meta=meta)
