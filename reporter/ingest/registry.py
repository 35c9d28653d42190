"""The format registry: which reader reads a path (formats.md §10).

Each format is a row of ``FORMATS`` naming its module; the module is imported only when a
path is being detected or read, so ``import reporter.ingest`` stays cheap. A reader module
exposes ``ID``, ``detect(path) -> float`` (0 = not mine, 1 = certainly mine; it looks at the
name and at most a few KB) and ``read(path) -> Run``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from reporter.errors import LogFormatError, UsageError, suggest
from reporter.ingest.aliases import is_loss_name
from reporter.ingest.run import Run

__all__ = ["FORMATS", "FormatInfo", "detect", "formats", "read_run"]


@dataclass(frozen=True)
class FormatInfo:
    """One supported format: its id, what it is, what it reads and how it is recognised."""

    id: str
    module: str
    description: str
    reads: str
    detected_by: str


FORMATS: tuple[FormatInfo, ...] = (
    FormatInfo("tfevents", "reporter.ingest.tfevents",
               "TensorBoard event files (torch SummaryWriter, TF2/Keras, HF, Lightning)",
               "every scalar: simple_value and TF2 tensor scalars, all points, all files",
               "name contains tfevents, or a folder holding event files (also Keras "
               "train/ and validation/ folders)"),
    FormatInfo("hf_trainer_state", "reporter.ingest.hf_trainer_state",
               "Hugging Face Trainer state (trainer_state.json)",
               "log_history: loss, grad_norm, learning_rate, eval_* per optimizer step",
               "name trainer_state.json, a JSON object with log_history, or an output folder "
               "with checkpoint-N/trainer_state.json"),
    FormatInfo("lightning_csv", "reporter.ingest.lightning_csv",
               "Lightning CSVLogger (version_N/metrics.csv)",
               "every self.log column, lr-<Optimizer> from LearningRateMonitor, per step",
               "name metrics.csv with a step column, or a folder of version_N folders"),
    FormatInfo("mlflow", "reporter.ingest.mlflow",
               "MLflow tracking: file store (mlruns/) and SQLite store (mlflow.db)",
               "every logged metric of a run with its step and timestamp; NaN/inf sentinels",
               "a run folder with metrics/ (meta.yaml or not), a file under metrics/, a "
               "file of '<timestamp ms> <value> <step>' lines on its own, or an SQLite file "
               "with the metrics and runs tables"),
    FormatInfo("wandb", "reporter.ingest.wandb",
               "Weights & Biases run files (run-*.wandb, wandb-history.jsonl, CSV exports)",
               "the full history from the binary log (no wandb package needed), NaN/Infinity",
               "a .wandb file (:W&B header), a wandb/run-* folder, wandb-history.jsonl, or a "
               "CSV whose first column is Step/_step"),
    FormatInfo("ultralytics_csv", "reporter.ingest.ultralytics_csv",
               "Ultralytics YOLO results.csv (v5, v8, v11)",
               "per-epoch loss components (summed into train/loss, val/loss), mAP, lr/pg0-2",
               "a CSV whose header (spaces stripped) has train/box_loss or metrics/mAP50(B)"),
    FormatInfo("keras_csv", "reporter.ingest.keras_csv",
               "Keras CSVLogger CSV (also timm summary.csv)",
               "one row per epoch: loss, val_loss, learning_rate and metrics",
               "a CSV whose header starts with epoch and has a loss column, no step column"),
    FormatInfo("torch_checkpoint", "reporter.ingest.torch_checkpoint",
               "History stored in a torch checkpoint (.pt/.pth/.ckpt)",
               "the history / train_losses / val_losses entries (weights_only loading)",
               "torch zip archive or legacy pickle magic, .pt/.pth/.ckpt/.tar names"),
    FormatInfo("numpy_history", "reporter.ingest.numpy_history",
               "History saved with numpy (np.savez of the lists, np.save of one series)",
               "one series per array, allow_pickle=False",
               "numpy magic (.npy) or a .npz archive"),
    FormatInfo("text_log", "reporter.ingest.text_log",
               "Plain-text console logs (Keras progress, HF dict lines, nanoGPT, Epoch/Step "
               "lines)",
               "name: value pairs on lines led by Epoch/Step/Iter, or a user --pattern",
               "a .log/.txt/.out/.md file whose first 16 KB hold a known line shape"),
    FormatInfo("json_lines", "reporter.ingest.json_lines",
               "JSON-lines metric logs: detectron2 metrics.json, mmengine scalars.json, "
               "mmcv *.log.json, fairseq json logs",
               "every numeric key per iteration (total_loss, loss_*, lr, eval results)",
               "a JSON object per line with iteration (detectron2), step (mmengine) or mode "
               "(mmcv); fairseq '| train_inner | {...}' logging lines"),
    FormatInfo("history_json", "reporter.ingest.history_json",
               "Generic history JSON (Keras History dump, hand-written loops)",
               "dict of lists, list of per-epoch records, nested train/val, [step, value] "
               "pairs",
               "a .json file holding an object or a list"),
)
_BY_ID = {f.id: f for f in FORMATS}
_MIN_SCORE = 0.25


def formats() -> list[FormatInfo]:
    """The supported formats, in detection order."""
    return list(FORMATS)


def _module(info: FormatInfo) -> ModuleType:
    module = importlib.import_module(info.module)
    assert info.id == module.ID, (module.ID, info.id)
    return module


def _info(format_id: str) -> FormatInfo:
    if format_id not in _BY_ID:
        hint = suggest(format_id, _BY_ID)
        choices = ", ".join(_BY_ID)
        message = f"unknown format {format_id!r}; choose one of: {choices}"
        raise UsageError(f"{message} ({hint})" if hint else message, hint=hint)
    return _BY_ID[format_id]


def detect(path: str | Path) -> list[tuple[float, str]]:
    """Scores of every format for ``path``, best first; formats that refuse it are left out."""
    path = Path(path)
    scores = []
    for info in FORMATS:
        score = float(_module(info).detect(path))
        if score >= _MIN_SCORE:
            scores.append((score, info.id))
    return sorted(scores, key=lambda s: -s[0])


def read_run(path: str | Path, *, format: str | None = None, pattern: str | None = None,
             loss_metric: str | None = None, require_loss: bool = True) -> Run:
    """Read one run from a log file or a folder holding one run.

    Args:
        path: a log file, or a folder holding one run (a Lightning ``lightning_logs/`` or
            ``version_N`` folder, an HF output folder, or a folder with one log file).
        format: a format id from ``FORMATS`` to skip detection. Default: detect.
        pattern: a regex with named groups for a text log (``step``/``epoch``/``iter`` give
            the x-axis, other groups are metrics); implies ``format="text_log"``.
        loss_metric: the metric the user chose as the loss (``--loss``, native or canonical
            name): it must be in the run, and no other loss is required. Default: none.
        require_loss: refuse a run with no metric whose name says loss (``--loss`` aside).
            Default: True.

    Raises:
        LogFormatError: missing path, empty file, unreadable or unrecognised content, no loss
            series; the message names the file and, where known, the line or record.
        UsageError: ``format`` is not a known id; ``loss_metric`` is not in the run.
    """
    check = _LossCheck(loss_metric, require_loss)
    path = Path(path)
    if pattern is not None:
        if format not in (None, "text_log"):
            raise UsageError(f"--pattern reads text logs; it cannot be used with --log-format "
                             f"{format}")
        format = "text_log"
    info = _info(format) if format is not None else None
    if not path.exists():
        raise LogFormatError(path, "no such file or directory")
    if path.is_file() and not _has_content(path):
        raise LogFormatError(path, "empty file")
    if pattern is not None:
        if path.is_dir():
            raise LogFormatError(path, "--pattern needs a log file, not a folder")
        run = _module(info).read(path, pattern=pattern)
        run.format = info.id
        return check(run, path)
    if info is not None:
        return _read(info, path, check)
    if path.is_dir():
        return _read_folder(path, check)
    scores = detect(path)
    if not scores:
        reason = "not a training log in any format this version reads"
        if path.suffix.lower() in (".yaml", ".yml"):
            reason = f"a YAML file (a config or hparams beside a run, not a log): {reason}"
        raise LogFormatError(path, reason, hint=_refusal_hint(path))
    return _read(_BY_ID[scores[0][1]], path, check)


@dataclass(frozen=True)
class _LossCheck:
    """The loss check, after reading and before anything else uses the run (issue 7, item 4).

    ``--loss NAME`` accepts any metric the run has, so it replaces the check that some loss is
    there: a YOLOv10 run (``train/box_om``, ...) or a run of physics residuals is read, and
    the pipeline then analyses the chosen metric.
    """

    loss_metric: str | None = None
    require_loss: bool = True

    def __call__(self, run: Run, path: Path) -> Run:
        names = run.metrics
        if self.loss_metric is not None:
            from reporter.ingest.aliases import canonical_name

            if self.loss_metric not in names and canonical_name(self.loss_metric) not in names:
                raise UsageError(
                    f"--loss {self.loss_metric!r} is not a metric of {path}",
                    hint=suggest(self.loss_metric, names) or
                    f"metrics present: {', '.join(names)}")
        elif self.require_loss and not any(map(is_loss_name, names)):
            raise LogFormatError(path, f"no loss series (metrics found: "
                                       f"{', '.join(map(str, names[:12]))})")
        return run


_FORMATS_HINT = "run `reporter formats` to list them, or force one with --log-format"


def _refusal_hint(path: Path) -> str:
    """A ready ``--pattern`` for a text file (from its most frequent line), else the list."""
    from reporter.ingest.text_log import refusal_hint

    text = refusal_hint(path)
    return f"{text}; or {_FORMATS_HINT}" if text else _FORMATS_HINT


def _read_single_run_below(folder: Path, check: _LossCheck) -> Run:
    """A folder whose only run lies deeper (``wandb/``, ``mlruns/``): read that run."""
    from reporter.ingest.discover import discover

    runs = [r for r in discover(folder) if r != folder]
    if not runs:
        raise LogFormatError(folder, "no training log found in this folder",
                             hint=_FORMATS_HINT)
    if len(runs) > 1:
        names = ", ".join(str(r.relative_to(folder)) for r in runs[:5])
        more = f" and {len(runs) - 5} more" if len(runs) > 5 else ""
        raise LogFormatError(folder, f"holds {len(runs)} runs ({names}{more}); pass one of "
                                     "them, or analyze the folder as a tree")
    run = read_run(runs[0], loss_metric=check.loss_metric, require_loss=check.require_loss)
    run.notes.insert(0, f"the only run in this folder: {runs[0].relative_to(folder)}")
    return run


def _read(info: FormatInfo, path: Path, check: _LossCheck) -> Run:
    run = _module(info).read(path)
    run.format = info.id
    return check(run, path)


def _has_content(path: Path) -> bool:
    with open(path, "rb") as handle:
        return bool(handle.read(4096).strip())


def _read_folder(folder: Path, check: _LossCheck) -> Run:
    """The best reading of a folder: a reader that claims it whole, or its best log file.

    On equal scores the whole-folder reading wins; a full-precision file (Ultralytics
    ``results.csv``, Lightning ``metrics.csv``) outranks the float32 event files beside it.
    """
    candidates = [(score, 1, folder, format_id) for score, format_id in detect(folder)]
    whole = {c[3] for c in candidates}  # a folder reading covers that format's files
    for child in sorted(folder.iterdir()):
        if child.is_file() and not child.name.startswith(".") and _has_content(child):
            for score, format_id in detect(child)[:1]:
                if format_id not in whole:
                    candidates.append((score, 0, child, format_id))
    if not candidates:
        return _read_single_run_below(folder, check)
    best = max(candidates, key=lambda c: (c[0], c[1]))
    run = _read(_BY_ID[best[3]], best[2], check)
    if best[2] != folder:
        run.source = folder
        others = [c[2].name if c[2] != folder else f"the {c[3]} files of the folder"
                  for c in candidates if c is not best]
        if others:
            run.notes.append(f"read {best[2].name}; other log files here were not merged: "
                             f"{', '.join(others)}")
    return run
