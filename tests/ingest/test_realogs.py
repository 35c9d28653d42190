"""Every file of ../shared/realogs (real logs from public projects) is read or refused clearly.

The folder is never copied into the repository; these tests skip when it is absent. Each
file gives a run with a loss series, or a ``LogFormatError`` naming the file and saying why:
``EXPECTED`` lists the refusals, everything else must read.
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

# folder -> the end of the message of the expected refusal
EXPECTED = {
    "r08_config": "hparams.yaml: a YAML file (a config or hparams beside a run, not a log): "
                  "not a training log in any format this version reads",
    "r20_mlflow": "not a metric series; the run's metrics are in its metrics/ folder",
    "r21_wandb": "no history; read the run's run-*.wandb file or wandb-history.jsonl instead",
    "r22_config": "config.yaml: a YAML file (a config or hparams beside a run, not a log): "
                  "not a training log in any format this version reads",
}
# MANIFEST format -> reader id, where they differ
READER = {"detectron2_json": "json_lines"}

pytestmark = pytest.mark.skipif(not FOLDERS, reason=f"no real logs at {REALOGS}")


def _manifest() -> dict[str, str]:
    lines = (REALOGS / "MANIFEST.tsv").read_text().splitlines()[1:]
    return {row.split("\t")[0]: row.split("\t")[-1] for row in lines if row.strip()}


@pytest.mark.parametrize("folder", FOLDERS, ids=[p.name for p in FOLDERS])
def test_realog_read_or_refused_with_reason(folder):
    files = [f for f in sorted(folder.rglob("*")) if f.is_file()]
    assert files
    for file in files:
        if folder.name in EXPECTED:
            with pytest.raises(LogFormatError) as info:
                read_run(file)
            message = str(info.value)
            assert message.startswith(str(file)) and "\n" not in message
            assert message.endswith(EXPECTED[folder.name]) or EXPECTED[folder.name] in message
            continue
        run = read_run(file)
        kind = _manifest().get(folder.name, "")
        assert run.format == READER.get(kind, kind)
        assert any("loss" in m for m in run.metrics), run.metrics
        assert len(run.scalars) > 0


@pytest.mark.parametrize("folder", FOLDERS, ids=[p.name for p in FOLDERS])
def test_realog_folder_reads_like_its_file(folder):
    if folder.name in EXPECTED:
        pytest.skip("refused")
    files = [f for f in folder.rglob("*") if f.is_file()]
    if len(files) == 1:
        assert read_run(folder).scalars.equals(read_run(files[0]).scalars)
