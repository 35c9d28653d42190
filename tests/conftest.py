"""Shared fixtures: runs built from plain per-epoch lists, paths to the samples."""

from __future__ import annotations

import os
from pathlib import Path

# Keras (an optional test dependency) must run on torch here: no TensorFlow is installed
os.environ.setdefault("KERAS_BACKEND", "torch")
# the trial cache of `reporter analyze` goes to a folder of this test session, never the user's
# (subprocesses inherit it), so no test reads a training an earlier session stored
if "REPORTER_CACHE_DIR" not in os.environ:
    import atexit
    import shutil
    import tempfile

    os.environ["REPORTER_CACHE_DIR"] = tempfile.mkdtemp(prefix="reporter-test-cache-")
    atexit.register(shutil.rmtree, os.environ["REPORTER_CACHE_DIR"], ignore_errors=True)

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
REALOGS = ROOT.parent / "shared" / "realogs"


def epoch_run(name: str = "synthetic", **series: list[float]):
    """A Run whose metrics (canonical names with ``/`` written as ``__``) are per-epoch lists."""
    import pandas as pd

    from reporter.ingest.run import Run

    rows = []
    for key, values in series.items():
        metric = key.replace("__", "/")
        for i, v in enumerate(values):
            rows.append({"metric": metric, "step": float(i), "epoch": float(i),
                         "wall_time": None, "value": float(v), "segment": 0})
    frame = pd.DataFrame(rows, columns=["metric", "step", "epoch", "wall_time", "value",
                                        "segment"])
    return Run(name=name, source=Path(name), format="test", scalars=frame, step_kind="epoch")


@pytest.fixture
def make_run():
    return epoch_run


def datapath(*parts: str) -> Path:
    """A file under tests/data that must exist."""
    path = ROOT / "tests" / "data" / Path(*parts)
    if not path.exists():
        raise FileNotFoundError(f"test data missing: {path}")
    return path
