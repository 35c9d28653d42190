"""Every fixture run under tests/data against its expected summary (style.md §12, tomli-like).

``tests/data/expected/<run path>.json`` holds what the canonical ``Run`` of each fixture must
be: format, step kind, meta, notes, and per metric the number of points, the first and last
(step, epoch, value) and the segments. Regenerate after an intended change with
``REPORTER_REGEN_GOLDEN=1 .venv/bin/pytest tests/ingest/test_corpus.py`` and review the diff.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest

from reporter.errors import LogFormatError
from reporter.ingest import discover, read_run

DATA = Path(__file__).resolve().parent.parent / "data"
EXPECTED = DATA / "expected"
RUNS = [p for p in discover(DATA) if EXPECTED not in (p, *p.parents) and not p.name.endswith(
    (".tbparse.json", ".py", ".md"))]


def _num(value) -> object:
    if value is None:
        return None
    value = float(value)
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return round(value, 9)


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, float):
        return _num(obj)
    return obj


def summary(path: Path) -> dict:
    try:
        run = read_run(path)
    except LogFormatError as err:
        return {"error": str(err).replace(str(DATA), "tests/data")}
    metrics = {}
    for name in run.metrics:
        rows = run.series(name)
        metrics[name] = {"points": len(rows), "first": _point(rows.iloc[0]),
                         "last": _point(rows.iloc[-1]),
                         "segments": sorted(set(rows["segment"].tolist()))}
    return {"format": run.format, "name": run.name, "step_kind": run.step_kind,
            "meta": _jsonable(run.meta), "notes": [n.replace(str(DATA), "tests/data")
                                                   for n in run.notes],
            "superseded": 0 if run.superseded is None else len(run.superseded),
            "metrics": metrics}


def _point(row) -> list:
    import pandas as pd

    step = None if pd.isna(row["step"]) else int(row["step"])
    epoch = None if pd.isna(row["epoch"]) else _num(row["epoch"])
    return [step, epoch, _num(row["value"])]


def _expected_path(path: Path) -> Path:
    return EXPECTED / (path.relative_to(DATA).as_posix().replace("/", "__") + ".json")


@pytest.mark.parametrize("path", RUNS, ids=[p.relative_to(DATA).as_posix() for p in RUNS])
def test_fixture_matches_expected_run(path):
    got = summary(path)
    golden = _expected_path(path)
    if os.environ.get("REPORTER_REGEN_GOLDEN"):
        EXPECTED.mkdir(exist_ok=True)
        golden.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n")
    assert golden.exists(), f"no expected summary {golden.name}; regenerate (see docstring)"
    assert got == json.loads(golden.read_text())
