"""TensorBoard event files, read by our own code (formats.md §1; issue 4).

No tensorboard, tbparse or protobuf at run time: ``_tfrecord`` frames the records (and
decodes the common ``simple_value`` layout with numpy), ``_protobuf`` decodes the rest.
Scalars are ``simple_value`` or one-element tensors whose tag's first metadata names the
``scalars`` plugin (TF2 / Keras / ``new_style``). Every point is kept (no reservoir
sampling). A tag that logs several values at most of its steps (Ultralytics 8.0 logs each
batch's running loss at the epoch's step) keeps every value, in logged order; an occasional
value logged again at a step replaces the earlier one.

A run is a folder: its event files are segments in (timestamp, pid, counter) order, and a
``SessionLog.START`` at step S purges what earlier segments logged at steps >= S; without
one, a later segment still wins from its first step on, with a note. Child folders with
event files are folded in: Keras ``train/`` and ``validation/`` give the split of
``epoch_loss``; torch ``add_scalars`` folders ``<tag>_<key>/`` give ``<tag>/<key>``.
"""

from __future__ import annotations

import mmap
import re
from pathlib import Path
from typing import Any

from reporter.errors import LogFormatError
from reporter.ingest import _protobuf as pb
from reporter.ingest._repeats import POINT, finish_keeping_batches
from reporter.ingest._sniff import head
from reporter.ingest._table import epoch_from_metric
from reporter.ingest._tfrecord import decode_simple, frame
from reporter.ingest._ultralytics import is_ultralytics, ultralytics_frame
from reporter.ingest.aliases import canonical_name
from reporter.ingest.lightning_csv import metric_names

ID = "tfevents"
_NAME = re.compile(r"events\.out\.tfevents\.(\d+)\.?(.*)$")
_SPLIT_DIRS = {"train": "train", "validation": "val", "val": "val", "eval": "val"}
_SKIP_TAGS = ("hp_metric", "_hparams_/")
_EPOCH_TAGS = ("epoch", "train/epoch")
_HF_SUMMARY = ("train/train_loss", "train/train_runtime", "train/train_samples_per_second",
               "train/train_steps_per_second", "train/total_flos")


_NOT_EVENTS = (".profile-empty", ".json", ".csv", ".txt", ".md", ".py", ".yaml", ".yml", ".log")


def is_event_file(path: Path) -> bool:
    """TensorBoard's rule (the name contains ``tfevents``), minus profiler markers and text."""
    return "tfevents" in path.name and not path.name.endswith(_NOT_EVENTS)


def detect(path: Path) -> float:
    if path.is_dir():
        if event_files(path):
            return 0.92  # below results.csv / metrics.csv beside them (float64, not float32)
        if len(version_dirs(path)) > 1:
            return 0.9  # lightning_logs of a TensorBoardLogger (discover splits it)
        split = [c for c in _children(path) if c.name.lower() in _SPLIT_DIRS and event_files(c)]
        return 0.9 if split else 0.0  # Keras: <log_dir>/train/ and <log_dir>/validation/
    if is_event_file(path):
        return 1.0
    start = head(path, 64)
    return 0.9 if len(start) > 12 and b"brain.Event:" in start else 0.0


def event_files(folder: Path) -> list[Path]:
    """Event files directly in ``folder``, in writing order."""
    try:
        files = [p for p in folder.iterdir() if p.is_file() and is_event_file(p)]
    except OSError:
        return []
    return sorted(files, key=_order)


def first_step(folder: Path) -> float | None:
    """The step of the first scalar in a folder's first event file (from its first 64 KB)."""
    files = event_files(folder)
    if not files:
        return None
    notes: list[str] = []
    data = head(files[0], 65536)
    offsets, lengths = frame(data, notes, files[0].name)
    for offset, length in zip(offsets.tolist(), lengths.tolist(), strict=True):
        try:
            event = pb.event(data[offset:offset + length])
        except pb.WireError:
            return None
        if any(v.simple_value is not None or v.tensor is not None for v in event.values):
            return float(event.step)
    return None


def _order(path: Path) -> tuple:
    match = _NAME.search(path.name)
    if not match:
        return (0, (), path.name)
    numbers = tuple(int(x) for x in re.findall(r"\.(\d+)(?=\.|$)", "." + match[2]))
    return (int(match[1]), numbers[-2:], path.name)


def _children(folder: Path) -> list[Path]:
    try:
        return sorted(c for c in folder.iterdir() if c.is_dir() and c.name != "plugins")
    except OSError:
        return []


