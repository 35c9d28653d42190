"""JSON-lines metric logs: detectron2 ``metrics.json``, mmengine ``scalars.json``, mmcv
``*.log.json``, fairseq ``--log-format json`` output (formats.md §5.2, §5.3, §5.5).

- detectron2: ``{"iteration": i, "total_loss": ..., "lr": ...}`` per logging period, eval
  results (``bbox/AP``…) on lines of their own; ``iteration`` is 0-based. Losses are medians
  over the last 20 iterations (a note says so).
- mmengine: train lines carry ``iter`` and ``step`` (the global iteration); validation lines
  have no ``iter`` and their ``step`` is the (1-based) epoch.
- fairseq: logging lines ``<time> | INFO | train_inner | {"epoch": 1, "update": 1.023,
  "loss": "8.123", "num_updates": "100", ...}`` (values are strings); ``train``/``valid``
  lines hold epoch summaries with ``train_``/``valid_`` keys (``valid_loss`` → ``val/loss``);
- mmcv 1.x: a first line of run metadata, then ``{"mode": "train"|"val", "epoch": E,
  "iter": i, ...}`` with ``iter`` counted within the epoch; the global step is rebuilt.

The file is streamed; an iteration that goes back (a resumed run appending to the same
file) starts a new segment; a line that is not JSON stops the reading with a note.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from reporter.errors import LogFormatError
from reporter.ingest._sniff import head_text, suffix
from reporter.ingest._table import (
    AxisRangeError,
    ScalarTable,
    as_float,
    check_axis,
    finish_run,
)
from reporter.ingest.aliases import canonical_name

ID = "json_lines"
_SKIP = frozenset({"iteration", "iter", "step", "epoch", "mode", "eta_seconds", "eta",
                   "memory", "data_time", "time", "rank_data_time", "num_updates", "wall",
                   "train_wall", "wps", "ups", "wpb", "bsz"})
_TIMING = ("data_time", "time", "eta_seconds", "memory")


def detect(path: Path) -> float:
    if path.is_dir() or suffix(path) not in (".json", ".jsonl", ".log", ".txt", ".out"):
        return 0.0
    text = head_text(path)
    if _FAIRSEQ.search(text):
        return 0.8
    lines = [line for line in text.splitlines() if line.strip()][:3]
    if len(lines) < 2 or not all(line.lstrip().startswith("{") for line in lines[:2]):
        return 0.0
    kind = _kind(path, lines)
    return 0.0 if kind is None else (0.95 if path.name in ("metrics.json", "scalars.json")
                                     else 0.85)


_FAIRSEQ = re.compile(r'\| (?:train_inner|train|valid\w*) \| \{"epoch"')


def _kind(path: Path, lines: list[str]) -> str | None:
    text = "\n".join(lines)
    if _FAIRSEQ.search(text):
        return "fairseq"
    if '"iteration"' in text:
        return "detectron2"
    if '"mode"' in text or '"env_info"' in text:
        return "mmcv"
    if '"step"' in text:
        return "mmengine"
    return None


def read(path: Path):
    text = head_text(path)
    first = [line for line in text.splitlines() if line.strip()][:3]
    kind = "fairseq" if _FAIRSEQ.search(text) else (_kind(path, first) or "detectron2")
    state = _State(kind)
    notes: list[str] = []
    with open(path, encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            if kind == "fairseq":  # logging lines: '<time> | INFO | train_inner | {...}'
                if " | {" not in line:
                    continue
                line = line[line.index(" | {") + 3:]
            try:
                record = json.loads(line)
            except (ValueError, RecursionError):  # also a number of 4300+ digits, deep nesting
                if not len(state.table):
                    raise LogFormatError(path, "not a JSON object per line", line=number) \
                        from None
                notes.append(f"stopped at line {number}: not a JSON object (a cut or corrupt "
                             f"line); read {state.records} records before it")
                break
            if isinstance(record, dict):
                try:
                    state.record(record, number, notes)
                except AxisRangeError as err:
                    raise LogFormatError(path, str(err), line=number) from err
    meta = {"framework": "unknown", "lr_timing": "unknown", "app": kind}
    if kind == "detectron2":
        notes.append("detectron2 losses are medians over the last 20 iterations (pre-smoothed)")
        meta["smoothing"] = "median of 20 iterations"
    elif kind == "fairseq":
        notes.append("fairseq losses are in base 2 (ppl = 2**nll_loss), averaged over the "
                     "logging interval and printed with 3 decimals")
        meta.update(smoothing="window mean", rounding=3, framework="torch",
                    epoch_kind="progress")
    else:
        notes.append(f"{kind} losses are means over the logging window (pre-smoothed)")
        meta["smoothing"] = "window mean"
    return finish_run(path, ID, state.table, step_kind="iteration", notes=notes, meta=meta)


class _State:
    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.table = ScalarTable()
        self.records = 0
        self.segment = 0
        self.last_step: float | None = None
        self.step_at_epoch_start = 0.0  # mmcv: global step before the current epoch
        self.epoch_iters: dict[float, float] = {}

    def record(self, record: dict[str, Any], number: int, notes: list[str]) -> None:
        x = getattr(self, f"_{self.kind}")(record)
        if x is None:
            return
        step, epoch, split = x
        check_axis(step, epoch)
        if step is not None and split == "train":
            if self.last_step is not None and step < self.last_step:
                self.segment += 1
                notes.append(f"line {number}: the iteration goes back from "
                             f"{int(self.last_step)} to {int(step)} (a resumed run appended "
                             "to the file); a new segment starts")
            self.last_step = step
        self.records += 1
        for key, raw in record.items():
            value = as_float(raw) if key not in _SKIP else None
            if value is None and isinstance(raw, dict) and key == "lr":
                value = as_float(next(iter(raw.values()), None))  # mmcv {group: lr}
            if value is not None:
                name = key if split == "train" or key.startswith(("val", "eval")) \
                    else f"val/{key}"
                self.table.add(canonical_name(name), value, step=step, epoch=epoch,
                               segment=self.segment)
        for key in _TIMING:
            value = as_float(record.get(key))
            if value is not None and split == "train":
                self.table.add(key, value, step=step, epoch=epoch, segment=self.segment)

    def _detectron2(self, record: dict[str, Any]):
        step = as_float(record.get("iteration"))
        return (step, None, "train") if step is not None else None

    def _mmengine(self, record: dict[str, Any]):
        step = as_float(record.get("step"))
        if step is None:
            return None
        epoch = as_float(record.get("epoch"))
        if "iter" in record or "loss" in record:
            return step, (epoch - 1 if epoch is not None else None), "train"
        return self.last_step, step - 1, "val"  # validation: step is the 1-based epoch

    def _fairseq(self, record: dict[str, Any]):
        """train_inner: ``num_updates``; epoch summaries: ``train_*``/``valid_*`` keys."""
        epoch = as_float(record.get("epoch"))
        prefix = next((p for p in ("", "train_", "valid_") if f"{p}num_updates" in record), None)
        if prefix is None:
            return None
        step = as_float(record[f"{prefix}num_updates"])
        for key in [k for k in record if k.startswith(("train_", "valid_"))]:
            base = key.split("_", 1)[1]
            value = record.pop(key)
            if base not in ("num_updates", "wall", "train_wall"):
                record[f"{'val' if key.startswith('valid_') else 'train_epoch'}/{base}"] = value
        progress = as_float(record.pop("update", None))
        if progress is not None:
            epoch = progress  # 'update': completed epochs (1.0 at the end of the first)
        return step, epoch, "val" if prefix == "valid_" else "train"

    def _mmcv(self, record: dict[str, Any]):
        if "mode" not in record:
            return None  # the first line: env_info, config, seed
        epoch = as_float(record.get("epoch"))
        inner = as_float(record.get("iter")) or 0.0
        if record["mode"] == "train" and epoch is not None:
            if epoch not in self.epoch_iters:
                self.step_at_epoch_start += max(self.epoch_iters.values(), default=0.0) \
                    if self.epoch_iters else 0.0
                self.epoch_iters = {epoch: inner}
            self.epoch_iters[epoch] = max(self.epoch_iters[epoch], inner)
            return self.step_at_epoch_start + inner, epoch - 1, "train"
        return self.last_step, (epoch - 1 if epoch is not None else None), "val"
