"""Generic history JSON: what hand-written loops and ``json.dump(history.history)`` leave,
and Sacred's ``FileStorageObserver`` ``metrics.json`` (formats.md §8).

The shapes are described in ``reporter.ingest._history``. Keras ``History.history`` dumps
(keys ``loss``/``val_loss``/``learning_rate``) are recognised and get Keras semantics
(``framework="keras"``, the logged LR is the one used in that epoch).
"""

from __future__ import annotations

from pathlib import Path

from reporter.errors import LogFormatError
from reporter.ingest._history import HistoryShapeError, history_points, is_sacred, unwrap
from reporter.ingest._sniff import head_text, load_json, suffix
from reporter.ingest._table import finish_run

ID = "history_json"
_KERAS_KEYS = frozenset({"loss", "val_loss"})
_KERAS_LR = frozenset({"learning_rate", "lr"})


def detect(path: Path) -> float:
    if path.is_dir() or suffix(path) != ".json":
        return 0.0
    text = head_text(path).lstrip()
    if not text.startswith(("{", "[")):
        return 0.0
    if '"log_history"' in text:
        return 0.1  # a trainer state, which its own reader claims first
    score = 0.5 if text.startswith("{") and "[" in text else 0.4
    return score + (0.1 if "history" in path.name.lower() else 0.0)


def read(path: Path):
    obj = load_json(path)
    notes: list[str] = []
    meta = _meta(obj)
    try:
        table, step_kind = history_points(obj, notes,
                                          per_epoch_only=meta["framework"] == "keras")
    except HistoryShapeError as err:
        raise LogFormatError(path, f"not a training history: {err}") from err
    return finish_run(path, ID, table, step_kind=step_kind, notes=notes, meta=meta)


def _meta(obj: object) -> dict[str, str]:
    inner = unwrap(obj)
    keys = set(inner) if isinstance(inner, dict) else set()
    if isinstance(inner, dict) and is_sacred(inner):
        return {"framework": "unknown", "lr_timing": "unknown", "app": "sacred"}
    if keys >= _KERAS_KEYS and not any(k.startswith("train") for k in keys):
        return {"framework": "keras",
                "lr_timing": "used" if keys & _KERAS_LR else "unknown"}
    return {"framework": "unknown", "lr_timing": "unknown"}
