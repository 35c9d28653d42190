"""Golden reports: the Markdown and JSON of bundled samples, so that any change to what a
report says shows up as a diff in review.

Regenerate after an intended change with
``REPORTER_REGEN_GOLDEN=1 .venv/bin/pytest tests/report/test_golden.py`` and review the diff.
Confirmation trainings are off (their numbers depend on the machine's torch build); the run's
timing is zeroed and the samples' absolute path is written as ``samples``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import reporter

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
GOLDEN = Path(__file__).parent / "golden"
CASES = ["seed_like", "formats/hf_trainer_state/noisy_shard", "formats/text_log/noisy_shard"]


def _rendered(sample: str) -> dict[str, str]:
    analysis = reporter.analyze(SAMPLES / sample, confirm="off")
    data = analysis.to_dict()
    data["run"]["seconds"] = 0.0
    out = {"report.md": reporter.render(data, "md"),
           "report.json": json.dumps(data, indent=1, sort_keys=True) + "\n"}
    return {name: text.replace(str(SAMPLES), "samples") for name, text in out.items()}


@pytest.mark.parametrize("sample", CASES)
def test_golden_report_matches(sample, monkeypatch):
    monkeypatch.chdir(ROOT)  # paths in reports are shown relative to the working directory
    folder = GOLDEN / sample.replace("/", "__")
    got = _rendered(sample)
    if os.environ.get("REPORTER_REGEN_GOLDEN"):
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in got.items():
            (folder / name).write_text(text, encoding="utf-8")
    for name, text in got.items():
        expected = folder / name
        assert expected.exists(), f"no golden {expected}; regenerate (see module docstring)"
        assert text == expected.read_text(encoding="utf-8"), (
            f"{sample}: {name} differs from {expected.relative_to(ROOT)}; if intended, "
            "regenerate (see module docstring) and review the diff")
