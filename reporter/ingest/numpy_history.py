"""Histories saved with numpy: ``np.savez(path, **history)`` or ``np.save`` of one series.

Loaded with ``allow_pickle=False`` only (formats.md §9): a ``.npz`` gives one series per
array, a 1-D ``.npy`` one series named after the file (``val_loss.npy`` → ``val/loss``). An
``np.save`` of a dict is a pickled object array: refused, with how to save it instead.
"""

from __future__ import annotations

import math
import tokenize
import zipfile
import zlib
from pathlib import Path

from reporter.errors import LogFormatError
from reporter.ingest._history import HistoryShapeError, history_points
from reporter.ingest._sniff import head, suffix
from reporter.ingest._table import finish_run

ID = "numpy_history"
_NPY_MAGIC = b"\x93NUMPY"
# What np.load lets through from a damaged file besides ValueError: the zip layer, the header
# parser (tokenize, ast) and plain reads.
_DAMAGED = (OSError, EOFError, OverflowError, SyntaxError, NotImplementedError,
            zipfile.BadZipFile, tokenize.TokenError, zlib.error)


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
        _check_sizes(path)
        loaded = np.load(path, allow_pickle=False)
        if isinstance(loaded, np.ndarray):
            history = {path.name.split(".")[0]: loaded}
        else:
            with loaded:
                history = {key: loaded[key] for key in loaded.files}
    except LogFormatError:
        raise  # from _check_sizes (a ValueError too)
    except ValueError as err:
        if "allow_pickle" in str(err):
            raise LogFormatError(path, "a pickled object array (np.save of a dict or list), "
                                       "which is not loaded for safety",
                                 hint="save it with np.savez(path, **history) or as JSON") \
                from err
        raise LogFormatError(path, f"not a readable numpy file ({err})") from err
    except _DAMAGED as err:
        raise LogFormatError(path, f"not a readable numpy file ({err or type(err).__name__})") \
            from err
    if isinstance(loaded, np.ndarray) and loaded.ndim != 1:
        raise LogFormatError(path, f"an array of shape {loaded.shape}; one series per file "
                                   "needs a 1-D array (or use np.savez with names)")
    notes: list[str] = []
    try:
        table, step_kind = history_points(history, notes)
    except HistoryShapeError as err:
        raise LogFormatError(path, f"not a training history: {err}") from err
    meta = {"framework": "unknown", "lr_timing": "unknown"}
    return finish_run(path, ID, table, step_kind=step_kind, notes=notes, meta=meta)


def _check_sizes(path: Path) -> None:
    """Refuse an array whose header declares more data than the file holds.

    ``np.load`` allocates the declared shape before reading, so a damaged header (``(3,)``
    turned into ``(30000000000,)``) would ask for gigabytes; here it is a short error instead.
    """
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                with archive.open(info) as member:
                    _check_header(path, member, info.file_size, info.filename)
    else:
        with open(path, "rb") as handle:
            _check_header(path, handle, path.stat().st_size, None)


def _check_header(path: Path, handle, size: int, member: str | None) -> None:
    from numpy.lib import format as npformat

    if handle.read(6) != _NPY_MAGIC:
        return  # np.load says what it is
    handle.seek(0)
    version = npformat.read_magic(handle)
    read_header = npformat.read_array_header_1_0 if version == (1, 0) \
        else npformat.read_array_header_2_0
    shape, _, dtype = read_header(handle)
    declared = math.prod(shape) * dtype.itemsize
    if declared > size - handle.tell():
        where = f"the array {member}" if member else "the array"
        raise LogFormatError(path, f"{where} declares shape {shape} of {dtype} "
                                   f"({declared} bytes) but the file holds "
                                   f"{size - handle.tell()} bytes (cut or damaged)")
