"""Fixtures of the ingest tests: ``datapath`` and ``all_readers`` (style.md §5, §12)."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent.parent / "data"
REALOGS = Path(__file__).resolve().parents[3] / "shared" / "realogs"

# One real-framework fixture per reader, with what every reader must give for it.
READER_CASES = {
    "hf_trainer_state": ("hf_trainer_state/eval_and_summary.json", "hf", "optimizer_step"),
    "lightning_csv": ("lightning_csv/sparse_lr_monitor.csv", "lightning", "optimizer_step"),
    "keras_csv": ("keras_csv/append_rerun_na_cells.csv", "keras", "epoch"),
    "torch_checkpoint": ("torch_checkpoint/history_dict.pt", "torch", "epoch"),
    "history_json": ("history_json/dict_of_lists.json", "unknown", "epoch"),
}


@pytest.fixture
def datapath():
    """Resolve a path under tests/data/; a missing fixture fails loudly."""

    def resolve(*parts: str) -> Path:
        path = DATA.joinpath(*parts)
        if not path.exists():
            raise FileNotFoundError(f"missing fixture {path}")
        return path

    return resolve


@pytest.fixture(params=sorted(READER_CASES), ids=sorted(READER_CASES))
def all_readers(request, datapath):
    """(format id, fixture path, framework, step kind) for every reader."""
    relpath, framework, step_kind = READER_CASES[request.param]
    return request.param, datapath(relpath), framework, step_kind
