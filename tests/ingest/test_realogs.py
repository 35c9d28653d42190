"""Every file of ../shared/realogs (real logs from public projects) is read or refused clearly.

The folder is never copied into the repository; these tests skip when it is absent. Each
entry gives a run with a loss series, or a ``LogFormatError`` naming the file and the reason.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reporter.errors import LogFormatError
from reporter.ingest import read_run

REALOGS = Path(os.environ.get("REPORTER_REALOGS",
                              Path(__file__).resolve().parents[3] / "shared" / "realogs"))
FOLDERS = sorted(p for p in REALOGS.iterdir() if p.is_dir()) if REALOGS.is_dir() else []

# Folders this version reads, by MANIFEST format; the others must fail with a clear message.
SUPPORTED = {"hf_trainer_state", "lightning_csv", "keras_csv", "history_json", "tfevents",
             "ultralytics_csv",
             "text_log"}
# Not a training log at all: a config file beside a run.
NOT_LOGS = {"config"}


def _manifest() -> dict[str, str]:
    lines = (REALOGS / "MANIFEST.tsv").read_text().splitlines()[1:]
    return {row.split("\t")[0]: row.split("\t")[-1] for row in lines if row.strip()}


pytestmark = pytest.mark.skipif(not FOLDERS, reason=f"no real logs at {REALOGS}")


@pytest.mark.parametrize("folder", FOLDERS, ids=[p.name for p in FOLDERS])
def test_realog_read_or_refused_with_reason(folder):
    kind = _manifest().get(folder.name, "")
    files = [f for f in sorted(folder.rglob("*")) if f.is_file()]
    for file in files:
        if kind in SUPPORTED:
            run = read_run(file)
            assert run.format == kind
            assert any("loss" in m for m in run.metrics), run.metrics
            assert len(run.scalars) > 0
        else:
            try:
                run = read_run(file)
            except LogFormatError as err:
                assert str(err).startswith(str(file)), str(err)
                assert "\n" not in str(err)
                if kind in NOT_LOGS:
                    assert "not a training log" in str(err)
            else:
                assert any("loss" in m for m in run.metrics), (file, run.metrics)