def read(path: Path, *, verify_crc: bool = False):
    """Read a run folder or one event file.

    ``verify_crc`` checks both CRCs of every record (needs ``google-crc32c`` or ``crc32c``;
    about 1 s more per million records) and stops at the first corrupt record.
    """
    import numpy as np
    import pandas as pd

    groups = _groups(path)
    notes: list[str] = []
    frames, starts = [], {}
    present: set[str] = set()  # the metric names of the rows read (a set per file, not per row)
    plugins: dict[str, str | None] = {}
    keras = False
    for group, files in groups:
        for segment, file in enumerate(files):
            rows, tags, start = _read_file(file, notes, plugins, verify_crc)
            if start is not None:
                starts[segment] = min(start, starts.get(segment, start))
                notes.append(f"{file.name}: SessionLog.START at step {start}; earlier points "
                             f"at steps >= {start} are purged")
            tag_id = rows.pop("tag_id")
            if group is not None and group.lower() in _SPLIT_DIRS:  # Keras: epoch_* by epoch
                by_tag = [t.startswith("epoch_") for t in tags] or [False]
                by_epoch = np.array(by_tag, dtype=bool)[tag_id]
                rows["epoch"] = np.where(by_epoch, rows["step"], np.nan)
                keras |= bool(by_epoch.any())
            names = np.asarray([_metric_name(t, group) for t in tags] or [""], dtype=object)
            rows["metric"] = names[tag_id]
            present.update(names[np.bincount(tag_id, minlength=len(names)) > 0].tolist())
            rows["segment"] = np.full(len(rows["value"]), segment, dtype=np.int64)
            frames.append(pd.DataFrame(rows))
    if len(groups) == 1 and len(groups[0][1]) > 1:
        notes.append(f"{len(groups[0][1])} event files: one segment each, in writing order")
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if table.empty:
        raise LogFormatError(path, "no scalar values in the event file(s)")
    skipped = [m for m in present if m.startswith(_SKIP_TAGS)]
    if skipped:
        table = table[~table["metric"].isin(skipped)]
    table, meta, step_kind = _interpret(table, keras, notes, present.difference(skipped))
    meta["precision"] = "float32"  # simple_value and TF2 scalars: 1e40 reads as inf
    return finish_keeping_batches(path, ID, table, step_kind=step_kind, notes=notes,
                                  meta=meta, starts=starts)


_VERSION = re.compile(r"^version_(\d+)$")
_HF_LAUNCH = re.compile(r"^[A-Z][a-z]{2}\d{2}_\d{2}-\d{2}-\d{2}_.+$")  # runs/Nov25_16-40-01_host


def version_dirs(folder: Path) -> list[Path]:
    """Per-launch children holding event files, in launch order: Lightning ``version_N`` (by
    N) or HF ``runs/<Mon><DD>_<HH-MM-SS>_<host>`` (by their first event file's timestamp)."""
    found = []
    for child in _children(folder):
        files = event_files(child)
        if not files:
            continue
        if (match := _VERSION.match(child.name)) is not None:
            found.append(((0, int(match[1])), child))
        elif _HF_LAUNCH.match(child.name):
            found.append(((1, _order(files[0])[0]), child))
    return [c for _, c in sorted(found)] if len({k[0] for k, _ in found}) == 1 else []


def _groups(path: Path) -> list[tuple[str | None, list[Path]]]:
    if path.is_file():
        return [(None, [path])]
    groups: list[tuple[str | None, list[Path]]] = []
    own = event_files(path)
    versions = version_dirs(path) if not own else []
    if versions:  # lightning_logs/version_N, HF runs/<date>: a segment per file, in order
        return [(None, [f for v in versions for f in event_files(v)])]
    if own:
        groups.append((None, own))
    for child in _children(path):
        files = event_files(child)
        if files and not child.name.replace(".", "").isdigit():  # add_hparams child runs
            groups.append((child.name, files))
    if not groups:
        raise LogFormatError(path, "no event files (events.out.tfevents.*) in this folder")
    return groups


def _metric_name(tag: str, group: str | None) -> str:
    if group is None:
        return tag
    split = _SPLIT_DIRS.get(group.lower())
    if split is None:  # torch add_scalars("grp", {"a": ...}) writes <logdir>/grp_a/ with tag grp
        if group.startswith(tag + "_"):
            return f"{tag}/{group[len(tag) + 1:]}"
        return f"{group}/{tag}"
    if tag.startswith("epoch_"):  # Keras History names: loss, mae, val_loss, val_mae
        base = tag[len("epoch_"):]
        return base if split == "train" else f"val_{base}"
    return f"{split}/{tag}"  # batch_loss, evaluation_loss_vs_iterations: another x-axis


