"""Keras ``CSVLogger`` files (formats.md §4), and timm ``summary.csv`` (same shape, §5.4).

Header ``epoch,<sorted log keys>``; ``epoch`` is already the 0-based epoch index; ``NA`` is a
key not logged that epoch, ``nan`` a logged NaN. ``append=True`` reruns add rows whose epoch
goes back (a rerun from scratch starts at 0 again): each such jump starts a new segment, and
the later segment supersedes the earlier rows from its first epoch on. The logged
``learning_rate`` (``lr`` in Keras 2) is the LR used during that epoch.
"""

from __future__ import annotations

from pathlib import Path

from reporter.errors import LogFormatError
from reporter.ingest._csv import CsvRows
from reporter.ingest._sniff import first_line, suffix
from reporter.ingest._table import ScalarTable, check_axis_at, finish_run, parse_float
from reporter.ingest.aliases import canonical_name, is_loss_name
from reporter.ingest.run import EPOCH_SHIFT_NOTE

ID = "keras_csv"


def detect(path: Path) -> float:
    if path.is_dir() or suffix(path) not in (".csv", ".log", ".txt"):
        return 0.0
    header = [h.strip() for h in first_line(path).split(",")]
    if not header or header[0] != "epoch" or "step" in header:
        return 0.0
    return 0.8 if any(is_loss_name(h) for h in header) else 0.3


def read(path: Path):
    csv_rows = CsvRows(path)
    header = csv_rows.header
    epoch_col = csv_rows.column("epoch")
    if epoch_col is None:
        raise LogFormatError(path, f"no 'epoch' column (columns: {', '.join(header)})", line=1)
    notes = csv_rows.notes
    table = ScalarTable()
    names = [canonical_name(h) for h in header]
    meta = _meta(header, names)
    keras_like = meta["framework"] == "keras" or meta.get("app") == "timm"
    base = 0.0 if keras_like else None  # other loops: 1-based if the first epoch is 1
    segment, last_epoch = 0, None
    for line, row in csv_rows.rows():
        if row == header:
            segment += 1
            notes.append(f"line {line}: the header is repeated; a new segment starts")
            last_epoch = None
            continue
        epoch = parse_float(row[epoch_col])
        if epoch is None:
            notes.append(f"line {line}: no epoch number ({row[epoch_col]!r}); row skipped")
            continue
        check_axis_at(path, epoch, line=line)
        if base is None:
            base = 1.0 if epoch == 1 else 0.0
            if base:
                notes.append(f"epoch numbers start at 1; {EPOCH_SHIFT_NOTE}")
                meta["epochs_shifted"] = True
        if last_epoch is not None and epoch <= last_epoch:
            segment += 1
            notes.append(f"line {line}: the epoch goes back from {int(last_epoch)} to "
                         f"{int(epoch)} (rows appended by another fit); a new segment starts")
        last_epoch = epoch
        for col, cell in enumerate(row):
            if col == epoch_col:
                continue
            value = parse_float(cell)
            if value is not None:
                table.add(names[col], value, step=epoch, epoch=epoch - base, segment=segment)
    return finish_run(path, ID, table, step_kind="epoch", notes=notes, meta=meta)


def _meta(header: list[str], names: list[str]) -> dict[str, str]:
    """Keras writes ``loss``/``val_*`` keys; timm ``train_loss``/``eval_*``; others neither."""
    if {"train_loss", "eval_loss"} <= set(header) or "eval_top1" in header:
        return {"framework": "torch", "app": "timm", "lr_timing": "unknown"}  # summary.csv
    if "loss" in header:
        return {"framework": "keras", "lr_timing": "used" if "lr" in names else "unknown"}
    return {"framework": "unknown", "lr_timing": "unknown"}
