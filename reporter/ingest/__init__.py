"""Read training logs into the canonical ``Run`` (design.md, "The canonical run").

``read_run(path)`` detects the format through the registry in ``reporter.ingest.registry``;
``discover(path)`` lists the runs under a folder and ``read_tree(path)`` reads them all.
Reader modules (and pandas, numpy, torch) are imported only when a path is read.

Keys a reader may put in ``Run.meta`` (absent when the format does not say):

- ``framework``: ``"torch" | "keras" | "hf" | "lightning" | "unknown"``; ``app`` names the tool
  on top (``"ultralytics"``, ``"timm"``, ``"detectron2"``, ``"mmengine"``, ``"sacred"``…);
- ``lr_timing``: ``"used"`` (the LR used for that step/epoch), ``"after_step"`` or
  ``"unknown"``;
- ``epoch_kind``: ``"progress"`` when ``epoch`` counts completed epochs (HF), else the
  0-based index;
- ``granularity``: ``{metric: "step" | "epoch"}`` for Lightning ``_step``/``_epoch`` pairs;
  ``x_axis``: ``{metric: "iteration"}`` for metrics on another x-axis than ``step_kind``;
- ``smoothing`` (``"window mean"``, ``"median of 20 iterations"``), ``rounding`` (decimals),
  ``precision`` (``"float32"``): the values are pre-smoothed, rounded or single precision;
- ``summary``: end-of-run values that are not series points (HF ``train_loss``…);
- format details: ``store``/``run_id``/``run_name``/``status`` (MLflow), ``best_metric``,
  ``global_step``, ``max_steps``… (HF state), ``epoch``/``iter_num`` (checkpoints).
"""

from reporter.ingest.aliases import CANONICAL, canonical_name
from reporter.ingest.discover import discover, read_tree
from reporter.ingest.registry import FORMATS, FormatInfo, detect, formats, read_run
from reporter.ingest.run import Run

__all__ = [
    "CANONICAL",
    "FORMATS",
    "FormatInfo",
    "Run",
    "canonical_name",
    "detect",
    "discover",
    "formats",
    "read_run",
    "read_tree",
]