def _read_file(file: Path, notes: list[str], plugins: dict[str, str | None],
               verify_crc: bool = False):
    """Columns of one event file (metric = raw tag) and its ``SessionLog.START`` step."""
    import numpy as np

    try:
        with open(file, "rb") as handle:
            size = handle.seek(0, 2)
            buf = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
    except OSError as err:
        raise LogFormatError(file, f"cannot read the file ({err.strerror})") from err
    if not size:
        raise LogFormatError(file, "empty file")
    offsets, lengths = frame(buf, notes, file.name, verify=verify_crc)
    fast = decode_simple(buf, offsets, lengths)
    slow, start, stop = _decode_slow(buf, offsets, lengths, ~fast["mask"], file, plugins)
    if hasattr(buf, "close"):
        buf.close()
    if stop is not None:
        notes.append(f"{file.name}: record {stop} does not decode as an Event; read the "
                     f"{stop} records before it")
    tags = list(fast["tags"])
    index = {t: i for i, t in enumerate(tags)}
    slow_ids = [index.setdefault(t, len(index)) for t in slow["tag"]]
    tags = list(index)
    sort = None  # every scalar decoded by the fast path, in record order: nothing to merge
    if slow["order"] or stop is not None:
        order = np.concatenate([np.flatnonzero(fast["mask"]),
                                np.asarray(slow["order"], np.int64)])
        sort = np.argsort(order, kind="stable")
        if stop is not None:
            sort = sort[order[sort] < stop]

    def joined(fast_part: Any, slow_part: list, dtype: Any) -> Any:
        if sort is None:
            return fast_part
        return np.concatenate([fast_part, np.asarray(slow_part, dtype=dtype)])[sort]

    tag_id = joined(fast["tag_id"], slow_ids, np.int64)
    return {
        "tag_id": tag_id,
        "step": joined(fast["step"], slow["step"], np.int64),
        "epoch": np.full(len(tag_id), np.nan),
        "wall_time": joined(fast["wall_time"], slow["wall"], np.float64),
        "value": joined(fast["value"], slow["value"], np.float64),
    }, tags, start


def _decode_slow(buf: Any, offsets: Any, lengths: Any, mask: Any, file: Path,
                 plugins: dict[str, str | None]) -> tuple[dict[str, list], int | None, int | None]:
    """Decode the records the fast path left; also the START step and where decoding broke."""
    out: dict[str, list] = {"order": [], "tag": [], "step": [], "wall": [], "value": []}
    start = None
    for index in mask.nonzero()[0]:
        offset, length = int(offsets[index]), int(lengths[index])
        try:
            event = pb.event(bytes(buf[offset:offset + length]))
        except pb.WireError as err:
            if index == 0:
                raise LogFormatError(file, f"not an Event record ({err})", record=0) from err
            return out, start, int(index)
        if event.session_status == pb.SESSION_START:
            start = event.step if start is None else min(start, event.step)
        for value in event.values:
            if value.plugin_name is not None:
                plugins.setdefault(value.tag, value.plugin_name)
            number = _scalar(value, plugins)
            if number is not None:
                out["order"].append(index)
                out["tag"].append(value.tag)
                out["step"].append(event.step)
                out["wall"].append(event.wall_time)
                out["value"].append(number)
    return out, start, None


def _scalar(value: pb.Value, plugins: dict[str, str | None]) -> float | None:
    if value.simple_value is not None:
        return value.simple_value
    if value.tensor is not None and plugins.get(value.tag) == "scalars":
        return value.tensor
    return None


def _interpret(table: Any, keras: bool, notes: list[str], tags: set[str]
               ) -> tuple[Any, dict, str]:
    """Epoch column, canonical names, framework and step kind from the tags present (``tags``:
    the distinct values of ``table["metric"]``)."""
    meta: dict[str, Any] = {"framework": "unknown", "lr_timing": "unknown"}
    if is_ultralytics(tags):
        table = table.assign(epoch=table["step"] - 1.0)
        # number the values of a step (per-batch values) so parts are summed batch by batch
        batch = table.groupby(POINT, sort=False, observed=True).cumcount().to_numpy()
        width = int(batch.max()) + 1 if len(batch) else 1
        table, meta = ultralytics_frame(table.assign(step=table["step"] * width + batch), notes)
        return table.assign(step=table["step"] // width), meta, "epoch"
    if keras:
        meta.update(framework="keras", lr_timing="used")
        other = sorted(t for t in tags if t.startswith(("train/", "val/")))
        if other:  # batch_* count batches, evaluation_*_vs_iterations count iterations
            meta["x_axis"] = dict.fromkeys(other, "iteration")
        step_kind = "epoch"
    else:
        step_kind = "optimizer_step"
    for tag in _EPOCH_TAGS:
        if tag in tags:
            table, same = epoch_from_metric(table, tag)
            if tag == "train/epoch":
                meta.update(framework="hf", epoch_kind="progress")
            elif same:
                step_kind = "epoch"  # the script used the epoch as the step
    if any(t.startswith("lr-") for t in tags) or "hp_metric" in tags:
        meta.update(framework="lightning", lr_timing="used")
    if meta["framework"] == "hf":
        table = _hf_summary(table, meta)
    if meta["framework"] == "lightning":
        names, meta["granularity"] = metric_names(list(table["metric"].unique()))
    else:
        names = {t: canonical_name(t) for t in tags}
    table = table.assign(metric=table["metric"].map(names))
    return table, meta, step_kind


def _hf_summary(table: Any, meta: dict[str, Any]) -> Any:
    """HF's end-of-training values (``train/train_loss``…) go to ``meta["summary"]``."""
    summary = table["metric"].isin(_HF_SUMMARY)
    if summary.any():
        last = table[summary].drop_duplicates("metric", keep="last")
        meta["summary"] = {m.split("/", 1)[1]: v for m, v in zip(last["metric"], last["value"],
                                                                 strict=True)}
    return table[~summary]
