"""Turn a generic Python history object into scalar points (formats.md §9).

Shapes understood:

- dict of lists ``{"train_loss": [...], "val_loss": [...], "lr": [...]}`` (Keras History,
  hand-written loops), optionally wrapped in ``{"history": ...}``;
- nested by split ``{"train": {"loss": [...]}, "val": {"loss": [...]}}``;
- list of records ``[{"epoch": 1, "train_loss": ...}, ...]``;
- dict of lists of ``[step, value]`` pairs.

Entry ``i`` of a list is epoch ``i`` (0-based). An ``epoch`` (or ``step``/``iteration``) list
of the same length is used as the x-axis; an epoch axis that starts at 1 is shifted to the
0-based convention with a note. Lists of different lengths are indexed separately; when a
list is k times longer than the shortest, its entries are taken as k steps per epoch and a
note says that this is a guess.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reporter.ingest._table import AxisRangeError, ScalarTable, as_float
from reporter.ingest.aliases import canonical_name
from reporter.ingest.run import EPOCH_SHIFT_NOTE

EPOCH_KEYS = ("epoch", "epochs")
STEP_KEYS = ("step", "steps", "global_step", "iteration", "iter", "iters", "num_updates")
WRAPPER_KEYS = ("history", "log_history", "metrics", "log", "logs", "train_history",
                "training_history", "stats")
MIN_EPOCHS_FOR_GUESS = 3
SPLITS = {"train": "train", "training": "train", "val": "val", "valid": "val",
          "validation": "val", "eval": "val", "test": "test"}


class HistoryShapeError(ValueError):
    """The object is not one of the history shapes; the message says what was found."""


def unwrap(obj: Any) -> Any:
    """Descend through ``{"history": {...}}``-style wrappers."""
    while isinstance(obj, Mapping):
        inner = [k for k in WRAPPER_KEYS if k in obj and isinstance(obj[k], (Mapping, list))]
        numeric = [k for k, v in obj.items() if _is_series(v)]
        if inner and not numeric:
            obj = obj[inner[0]]
        else:
            return obj
    return obj


def history_points(obj: Any, notes: list[str], *,
                   per_epoch_only: bool = False) -> tuple[ScalarTable, str]:
    """Points of a history object and its step kind (``"epoch"`` or ``"optimizer_step"``).

    ``per_epoch_only`` (Keras ``History``): every list is per epoch, shorter ones included.
    """
    obj = unwrap(obj)
    try:
        if isinstance(obj, list):
            return _records(obj, notes)
        if isinstance(obj, Mapping) and is_sacred(obj):
            return _sacred(obj), "optimizer_step"
        if isinstance(obj, Mapping):
            return _columns(_flatten_splits(obj), notes, per_epoch_only)
    except AxisRangeError as err:
        raise HistoryShapeError(str(err)) from err
    raise HistoryShapeError(f"expected a JSON object or list, found {type(obj).__name__}")


def is_sacred(obj: Mapping[str, Any]) -> bool:
    """Sacred ``metrics.json``: ``{name: {"steps": [...], "values": [...], "timestamps": ...}}``."""
    return bool(obj) and all(isinstance(v, Mapping) and isinstance(v.get("values"), list)
                             and isinstance(v.get("steps"), list) for v in obj.values())


def _sacred(obj: Mapping[str, Any]) -> ScalarTable:
    from datetime import datetime, timezone

    table = ScalarTable()
    for name, series in obj.items():
        stamps = series.get("timestamps")
        stamps = stamps if isinstance(stamps, list) else []
        for i, (step, raw) in enumerate(zip(series["steps"], series["values"], strict=False)):
            value = as_float(raw)
            if value is None:
                continue
            wall = None
            if i < len(stamps) and isinstance(stamps[i], str):
                try:  # naive UTC ISO times (datetime.utcnow())
                    wall = datetime.fromisoformat(stamps[i]).replace(
                        tzinfo=timezone.utc).timestamp()
                except ValueError:
                    wall = None
            table.add(canonical_name(name), value, step=as_float(step), wall_time=wall)
    return table


def _is_series(value: Any) -> bool:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        return _is_tensor_series(value)
    return len(value) > 0 and all(
        as_float(v) is not None or _is_pair(v) or v is None for v in value[:50]
    )


def _is_tensor_series(value: Any) -> bool:
    shape = getattr(value, "shape", None)
    return shape is not None and len(shape) == 1 and hasattr(value, "tolist")


def _is_pair(value: Any) -> bool:
    return (isinstance(value, (list, tuple)) and len(value) == 2
            and as_float(value[0]) is not None and as_float(value[1]) is not None)


def _flatten_splits(obj: Mapping[str, Any]) -> dict[str, Any]:
    """``{"train": {"loss": [...]}}`` → ``{"train_loss": [...]}``; other keys kept.

    A GAN's history nested by network (``{"G": {"loss": [...]}, "D": {"loss": [...]}}``) is
    flattened the same way (``G_loss``, ``D_loss``): any key whose value is a mapping of series.
    """
    flat: dict[str, Any] = {}
    for key, value in obj.items():
        split = SPLITS.get(str(key).lower())
        if isinstance(value, Mapping) and (split or _all_series(value)):
            for inner, series in value.items():
                flat[f"{split or key}_{inner}"] = series
        else:
            flat[str(key)] = value
    return flat


def _all_series(value: Mapping[str, Any]) -> bool:
    return bool(value) and all(_is_series(v) for v in value.values())


def _columns(obj: dict[str, Any], notes: list[str],
             per_epoch_only: bool = False) -> tuple[ScalarTable, str]:
    series = {k: _to_list(v) for k, v in obj.items() if _is_series(v)}
    if not series:
        keys = ", ".join(list(obj)[:10]) or "none"
        raise HistoryShapeError(f"no list of numbers found (keys: {keys})")
    skipped = [k for k in obj if k not in series]
    if skipped:
        notes.append(f"ignored non-series entries: {', '.join(skipped[:10])}")
    x_key, x_kind, x_values, shifted = _axis(series, notes)
    table = ScalarTable()
    table.epochs_shifted = shifted
    lists = {k: v for k, v in series.items() if k != x_key and not _all_pairs(v)}
    shortest = min((len(v) for v in lists.values()), default=0)
    longest = max((len(v) for v in lists.values()), default=0)
    per_epoch = _steps_per_epoch(lists, shortest, per_epoch_only)
    layout = _Layout(x_values, x_kind, per_epoch, shortest, longest)
    guessed: list[str] = []
    uneven: list[str] = []
    for key, values in series.items():
        if key == x_key:
            continue
        placed = _add_series(table, canonical_name(key), values, layout)
        if placed == "guessed":
            guessed.append(key)
        elif placed == "uneven":
            uneven.append(f"{key} ({len(values)})")
    if guessed:
        notes.append(f"lists {per_epoch} times longer than the per-epoch ones were read as "
                     f"steps, {per_epoch} steps per epoch being a guess: {', '.join(guessed)}")
    if uneven:
        notes.append(f"lists of different lengths (longest {longest}): each was indexed from "
                     f"epoch 0, which is a guess for the shorter ones: {', '.join(uneven)}")
    has_pairs = any(_all_pairs(v) for v in series.values())
    kind = "optimizer_step" if x_kind == "step" or guessed or has_pairs else "epoch"
    return table, kind


@dataclass(frozen=True)
class _Layout:
    """How the lists of one history line up: the x-axis list, steps per epoch, lengths."""

    x_values: list | None
    x_kind: str
    per_epoch: int | None
    shortest: int
    longest: int


def _add_series(table: ScalarTable, name: str, values: list, layout: _Layout) -> str | None:
    """Add one list; ``"guessed"`` when its steps per epoch are a guess, ``"uneven"`` when a
    shorter list was indexed from epoch 0, else None."""
    per_epoch, shortest = layout.per_epoch, layout.shortest
    if _all_pairs(values):
        for pair in values:
            table.add(name, as_float(pair[1]), step=as_float(pair[0]))
    elif layout.x_values is not None and len(values) == len(layout.x_values):
        for x, raw in zip(layout.x_values, values, strict=True):
            _add(table, name, raw, x, layout.x_kind)
    elif per_epoch and len(values) == shortest * per_epoch:
        for i, raw in enumerate(values):
            _add_at(table, name, raw, step=i, epoch=i / per_epoch)
        return "guessed"
    elif per_epoch and len(values) == shortest:
        for i, raw in enumerate(values):  # the end of epoch i, in steps
            _add_at(table, name, raw, step=(i + 1) * per_epoch - 1, epoch=i)
    else:
        for i, raw in enumerate(values):
            _add(table, name, raw, i, "epoch")
        return "uneven" if len(values) < layout.longest else None
    return None


def _steps_per_epoch(lists: dict[str, list], shortest: int, per_epoch_only: bool) -> int | None:
    """k when every list has either N or k*N entries (k > 1, N >= 3), else None."""
    lengths = {len(v) for v in lists.values()}
    if per_epoch_only or len(lengths) != 2 or shortest < MIN_EPOCHS_FOR_GUESS:
        return None
    longest = max(lengths)
    return longest // shortest if longest % shortest == 0 else None


def _add_at(table: ScalarTable, name: str, raw: Any, *, step: float, epoch: float) -> None:
    value = as_float(raw)
    if value is not None:
        table.add(name, value, step=step, epoch=epoch)


def _add(table: ScalarTable, name: str, raw: Any, x: float, x_kind: str) -> None:
    value = as_float(raw)
    if value is None:
        return
    if x_kind == "step":
        table.add(name, value, step=x)
    else:
        table.add(name, value, step=x, epoch=x)


def _axis(series: dict[str, list], notes: list[str]
          ) -> tuple[str | None, str, list | None, bool]:
    """The x-axis key, its kind, its values (0-based epochs), and whether they were shifted."""
    lowered = {k.lower(): k for k in series}
    for kind, keys in (("epoch", EPOCH_KEYS), ("step", STEP_KEYS)):
        for key in keys:
            if key in lowered:
                raw = [as_float(v) for v in series[lowered[key]]]
                if any(v is None for v in raw):
                    continue
                if kind == "epoch" and raw and raw[0] == 1 and all(float(v).is_integer()
                                                                   for v in raw):
                    raw = [v - 1 for v in raw]
                    notes.append(f"the {lowered[key]!r} list starts at 1; {EPOCH_SHIFT_NOTE}")
                    return lowered[key], kind, raw, True
                return lowered[key], kind, raw, False
    return None, "epoch", None, False


def _records(rows: list[Any], notes: list[str]) -> tuple[ScalarTable, str]:
    records = [r for r in rows if isinstance(r, Mapping)]
    if not records:
        raise HistoryShapeError("a list, but not of records (objects)")
    keys = {str(k).lower(): k for r in records[:50] for k in r}
    epoch_key = next((keys[k] for k in EPOCH_KEYS if k in keys), None)
    step_key = next((keys[k] for k in STEP_KEYS if k in keys), None)
    epochs = [as_float(r.get(epoch_key)) for r in records] if epoch_key else []
    shift = 0.0
    valid_epochs = [e for e in epochs if e is not None]
    if valid_epochs and valid_epochs[0] == 1 and all(e.is_integer() for e in valid_epochs):
        shift = 1.0
        notes.append(f"the {epoch_key!r} field starts at 1; {EPOCH_SHIFT_NOTE}")
    table = ScalarTable()
    table.epochs_shifted = bool(shift)
    for index, record in enumerate(records):
        epoch = epochs[index] - shift if epoch_key and epochs[index] is not None else None
        step = as_float(record.get(step_key)) if step_key else None
        if epoch is None and step is None:
            epoch = float(index)
        for key, raw in _flatten_splits(record).items():
            if key in (epoch_key, step_key):
                continue
            value = as_float(raw)
            if value is not None:
                table.add(canonical_name(str(key)), value,
                          step=step if step is not None else epoch, epoch=epoch)
    return table, "optimizer_step" if step_key else "epoch"


def _to_list(value: Any) -> list:
    if hasattr(value, "tolist") and not isinstance(value, list):
        return list(value.tolist())
    return list(value)


def _all_pairs(values: list) -> bool:
    return bool(values) and all(_is_pair(v) for v in values)
