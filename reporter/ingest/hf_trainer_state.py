"""Hugging Face ``Trainer`` state: ``trainer_state.json`` (formats.md §2).

``log_history`` holds three kinds of entries, told apart by their keys: training logs
(``loss``, ``grad_norm``, ``learning_rate``), evaluation logs (``<prefix>_loss``,
``<prefix>_runtime``…) and one final summary (``train_runtime``, ``train_loss``…), which is a
run-level average and goes to ``run.meta["summary"]``, not into the series. ``epoch`` is
fractional progress (1.0 = end of the first epoch), so ``meta["epoch_kind"] = "progress"``;
``step`` is the optimizer step. A folder is read through its newest state: the top-level
``trainer_state.json`` or the ``checkpoint-<N>/trainer_state.json`` with the largest N.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from reporter.errors import LogFormatError
from reporter.ingest._sniff import head_text, load_json
from reporter.ingest._table import ScalarTable, as_float, check_axis_at, finish_run
from reporter.ingest.aliases import canonical_name

ID = "hf_trainer_state"
FILE_NAME = "trainer_state.json"
_SUMMARY_KEYS = frozenset({"train_runtime", "train_samples_per_second", "train_steps_per_second",
                           "total_flos", "train_loss"})
_AXIS_KEYS = frozenset({"epoch", "step"})
_CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")


def detect(path: Path) -> float:
    if path.is_dir():
        return 0.95 if _state_file(path) is not None else 0.0
    if path.name == FILE_NAME:
        return 1.0
    text = head_text(path)
    if text.lstrip().startswith("{") and '"log_history"' in text:
        return 0.9
    return 0.0


def _state_file(folder: Path) -> Path | None:
    """The newest ``trainer_state.json`` of an output folder, or None."""
    if (folder / FILE_NAME).is_file():
        return folder / FILE_NAME
    checkpoints = []
    for child in folder.iterdir():
        match = _CHECKPOINT.match(child.name)
        if match and (child / FILE_NAME).is_file():
            checkpoints.append((int(match[1]), child / FILE_NAME))
    return max(checkpoints)[1] if checkpoints else None


def read(path: Path):
    notes: list[str] = []
    if path.is_dir():
        state_path = _state_file(path)
        if state_path is None:
            raise LogFormatError(path, f"no {FILE_NAME} in this folder or its checkpoint-N folders")
        if state_path.parent != path:
            notes.append(f"read {state_path.relative_to(path)} (the newest trainer state)")
    else:
        state_path = path
    state = load_json(state_path)
    if not isinstance(state, dict) or not isinstance(state.get("log_history"), list):
        raise LogFormatError(state_path, "not a trainer state: no 'log_history' list")
    table, meta = _read_history(state_path, state["log_history"], notes)
    for key in ("global_step", "max_steps", "num_train_epochs", "logging_steps", "eval_steps",
                "train_batch_size", "best_metric", "best_global_step", "best_model_checkpoint"):
        if state.get(key) is not None:
            meta[key] = state[key]
    if "stateful_callbacks" in state:
        meta["stateful_callbacks"] = state["stateful_callbacks"]
    meta.update(framework="hf", epoch_kind="progress", lr_timing=_lr_timing(state["log_history"]))
    meta["smoothing"] = "window mean"  # loss = mean over the logging_steps window
    if _rounded(table):
        notes.append("train losses have at most 4 decimals: transformers v4 rounds the logged "
                     "loss (round(loss, 4)); tiny differences are invisible")
        meta["rounding"] = 4
    return finish_run(path, ID, table, step_kind="optimizer_step", notes=notes, meta=meta)


def _read_history(path: Path, history: list[Any], notes: list[str]) -> tuple[ScalarTable, dict]:
    table = ScalarTable()
    meta: dict[str, Any] = {}
    segment, last_step = 0, None
    for index, entry in enumerate(history):
        if not isinstance(entry, dict):
            raise LogFormatError(path, "log_history entry is not an object", record=index)
        if _SUMMARY_KEYS & entry.keys() and "train_runtime" in entry:
            meta["summary"] = {k: v for k, v in entry.items() if k not in _AXIS_KEYS}
            continue
        step, epoch = as_float(entry.get("step")), as_float(entry.get("epoch"))
        check_axis_at(path, step, epoch, record=index)
        if step is not None and last_step is not None and step < last_step:
            segment += 1
            notes.append(f"log_history entry {index}: the step goes back from "
                         f"{int(last_step)} to {int(step)}; a new segment starts")
        last_step = step if step is not None else last_step
        for key, raw in entry.items():
            if key in _AXIS_KEYS:
                continue
            value = as_float(raw)
            if value is None:
                continue
            table.add(canonical_name(key), value, step=step, epoch=epoch, segment=segment)
    return table, meta


def _rounded(table: ScalarTable) -> bool:
    losses = [v for m, v in zip(table.metric, table.value, strict=True)
              if m == "train/loss" and v == v]
    return len(losses) >= 5 and all(round(v, 4) == v for v in losses)


def _lr_timing(history: list[Any]) -> str:
    """What the logged ``learning_rate`` means, where the log itself tells.

    transformers 4.51 (PR #36973) logs the LR used for the step; earlier versions log the LR
    after the scheduler step. The state file carries no version (``best_global_step``, PR
    #35885, only proves >= 4.50). One case settles it: a warm-up from 0 logged at step 1 shows
    ``learning_rate == 0.0`` only when the used LR is logged. Otherwise ``"unknown"``, and
    the fidelity check tries both alignments.
    """
    first = next((e for e in history if isinstance(e, dict) and "learning_rate" in e), None)
    if first is not None and first.get("step") == 1 and first["learning_rate"] == 0.0:
        return "used"
    return "unknown"
