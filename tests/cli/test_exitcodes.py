"""``--fail-on critical|warning``: exit 1 when a finding at or above that level exists, the
reports written all the same; the exit codes in --help (issue 9, item 6)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reporter.cli.main import main

SEED = Path(__file__).resolve().parents[2] / "samples" / "seed_like"


@pytest.mark.parametrize(("level", "code"), [("critical", 1), ("warning", 1), (None, 0)])
def test_seed_like_fails_the_gate_and_still_writes_its_reports(tmp_path, capsys, level, code):
    extra = ["--fail-on", level] if level else []
    assert main(["analyze", str(SEED), "-o", str(tmp_path), "-q", "--confirm", "off",
                 "--format", "json", *extra]) == code
    assert json.loads((tmp_path / "report.json").read_text())["diagnosis"]["severity"] == \
        "critical"
    err = capsys.readouterr().err
    assert ("1 run(s) with a critical finding" in err) == (level is not None)


def test_a_calm_run_passes_the_strictest_gate(tmp_path):
    run = tmp_path / "calm"
    run.mkdir()
    (run / "history.json").write_text(json.dumps(
        {"train_loss": [1.0, 0.8, 0.6, 0.5, 0.45, 0.4, 0.37, 0.35],
         "val_loss": [1.0, 0.85, 0.7, 0.6, 0.55, 0.52, 0.5, 0.49]}))
    assert main(["analyze", str(run), "-o", str(tmp_path / "out"), "-q", "--confirm", "off",
                 "--format", "json", "--fail-on", "warning"]) == 0


def test_help_states_the_exit_codes(capsys):
    assert main(["--help"]) == 0
    top = capsys.readouterr().out
    assert main(["analyze", "--help"]) == 0
    sub = capsys.readouterr().out
    for text in (top, " ".join(sub.split())):
        assert "1 a finding at or above --fail-on" in " ".join(text.split())
        assert "2 bad input or usage" in " ".join(text.split())


def test_an_unknown_level_is_a_usage_error(tmp_path, capsys):
    assert main(["analyze", str(SEED), "--fail-on", "info"]) == 2
    assert "invalid choice: 'info'" in capsys.readouterr().err
