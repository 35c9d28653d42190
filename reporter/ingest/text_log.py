"""Plain-text training logs: console output saved to a file (formats.md §2, §4, §5.5).

Every line first goes through ``_lines.fragments``: ANSI colours, Windows line endings, the
``> `` quote of a GitHub paste, timestamps, Python ``logging`` and rank prefixes are removed,
and a ``\\r``-rewritten progress bar keeps the last state of each bar. The file is streamed
line by line. Built-in line shapes, tried in this order on every line:

- console tables (``_console_table``): YOLOv5/v7 and Ultralytics ``Epoch gpu_mem box …``
  headers, then ``N/M`` rows (each epoch's last row) and the validator's ``all`` row;
- Hugging Face dict lines ``{'loss': 0.69, 'learning_rate': 5e-05, 'epoch': 0.1}`` (v4 bare
  numbers and ``nan``, v5 quoted strings); ``epoch`` is progress, the step is the row count;
- nanoGPT ``iter 100: loss 2.3456, time 45.67ms`` (optimizer step) and the evaluation lines
  ``step 100: train loss 2.34, val loss 2.45``;
- Keras ``Epoch 3/50`` headers followed by progress lines ``... - loss: 0.52 - val_loss: 0.61``
  (the last values of an epoch win) and ``LearningRateScheduler setting learning rate to x``;
- lines led by an x-axis word: ``Epoch [3/50], Step [100/600], Loss: 0.12``,
  ``Epoch 3/50 - Train Loss: 0.5, Val Loss: 0.6, LR: 0.001``, ``Step 7 -- Train loss: 1.6``
  with ``name: value`` or ``name=value`` pairs (a tqdm bar ``Epoch 3: 100%|…| loss=…`` keeps
  the epoch's last state); fairseq's ``epoch 001:  100 / 1000 loss=…, num_updates=100``
  takes ``num_updates`` as the step;
- mmengine ``Epoch(train) [3][100/500]  lr: …  loss: …`` and ``Epoch(val) [3][8/8]  metric: …``.

When none of them matches in the first ``MAX_LINES`` lines, the repeated line templates of the
file are found by ``_templates.mine`` (a counter and named numbers: mlx-lm ``Iter 75: Train
loss 3.316, …``, BigDL ``[Epoch 1 …][Iteration 42] … Loss is Infinity.``) and read; a note and
``meta["templates"]`` name them. A refusal carries a ``--pattern`` built from the file's most
frequent line.

``pattern=`` replaces them with a user regex: named groups ``step``, ``epoch`` (0-based
unless it starts at 1), ``iter``/``iteration`` give the x-axis, every other named group is a
metric. An epoch counter that goes back (a second session in the same file) starts a new
segment.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from reporter.errors import LogFormatError, UsageError
from reporter.ingest._console_table import ConsoleTable, TableRow, loss_parts
from reporter.ingest._fast_templates import feed_templates, template_rows
from reporter.ingest._fast_text import feed
from reporter.ingest._fatal import FatalLines
from reporter.ingest._lines import fragments, rank_labelled
from reporter.ingest._sniff import head_text, suffix
from reporter.ingest._table import AXIS_LIMIT, AxisRangeError, finish_run, parse_float
from reporter.ingest._templates import MAX_LINES, Template, mine, pattern_hint
from reporter.ingest.aliases import canonical_name
from reporter.ingest.run import EPOCH_SHIFT_NOTE, PRINTED
from reporter.report.filters import fmt_x

ID = "text_log"
SUFFIXES = ("", ".log", ".txt", ".out", ".md", ".err", ".stdout", ".text")
NUM = (r"[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?"
       r"|(?i:nan|infinity|inf)(?![A-Za-z]))")
_HF_PAIR = re.compile(rf"'([^']+)':\s*'?({NUM})'?")
_NANOGPT_ITER = re.compile(rf"^iter (\d+): loss ({NUM})")
_NANOGPT_EVAL = re.compile(rf"^step (\d+): train loss ({NUM}), val loss ({NUM})")
_KERAS_EPOCH = re.compile(r"^\s*Epoch (\d+)/(\d+)\s*$")
_KERAS_LR = re.compile(rf"Epoch (\d+): LearningRateScheduler setting learning rate to ({NUM})")
_KERAS_PROGRESS = re.compile(r"(\d+/\d+ .*?(?:step|\]))|(^\d+/\d+ - )")
_MMENGINE = re.compile(r"Epoch\((train|val)\)\s*\[(\d+)\]\[\s*(\d+)/(\d+)\]")
_LEAD = re.compile(r"^\W*(epoch|step|iter|iteration)\s*\[?\s*(\d+)\s*(?:/\s*(\d+))?\s*\]?",
                   re.IGNORECASE)
_INNER_STEP = re.compile(r"\b(?:step|iter|batch)\s*\[?\s*(\d+)\s*/\s*(\d+)\s*\]?", re.IGNORECASE)
_FRACTION = re.compile(r":?\s*(\d+)\s*/\s*(\d+)")
_PAIR = re.compile(rf"([A-Za-z_][\w.]*(?:[ /][A-Za-z_][\w.]*){{0,2}})\s*[:=]\s*({NUM})(?![\w.])")
_SIGNATURES = (re.compile(r"^\s*Epoch \d+/\d+\s*$", re.M), re.compile(r"\{'(?:loss|eval_)"),
               re.compile(r"^iter \d+: loss", re.M), re.compile(r"Epoch \[\d+/\d+\]"),
               re.compile(r"Epoch\((?:train|val)\)\s*\[\d+\]\["),
               re.compile(r"(?m)^Epoch\s+(?:gpu_mem|GPU_mem)\s"),
               re.compile(r"(?m)^\s*\d+/\d+\s+[\d.]+[GM]?(?:\s+\S+){13}\s*$"),  # results.txt
               re.compile(rf"(?im)^\W*(?:epoch|step|iter|iteration)\s*\[?\d+.*loss\w*\s*[:=]\s*{NUM}"))
_AXIS_WORDS = {"epoch": "epoch", "step": "step", "iter": "step", "iteration": "step"}
_HF_SUMMARY = ("train_runtime", "train_samples_per_second", "train_steps_per_second",
               "total_flos", "train_loss")
_ORPHANS = 64  # lines kept before a console table's first header (a paste starting mid-table)
_SKIP_NAMES = frozenset({"time", "eta", "mfu", "epoch", "step", "iter", "iteration", "v_num"})


def detect(path: Path) -> float:
    if path.is_dir() or suffix(path) not in SUFFIXES:
        return 0.0
    text = head_text(path, 16384)
    if "\x00" in text:
        return 0.0
    lines = text.split("\n")
    text = "\n".join(piece for _, piece in fragments(lines, ranks=rank_labelled(lines[:-1])))
    if any(sig.search(text) for sig in _SIGNATURES):
        return 0.6 if suffix(path) != ".md" else 0.5
    return 0.4 if mine(text.split("\n")) else 0.0


def _lines(path: Path) -> Iterator[str]:
    with _open(path) as handle:
        for _, text in fragments(handle, ranks=_ranks(path)):
            yield text


def _ranks(path: Path) -> bool:
    """Whether every line of the file's head is labelled by ``srun --label`` (``0: ``)."""
    return rank_labelled(head_text(path, 16384).split("\n")[:-1])


