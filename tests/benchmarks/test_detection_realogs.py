"""Every labelled real log of ``../shared/realogs`` (skipped when absent), scored as
``benchmarks/detection.py`` scores it: each labelled anomaly found where it happened (within
the class's time margin, on a metric it shows in), and no finding at warning or above on a
healthy run."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
if str(BENCH) not in sys.path:
    sys.path.append(str(BENCH))

from detection_realogs import evaluate, read_labels  # noqa: E402

REALOGS = Path(os.environ.get("REPORTER_REALOGS", BENCH.parent.parent / "shared" / "realogs"))
needs_realogs = pytest.mark.skipif(not REALOGS.is_dir(), reason=f"no real logs at {REALOGS}")
LABELS = read_labels()
# r05: a PINN whose train loss falls 307 -> 5.81 and holds within 2% for the last 67% of its
# 1000 epochs; the MANIFEST calls it a plateau ("PLATEAU?") because sibling runs of the same
# model reach 0.16-0.19. r06, a healthy run of the same model, holds the same band for 66% of
# its epochs (last-half change -0.7% against r05's -1.1%), at 37% of its first value where
# r05 is at 1.9%: nothing in r05's own log tells it from a converged run.
NEEDS_OTHER_RUNS = {"r05_lightning_csv"}


@pytest.fixture(scope="module")
def scored():
    return {r.entry.folder: r for r in evaluate(REALOGS, LABELS)}


def _params(status: str):
    return [pytest.param(e.folder, marks=pytest.mark.xfail(
        strict=True, reason="judged from sibling runs, not from its own log"))
        if e.folder in NEEDS_OTHER_RUNS else e.folder for e in LABELS if e.status == status]


@needs_realogs
@pytest.mark.parametrize("folder", _params("anomaly"))
def test_realog_labelled_anomaly_is_found_where_it_happened(scored, folder):
    result = scored[folder]
    assert not result.error and result.outcomes["ours"].found, result.ours


@needs_realogs
@pytest.mark.parametrize("folder", _params("healthy"))
def test_realog_healthy_run_raises_nothing_at_warning_or_above(scored, folder):
    result = scored[folder]
    assert not result.error and result.ours == []
