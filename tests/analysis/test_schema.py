"""The JSON Schema generated from the Analysis model: pinned per schema_version, and every
report.json validates against it.

Regenerate the pinned copy after an intended change with
``REPORTER_REGEN_GOLDEN=1 .venv/bin/pytest tests/analysis/test_schema.py`` (after bumping
``SCHEMA_VERSION`` in reporter/analysis/model.py when keys changed) and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import reporter
from reporter.analysis.model import SCHEMA_VERSION
from reporter.analysis.schema import json_schema
from reporter.cli.main import main

PINNED = Path(__file__).parent / "data" / "analysis.schema.json"
SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def test_json_schema_keys_change_only_with_a_version_bump():
    got = json_schema()
    if os.environ.get("REPORTER_REGEN_GOLDEN"):
        PINNED.write_text(json.dumps({"schema_version": SCHEMA_VERSION, "schema": got},
                                     indent=1, sort_keys=True) + "\n")
    pinned = json.loads(PINNED.read_text())
    if got != pinned["schema"]:
        if pinned["schema_version"] == SCHEMA_VERSION:
            pytest.fail("the keys of report.json changed without a version bump: raise "
                        "SCHEMA_VERSION in reporter/analysis/model.py, then regenerate "
                        f"{PINNED.name} (see this module's docstring)")
        pytest.fail(f"SCHEMA_VERSION is {SCHEMA_VERSION}: regenerate {PINNED.name}")
    assert pinned["schema_version"] == SCHEMA_VERSION


def test_json_schema_names_every_field_of_every_model_class():
    defs = json_schema()["$defs"]
    assert set(defs["Analysis"]["properties"]) >= {"run", "diagnosis", "options", "patches",
                                                   "schema_version"}
    assert defs["Note"]["properties"] == {"code": {"type": "string"},
                                          "text": {"type": "string"}}
    assert all(d["additionalProperties"] is False for d in defs.values())


# every sample run: seed_like and one per format (issue 9, item 9)
SAMPLE_RUNS = ["seed_like", *sorted(p.relative_to(SAMPLES).as_posix()
                                    for p in SAMPLES.glob("formats/*/*") if p.is_dir())]


def test_every_format_sample_is_validated():
    formats = {p.name for p in (SAMPLES / "formats").iterdir() if p.is_dir()}
    assert len(formats) >= 9 and {s.split("/")[1] for s in SAMPLE_RUNS[1:]} == formats


@pytest.mark.parametrize("sample", SAMPLE_RUNS)
def test_report_json_validates_against_the_schema(sample):
    jsonschema = pytest.importorskip("jsonschema")
    data = json.loads(reporter.render(reporter.analyze(SAMPLES / sample, confirm="off"), "json"))
    jsonschema.validate(data, json_schema())
    assert data["schema_version"] == SCHEMA_VERSION


def test_report_json_with_an_unknown_key_fails_validation():
    jsonschema = pytest.importorskip("jsonschema")
    data = reporter.analyze(SAMPLES / "seed_like", confirm="off").to_dict()
    data["run"]["surprise"] = 1
    with pytest.raises(jsonschema.ValidationError, match="surprise"):
        jsonschema.validate(data, json_schema())


def test_schema_command_prints_the_schema(capsys):
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == json_schema()
    assert main(["schema", "--version-only"]) == 0
    assert capsys.readouterr().out.strip() == str(SCHEMA_VERSION)