_SHAPES = {"hf": "Hugging Face dict lines", "nanogpt": "nanoGPT iter/step lines",
           "keras": "Keras epoch and progress lines", "epoch": "lines led by an epoch counter",
           "step": "lines led by a step/iter counter",
           "table": "a console table (a header of column names, then N/M rows)"}


def explain(path: Path) -> list[str]:
    """How ``reporter formats --explain`` describes a text log: its line shapes or templates."""
    parser = _read_lines(path, _Parser(), None, probe=True)
    if len(parser.table):
        shapes = ", ".join(_SHAPES.get(k, k) for k in sorted(parser.kinds))
        app = f" ({parser.meta['app']})" if "app" in parser.meta else ""
        return [f"built-in line shapes{app}: {shapes}"]
    templates = mine(_lines(path))
    if not templates:
        return ["no known line shape and no repeated line template with a counter and a "
                f"named number; {_hint(path)}"]
    return [f"template ({t.count} lines seen): {t.text()}" for t in templates]


def read(path: Path, *, pattern: str | None = None):
    user = _compile(pattern) if pattern else None
    parser = _Parser()
    try:
        _read_lines(path, parser, user, probe=user is None)
        if user is None and not len(parser.table):
            parser = _read_templates(path) or _read_lines(path, _Parser(), None, probe=False)
    except AxisRangeError as err:
        raise LogFormatError(path, str(err), line=parser.number) from err
    if not len(parser.table):
        why = "no line matches the given pattern" if user else \
            "no line matches a known training-log pattern or a repeated line template"
        raise LogFormatError(path, why, hint=_hint(path))
    meta = {"framework": parser.framework, "lr_timing": parser.lr_timing, **parser.meta,
            **parser.fatal.meta()}
    return finish_run(path, ID, parser.table, step_kind=parser.step_kind(),
                      notes=parser.notes + parser.shift_notes(),
                      meta={**meta, **parser.shift_meta()})


