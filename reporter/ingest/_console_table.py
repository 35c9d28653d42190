"""Console tables: a header line of column names, then value rows (issue 7, item 2).

YOLOv5/YOLOv7 ``train.py`` print ``('%10s' * 8) % ('Epoch', 'gpu_mem', 'box', 'obj', 'cls',
'total', 'labels', 'img_size')`` and, as the tqdm description of every batch,
``('%10s' * 2 + '%10.4g' * 6) % (f'{epoch}/{epochs - 1}', mem, *mloss, n, size)`` (0-based
epochs, running means); Ultralytics v8+ prints ``'%11s' * (4 + nl)`` of ``Epoch GPU_mem
box_loss cls_loss dfl_loss Instances Size`` and rows with ``f'{epoch + 1}/{epochs}'`` (1-based).
A row is the header's column count of tokens whose first is an ``N/M`` counter; ``nan``,
``-nan``, ``inf`` in any spelling are values. The last row of an epoch holds its means. The
validator's ``all`` row that follows (YOLOv5/v7 ``test.py``, Ultralytics ``val.py``) gives the
epoch's precision, recall, mAP50 and mAP50-95. A YOLOv7 (or YOLOv5 before v6) ``results.txt``
has no header: one row of 15 columns per epoch (``RESULTS_COLUMNS``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

__all__ = ["ConsoleTable", "TableRow", "loss_parts"]

_COUNTER: Final = re.compile(r"^(\d+)/(\d+)$")
_UNIT: Final = re.compile(r"^([-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+)"
                          r"|(?i:[-+]?nan|[-+]?inf(?:inity)?))([A-Za-z%]*):?$")
_HEADER_WORD: Final = re.compile(r"^[A-Za-z][\w./()@:-]*$")
# YOLOv5/v7 column names as their results.csv / Ultralytics names them
_YOLO_NAMES: Final = {"box": "train/box_loss", "obj": "train/obj_loss", "cls": "train/cls_loss",
                      "total": "train/loss", "box_loss": "train/box_loss",
                      "cls_loss": "train/cls_loss", "dfl_loss": "train/dfl_loss",
                      "obj_loss": "train/obj_loss", "seg_loss": "train/seg_loss",
                      "pose_loss": "train/pose_loss", "kobj_loss": "train/kobj_loss"}
_PART: Final = re.compile(r"^\w+_(?:loss|om|oo)$")  # v8+ parts, YOLOv10 one-to-many/one heads
# the validator's 'all' row: the box metrics as Ultralytics' results.csv names them
_VAL_NAMES: Final = ("metrics/precision", "metrics/recall", "metrics/mAP50", "metrics/mAP50-95")
# YOLOv5 (before v6) / YOLOv7 ``results.txt``: no header; ``train.py`` appends per epoch the
# last tqdm description ``('%10s' * 2 + '%10.4g' * 6) % (f'{epoch}/{epochs - 1}', mem, *mloss,
# labels, img_size)`` then ``'%10.4g' * 7 % results`` (P, R, mAP@.5, mAP@.5:.95 and the
# validation box, obj, cls losses)
RESULTS_COLUMNS: Final = ("epoch", "gpu_mem", "box", "obj", "cls", "total", "labels",
                          "img_size", *_VAL_NAMES, "val/box_loss", "val/obj_loss",
                          "val/cls_loss")
_NOT_METRICS: Final = frozenset({"epoch", "gpu_mem", "labels", "targets", "img_size",
                                 "instances", "size"})


@dataclass(frozen=True)
class TableRow:
    """One value row: the ``N`` of its ``N/M`` counter, ``M``, and the named values."""

    counter: int
    total: int
    values: dict[str, float]


@dataclass
class ConsoleTable:
    """The header seen last and how its rows read; ``row`` is None until a header is seen."""

    columns: list[str] = field(default_factory=list)
    headers: int = 0
    in_val: bool = False
    results: bool = False  # headerless results.txt rows (``results_row``)

    def header(self, text: str) -> bool:
        """Take ``text`` as the new header when it is one (``Epoch`` then column names)."""
        if not text.startswith("Epoch") or "/" in text.split(None, 1)[0]:
            return False
        words = text.split()
        if len(words) < 4 or not all(_HEADER_WORD.match(w) for w in words):
            return False
        if any(_UNIT.match(w) for w in words):
            return False
        self.columns = [w.lower() for w in words]
        self.headers += 1
        return True

    def results_row(self, text: str) -> bool:
        """Take the ``results.txt`` columns when ``text`` is such a headerless row (the
        ``N/M`` counter, a memory like ``7.31G`` and 13 numbers)."""
        if self.columns or not text[:1].isdigit():
            return False
        tokens = text.split()
        if len(tokens) != len(RESULTS_COLUMNS) or not _COUNTER.match(tokens[0]):
            return False
        if not all(_UNIT.match(t) for t in tokens[1:]):
            return False
        self.columns = list(RESULTS_COLUMNS)
        self.results = True
        return True

    def row(self, text: str) -> TableRow | None:
        """The values of a row under the current header, or None when ``text`` is not one."""
        if not self.columns or not text[:1].isdigit():
            return None
        tokens = text.split(None, len(self.columns))[: len(self.columns)]
        if len(tokens) < len(self.columns) or (counter := _COUNTER.match(tokens[0])) is None:
            return None
        values: dict[str, float] = {}
        for name, token in zip(self.columns[1:], tokens[1:], strict=True):
            match = _UNIT.match(token)
            if match is None:
                return None
            if name not in _NOT_METRICS:
                values[_name(name)] = float(match[1])
        return TableRow(int(counter[1]), int(counter[2]), values)

    def val_header(self, text: str) -> bool:
        """The validator's header (``Class Images Labels P R mAP@.5 …``) under a table."""
        words = text.split()
        self.in_val = len(words) >= 6 and words[:2] == ["Class", "Images"]
        return self.in_val

    def val_row(self, text: str) -> dict[str, float] | None:
        """The ``all`` row after a validator header: precision, recall, mAP50, mAP50-95."""
        tokens = text.split()
        if not self.in_val or tokens[:1] != ["all"] or len(tokens) < 7:
            return None
        self.in_val = False
        numbers = [_UNIT.match(t) for t in tokens[3:7]]
        if not all(numbers):
            return None
        return {name: float(m[1]) for name, m in zip(_VAL_NAMES, numbers, strict=True) if m}

    @property
    def one_based(self) -> bool:
        """Ultralytics v8+ (a ``dfl`` loss column) counts epochs from 1; YOLOv5/v7 from 0."""
        return any(c.startswith("dfl") for c in self.columns)

    @property
    def app(self) -> str:
        return "ultralytics" if self.one_based else "yolov7" if self.results else "yolov5"


def _name(column: str) -> str:
    if column in _YOLO_NAMES:
        return _YOLO_NAMES[column]
    return f"train/{column}" if _PART.match(column) else column


def loss_parts(values: Mapping[str, float | None]) -> list[str]:
    """The loss components of a row when it has no total (``train/loss`` is their sum)."""
    if "train/loss" in values:
        return []
    return sorted(n for n in values if n.startswith("train/") and _PART.match(n[6:]))
