"""Ultralytics conventions shared by its CSV and TensorBoard outputs (formats.md §5.1).

Ultralytics logs loss components (``train/box_loss``, ``train/cls_loss``, ``train/dfl_loss``,
``seg_loss``, ``pose_loss``…; YOLOv10 one head of each: ``train/box_om`` one-to-many,
``train/box_oo`` one-to-one) and no total: ``train/loss`` and ``val/loss`` are their sum at
each epoch where every component was logged (NaN where one of them is NaN), with a note;
the parts are kept.

What that sum is, read from the ultralytics source: ``v8DetectionLoss.__call__``
(``ultralytics/utils/loss.py``) multiplies each part by its gain (``hyp.box`` 7.5, ``hyp.cls``
0.5, ``hyp.dfl`` 1.5 by default) and returns ``(loss * batch_size, loss.detach())`` (older
releases: ``loss.sum() * batch_size``); ``BaseTrainer._do_train`` (``engine/trainer.py``) optimises
``loss.sum()`` and logs the detached, gain-weighted parts as their running mean over the
epoch's batches (``tloss``). YOLOv10 (THU-MIG/yolov10, ``v10DetectLoss``) optimises the sum of
both heads' totals and logs ``torch.cat`` of their parts under the six ``*_om``/``*_oo``
names. So the sum of the logged parts is the optimised loss divided by the batch size (and
by the world size under DDP), averaged over the epoch's batches. Its optimizer puts biases in
param group 0 (with their own warm-up from ``warmup_bias_lr``), weights with decay in group
1 and norm weights in group 2, so ``lr/pg1`` (YOLOv5: ``x/lr1``) is the run's ``lr``.
"""

from __future__ import annotations

import re
from typing import Any

COMPONENT = re.compile(r"^(train|val)/(\w+)_(?:loss|om|oo)$")
LR_WEIGHTS = ("lr/pg1", "x/lr1")
# what the summed parts are (see the module docstring for the source lines)
_HOW = {"train": "its trainer optimises the sum of these gain-weighted parts (times the batch "
                 "size) and logs each part as its mean over the epoch's batches",
        "val": "its validator logs each gain-weighted part as its mean over the validation "
               "batches"}
_MARKERS = ("train/box_loss", "train/cls_loss", "metrics/mAP50(B)", "metrics/mAP50-95(B)",
            "metrics/accuracy_top1", "train/pose_loss", "train/seg_loss")


def is_ultralytics(names: set[str] | list[str]) -> bool:
    return any(name.strip() in _MARKERS for name in names)


def ultralytics_frame(table: Any, notes: list[str]) -> tuple[Any, dict[str, Any]]:
    """Add the summed losses, name the LR; ``table`` has raw names and an epoch column."""
    import pandas as pd

    names = set(table["metric"].unique())
    added = []
    parts_of: dict[str, list[str]] = {}
    for split in ("train", "val"):
        parts = sorted(n for n in names if (m := COMPONENT.match(n)) and m[1] == split)
        if not parts or f"{split}/loss" in names:
            continue
        rows = table[table["metric"].isin(parts)].drop_duplicates(["metric", "step"], keep="last")
        wide = rows.pivot(index="step", columns="metric", values="value")
        # at a step where every part was logged, a NaN part makes the total NaN (a step
        # where a part is missing has no total)
        logged = rows.groupby("step").size().reindex(wide.index) == len(parts)
        total = wide[parts].sum(axis=1, skipna=False)[logged]
        first = rows.drop_duplicates("step", keep="last").set_index("step")
        added.append(pd.DataFrame({
            "metric": f"{split}/loss", "step": total.index.to_numpy(),
            "epoch": first.loc[total.index, "epoch"].to_numpy(),
            "wall_time": first.loc[total.index, "wall_time"].to_numpy(),
            "value": total.to_numpy(),
            "segment": first.loc[total.index, "segment"].to_numpy()}))
        parts_of[f"{split}/loss"] = parts
        notes.append(f"{split}/loss is the sum of {', '.join(parts)}, kept beside it: "
                     f"Ultralytics logs no total; {_HOW[split]}")
    lr = next((n for n in LR_WEIGHTS if n in names), None)
    if lr is not None:
        table = table.assign(metric=table["metric"].replace({lr: "lr"}))
        notes.append(f"lr is {lr}, a weights' parameter group (the biases' group, with its "
                     "own warm-up, is group 0 up to Ultralytics 8.3 and group 2 from 8.4)")
    table = pd.concat([table, *added], ignore_index=True) if added else table
    meta: dict[str, Any] = {"framework": "unknown", "app": "ultralytics", "lr_timing": "used"}
    if parts_of:
        meta["loss_parts"] = parts_of  # a derived metric: the parts it is the sum of
    return table, meta
