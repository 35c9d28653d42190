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


# test_fuzz.py: generated inputs each reader survived, {format id: {mutation kind: count}};
# "read" counts the inputs the forced reader read as a Run (the others were refused with a
# located LogFormatError). Printed at the end of the session.
FUZZ_TALLY = pytest.StashKey[dict]()


@pytest.fixture(scope="session")
def fuzz_tally(request) -> dict[str, dict[str, int]]:
    return request.config.stash.setdefault(FUZZ_TALLY, {})


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    tally = config.stash.get(FUZZ_TALLY, None)
    if not tally:
        return
    kinds = sorted({k for counts in tally.values() for k in counts} - {"read"})
    write = terminalreporter.write_line
    terminalreporter.write_sep("-", "ingest fuzz: generated inputs each reader survived")
    write(f"{'reader':<18}" + "".join(f"{k:>10}" for k in kinds) + f"{'total':>8}  read / refused")
    for reader in sorted(tally):
        counts = tally[reader]
        total = sum(counts.get(k, 0) for k in kinds)
        read = counts.get("read", 0)
        write(f"{reader:<18}" + "".join(f"{counts.get(k, 0):>10}" for k in kinds)
              + f"{total:>8}  {read} / {total - read}")
    total = sum(c.get(k, 0) for c in tally.values() for k in kinds)
    write(f"{'all readers':<18}" + " " * 10 * len(kinds) + f"{total:>8}")