def _read_lines(path: Path, parser: _Parser, user: re.Pattern[str] | None, *,
                probe: bool) -> _Parser:
    """The file through the built-in shapes (or ``user``); with ``probe``, give up after
    ``MAX_LINES`` lines that match none (a template may read the file instead).

    Once a point is read, the plain lines are read in bulk (``_fast_text``);
    ``REPORTER_TEXT_SLOW=1`` reads every line one by one (the benchmark's baseline, the
    tests' reference).
    """
    if user is None and not os.environ.get("REPORTER_TEXT_SLOW"):
        with _open_binary(path) as handle:
            if not feed(handle, parser, probe_lines=MAX_LINES if probe else None,
                        ranks=_ranks(path)):
                return parser
        parser.flush()
        return parser
    with _open(path) as handle:
        for parser.number, fragment in fragments(handle, ranks=_ranks(path)):
            if user is not None:
                parser.user_line(user, fragment, parser.number)
                continue
            parser.line(fragment, parser.number)
            if probe and parser.number >= MAX_LINES and not len(parser.table):
                return parser
    parser.flush()
    return parser


def _read_templates(path: Path) -> _Parser | None:
    """The file read with the line templates found in it, or None when it holds none."""
    templates = mine(_lines(path))
    if not templates:
        return None
    parser = _Parser()
    if os.environ.get("REPORTER_TEXT_SLOW"):
        with _open(path) as handle:
            for parser.number, text in fragments(handle, ranks=_ranks(path)):
                parser.template_line(templates, text, parser.number)
    else:
        with _open_binary(path) as handle:
            feed_templates(handle, parser, templates, ranks=_ranks(path))
    used = [t for t in templates if t.key in parser.templates_used]
    parser.meta["templates"] = [t.text() for t in used]
    parser.notes.append("read with the line template" + ("s" if len(used) > 1 else "") +
                        " found in the file: " + "; ".join(f"`{t.text()}`" for t in used))
    return parser


def refusal_hint(path: Path) -> str | None:
    """The ``--pattern`` hint for a text file no format claims; None for a binary file."""
    if path.is_dir() or suffix(path) not in SUFFIXES:
        return None
    text = head_text(path, 16384)
    if "\x00" in text or text.count("\ufffd") > len(text) // 100:
        return None
    return _hint(path)


def _hint(path: Path) -> str:
    hint = pattern_hint(_lines(path))
    if hint is None:
        return ("no line holds a number; describe the lines with --pattern, e.g. "
                "'it (?P<step>\\d+) loss=(?P<loss>\\S+)'")
    return f"describe the lines with --pattern, e.g. from the most frequent line: '{hint}'"


def _compile(pattern: str) -> re.Pattern[str]:
    try:
        regex = re.compile(pattern)
    except re.error as err:
        raise UsageError(f"--pattern is not a valid regular expression: {err}") from err
    metrics = [g for g in regex.groupindex if g.lower() not in _AXIS_WORDS]
    if not metrics:
        raise UsageError("--pattern needs at least one named group for a metric, e.g. "
                         "(?P<loss>\\S+)")
    return regex


def _open_binary(path: Path):
    try:
        return open(path, "rb")
    except OSError as err:
        raise LogFormatError(path, f"cannot read the file ({err.strerror})") from err


def _open(path: Path):
    try:
        return open(path, encoding="utf-8", errors="replace", newline="\n")  # \r: _lines
    except OSError as err:
        raise LogFormatError(path, f"cannot read the file ({err.strerror})") from err


class _Parser:
    """Line-by-line state: current epoch, counters, segments, and the points read."""

    def __init__(self) -> None:
        from reporter.ingest._compact import CompactTable

        self.table = CompactTable()
        self.notes: list[str] = []
        self.meta: dict[str, Any] = {"precision": PRINTED}
        self.framework = "unknown"
        self.lr_timing = "unknown"
        self.kinds: dict[str, int] = {}
        self.epoch: float | None = None  # Keras: 0-based epoch of the lines that follow
        self.rows = 0
        self.segment = 0
        self.last_x: dict[str, float] = {}
        self.one_based: dict[str, bool] = {}
        self.pending: dict[str, float | None] = {}  # Keras: the epoch's latest progress values
        self.console = ConsoleTable()
        self.templates_used: set[tuple[str, ...]] = set()
        self.number = 0  # the line being read
        self.table_row: tuple[float, dict[str, float | None]] | None = None  # latest values
        self.orphans: list[tuple[int, str]] = []  # lines that may be rows before a header
        self.fatal = FatalLines()  # tracebacks, OOM, NCCL timeouts... with their lines

    def flush(self) -> None:
        """Write the last progress values of the current Keras epoch or table epoch."""
        self._flush_table()
        for key, value in self.pending.items():
            self.add(key, value, step=self.epoch, epoch=self.epoch)
        self.pending = {}

    def bulk_ready(self) -> bool:
        """Whether lines the parser would skip may be skipped unseen (``_fast_text``): no
        traceback, Keras epoch or console table in progress."""
        return (not self.console.columns and self.epoch is None and not self.pending
                and self.table_row is None and not self.fatal.in_traceback)

    def orphans_open(self) -> bool:
        """Whether lines that may be table rows before a header are still collected."""
        return not self.console.headers and len(self.orphans) < _ORPHANS

    def bulk_iter(self, steps: Any, values: Any) -> bool:
        """nanoGPT ``iter N: loss X`` lines in bulk, as ``_nanogpt`` reads them one by one;
        False (nothing read) when a step goes back or is beyond ``AXIS_LIMIT``."""
        last = self.last_x.get("iter")
        if ((last is not None and steps[0] < last) or (steps[1:] < steps[:-1]).any()
                or (abs(steps) >= AXIS_LIMIT).any()):
            return False
        self.last_x["iter"] = float(steps[-1])
        self.table.extend(canonical_name("train/loss"), values, steps=steps,
                          segment=self.segment)
        self.kinds["nanogpt"] = self.kinds.get("nanogpt", 0) + len(steps)
        self.framework = "torch"
        return True

    def _count(self, kind: str) -> None:
        self.kinds[kind] = self.kinds.get(kind, 0) + 1

    def step_kind(self) -> str:
        kind = max(self.kinds, key=self.kinds.get) if self.kinds else "row"
        return {"hf": "row", "nanogpt": "optimizer_step", "keras": "epoch", "epoch": "epoch",
                "step": "iteration", "user": "iteration", "table": "epoch"}.get(kind, "row")

    def _advance(self, axis: str, x: float, number: int) -> None:
        """A new segment when an axis goes back (a second session appended to the file)."""
        last = self.last_x.get(axis)
        if last is not None and x < last:
            self.segment += 1
            self.last_x.clear()
            self.notes.append(f"line {number}: the {axis} goes back from {fmt_x(last)} to "
                              f"{fmt_x(x)}; a new segment starts")
        self.last_x[axis] = x

    def add(self, name: str, value: float | None, *, step: float | None,
            epoch: float | None) -> None:
        if value is not None:
            self.table.add(canonical_name(name), value, step=step, epoch=epoch,
                           segment=self.segment)

    def line(self, text: str, number: int) -> None:
        self.fatal.see(number, text, len(self.table))
        if self.console.columns and self._table_line(text, number):
            return
        if text.startswith("Epoch") and self.console.header(text):
            self._flush_table()
            if self.console.headers == 1:  # a paste often starts inside a table
                for earlier, line in self.orphans:
                    self._table_line(line, earlier)
                self._flush_table()
            self.orphans = []
            return
        # a results.txt starts with its rows: none is taken once points were read (so the
        # bulk reader, which runs only then, may skip such lines unseen)
        if not self.console.columns and not len(self.table) and self.console.results_row(text):
            self._table_line(text, number)
            return
        if not self.console.headers and len(self.orphans) < _ORPHANS and (
                text[:1].isdigit() or text.startswith(("Class", "all"))):
            self.orphans.append((number, text))
        self._shape(text, number)

    def _table_line(self, text: str, number: int) -> bool:
        """A console-table row or validator line (under a table header); False if neither."""
        if (row := self.console.row(text)) is not None:
            self._table_row(row, number)
        elif text.startswith("Class") and self.console.val_header(text):
            pass
        elif (text.startswith("all") and self.table_row is not None
              and (values := self.console.val_row(text)) is not None):
            self.table_row[1].update(values)
        else:
            return False
        return True

    def _table_row(self, row: TableRow, number: int) -> None:
        """A console-table row; the last row of an epoch (its running means) is kept."""
        epoch = float(row.counter - (1 if self.console.one_based else 0))
        self._hold(epoch, row.values, number)
        self._count("table")
        self.meta["app"] = self.console.app

    def _hold(self, epoch: float, values: dict[str, float | None], number: int) -> None:
        """Keep an epoch's latest values (a bar rewritten in place); write them when the
        epoch changes."""
        if self.table_row is not None and self.table_row[0] != epoch:
            self._flush_table()
        if self.table_row is None:
            self._advance("epoch", epoch, number)
            self.table_row = (epoch, {})
        self.table_row[1].update(values)

    def _flush_table(self) -> None:
        if self.table_row is None:
            return
        epoch, values = self.table_row
        self.table_row = None
        for key, value in values.items():
            self.add(key, value, step=epoch, epoch=epoch)
        parts = loss_parts(values)
        if parts:
            total = sum(values[p] or 0.0 for p in parts) if all(
                values[p] is not None for p in parts) else None
            self.add("train/loss", total, step=epoch, epoch=epoch)
            note = (f"train/loss is the sum of {', '.join(parts)} (the console table prints "
                    "no total)")
            if note not in self.notes:
                self.notes.append(note)

    def _shape(self, text: str, number: int) -> None:
        if text.startswith("{") and "'" in text:
            self._hf(text, number)
        elif text.startswith(("iter ", "step ")) and self._nanogpt(text, number):
            return
        elif (match := _KERAS_EPOCH.match(text)) is not None:
            self.flush()
            epoch = float(match[1]) - 1
            self._advance("keras epoch", epoch, number)
            self.epoch = epoch
        elif (match := _KERAS_LR.search(text)) is not None:
            self._count("keras")
            epoch = float(match[1]) - 1
            self.add("lr", parse_float(match[2]), step=epoch, epoch=epoch)
            self.framework, self.lr_timing = "keras", "used"
        elif self.epoch is not None and _KERAS_PROGRESS.search(text):
            self._keras_progress(text)
        elif (match := _LEAD.match(text)) is not None:
            self._lead(match, text, number)
        elif "Epoch(" in text and (match := _MMENGINE.search(text)) is not None:
            self._mmengine(match, text, number)

    def _hf(self, text: str, number: int) -> None:
        pairs = {k: parse_float(v) for k, v in _HF_PAIR.findall(text)}
        known = any(k in pairs for k in ("loss", "learning_rate", "train_runtime"))
        if not known and not any(k.endswith("_loss") for k in pairs):
            return
        self._count("hf")
        self.framework = "hf"
        self.meta["epoch_kind"] = "progress"
        if "train_runtime" in pairs:
            self.meta["summary"] = {k: v for k, v in pairs.items() if k in _HF_SUMMARY}
            return
        epoch = pairs.pop("epoch", None)
        if epoch is not None:
            self._advance("epoch", epoch, number)
        self.rows += 1
        for key, value in pairs.items():
            self.add(key, value, step=self.rows, epoch=epoch)

    def _nanogpt(self, text: str, number: int) -> bool:
        if (match := _NANOGPT_ITER.match(text)) is not None:
            step = float(match[1])
            self._advance("iter", step, number)
            self.add("train/loss", parse_float(match[2]), step=step, epoch=None)
            for key, value in _PAIR.findall(text[match.end():]):
                if key == "lr":
                    self.add("lr", parse_float(value), step=step, epoch=None)
        elif (match := _NANOGPT_EVAL.match(text)) is not None:
            step = float(match[1])
            self.add("eval_train_loss", parse_float(match[2]), step=step, epoch=None)
            self.add("val/loss", parse_float(match[3]), step=step, epoch=None)
        else:
            return False
        self._count("nanogpt")
        self.framework = "torch"
        return True

    def _keras_progress(self, text: str) -> None:
        pairs = _PAIR.findall(text)
        if not pairs:
            return
        self._count("keras")
        self.framework = "keras"
        for key, value in pairs:
            if key.lower() in ("lr", "learning_rate"):
                self.lr_timing = "used"
            self.pending[key] = parse_float(value)

    def _lead(self, match: re.Match[str], text: str, number: int) -> None:
        pairs = [(k, v) for k, v in _PAIR.findall(text[match.end():])
                 if k.lower() not in _SKIP_NAMES]
        if not pairs:
            return
        axis = _AXIS_WORDS[match[1].lower()]
        x = float(match[2])
        if axis == "epoch" and not self.one_based.setdefault("epoch", x == 1 or bool(match[3])):
            epoch = x
        elif axis == "epoch":
            epoch = x - 1
        else:
            epoch = None
        step = epoch if axis == "epoch" else x
        updates = next((parse_float(v) for k, v in pairs if k == "num_updates"), None)
        if updates is not None:  # fairseq simple format: 'epoch 001:    100 / 1000 loss=...'
            pairs = [(k, v) for k, v in pairs if k != "num_updates"]
            fraction = _FRACTION.match(text, match.end())
            if fraction is not None and epoch is not None and float(fraction[2]) > 0:
                epoch += float(fraction[1]) / float(fraction[2])
            self._advance("step", updates, number)
            self._count("step")
            self.meta["app"] = "fairseq"
            for key, value in pairs:
                self.add(key, parse_float(value), step=updates, epoch=epoch)
            return
        inner = _INNER_STEP.search(text, match.end())
        # Epoch [3/50], Step [100/600] (a zero count reads as no inner step)
        if axis == "epoch" and inner is not None and float(inner[2]) > 0:
            per_epoch = float(inner[2])
            step = epoch * per_epoch + float(inner[1])
            epoch = epoch + float(inner[1]) / per_epoch
            axis = "step"
        if axis == "epoch" and "%|" in text:  # a tqdm bar (Lightning): the epoch's last state
            self._count("epoch")
            self._hold(step, {k: parse_float(v) for k, v in pairs}, number)
            return
        self._advance(axis, step, number)
        self._count(axis)
        for key, value in pairs:
            self.add(key, parse_float(value), step=step, epoch=epoch)

    def _mmengine(self, match: re.Match[str], text: str, number: int) -> None:
        """``Epoch(train) [E][i/N]  lr: ...  loss: ...``; val lines at the epoch's last step."""
        epoch = float(match[2]) - 1
        pairs = [(k, v) for k, v in _PAIR.findall(text[match.end():])
                 if k.lower() not in _SKIP_NAMES]
        self._count("step")
        self.framework = "unknown"
        self.meta["app"] = "mmengine"
        if match[1] == "train":
            step = epoch * float(match[4]) + float(match[3])
            self._advance("step", step, number)
            for key, value in pairs:
                self.add(key, parse_float(value), step=step, epoch=epoch)
            return
        step = self.last_x.get("step")
        for key, value in pairs:
            if key not in ("data_time",):
                self.add(key if key.startswith("val") else f"val/{key}", parse_float(value),
                         step=step, epoch=epoch)

    def template_line(self, templates: list[Template], text: str, number: int) -> None:
        """A line of a template found by ``_templates.mine``; its counter gives the x-axis."""
        self.fatal.see(number, text, len(self.table))
        for template in templates:
            if (numbers := template.values(text)) is not None:
                break
        else:
            return
        self.templates_used.add(template.key)
        slot_value = [parse_float(n) for n in numbers]
        epoch = None if template.epoch_slot is None else slot_value[template.epoch_slot]
        step = None if template.step_slot is None else slot_value[template.step_slot]
        if epoch is not None:
            if self.one_based.setdefault("epoch", epoch == 1):
                epoch -= 1
            if step is None:
                self._advance("epoch", epoch, number)
        if step is not None:
            self._advance("step", step, number)
        self._count("step" if step is not None else "epoch")
        for name, value in zip(template.names, slot_value, strict=True):
            if name is not None and name not in _SKIP_NAMES:
                self.add(name, value, step=step if step is not None else epoch, epoch=epoch)

    def bulk_templates(self, templates: list[Template], which: Any,
                       numbers: list[tuple[bytes, ...]]) -> bool:
        """Template lines in bulk (``which``: each line's template index; ``numbers``: its
        numbers' bytes), as ``template_line`` reads them one by one; False (nothing read)
        when a counter goes back or is beyond ``AXIS_LIMIT``."""
        rows = template_rows(templates, which, numbers, self.one_based.get("epoch"),
                             _SKIP_NAMES)
        if rows is None:
            return False
        for axis, (first, _) in rows.ends.items():
            if axis in self.last_x and first < self.last_x[axis]:
                return False
        if rows.one_based is not None:
            self.one_based.setdefault("epoch", rows.one_based)
        for axis, (_, last) in rows.ends.items():
            self.last_x[axis] = last
            self.kinds[axis] = self.kinds.get(axis, 0) + rows.counts[axis]
        self.templates_used.update(templates[i].key for i in rows.used)
        self.table.extend_points([canonical_name(n) for n in rows.names], rows.metric,
                                 rows.values, steps=rows.steps, epochs=rows.epochs,
                                 segment=self.segment)
        return True

    def user_line(self, regex: re.Pattern[str], text: str, number: int) -> None:
        self.fatal.see(number, text, len(self.table))
        match = regex.search(text)
        if match is None:
            return
        groups = {k: v for k, v in match.groupdict().items() if v is not None}
        epoch = parse_float(groups.pop("epoch", "") or "")
        step = None
        for key in ("step", "iter", "iteration"):
            if key in groups:
                step = parse_float(groups.pop(key))
        if epoch is not None:
            if self.one_based.setdefault("epoch", epoch == 1):
                epoch -= 1
            self._advance("epoch", epoch, number)
        if step is not None:
            self._advance("step", step, number)
        self._count("user" if step is not None else "epoch")
        for key, value in groups.items():
            self.add(key, parse_float(value), step=step if step is not None else epoch,
                     epoch=epoch)

    def shift_meta(self) -> dict[str, bool]:
        return {"epochs_shifted": True} if self.one_based.get("epoch") else {}

    def shift_notes(self) -> list[str]:
        if self.one_based.get("epoch"):
            return [f"epoch numbers start at 1 in the log; {EPOCH_SHIFT_NOTE}"]
        return []
