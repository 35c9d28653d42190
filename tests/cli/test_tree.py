"""A folder of runs: one report per run, an index ranked by severity, bad runs listed."""

import importlib.util
import json
from pathlib import Path

from reporter.cli.main import main

SEEDLIKE = Path(__file__).parents[1] / "seedlike.py"
_spec = importlib.util.spec_from_file_location("seedlike", SEEDLIKE)
seedlike = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(seedlike)


def test_tree_of_runs_gets_reports_and_a_ranked_index(tmp_path):
    root = tmp_path / "runs"
    seedlike.write_seedlike(root / "unstable")
    calm = root / "calm"
    calm.mkdir(parents=True)
    history = {"train_loss": [1.0, 0.8, 0.6, 0.5, 0.45, 0.4],
               "val_loss": [1.0, 0.85, 0.7, 0.6, 0.55, 0.52]}
    (calm / "history.json").write_text(json.dumps(history))
    broken = root / "broken"
    broken.mkdir()
    (broken / "history.json").write_text('{"train_loss": [1.0, 0.')
    out = tmp_path / "out"
    assert main(["analyze", str(root), "-o", str(out), "-q", "--format", "md,json"]) == 0
    index = json.loads((out / "index.json").read_text())
    names = [r["name"] for r in index["runs"]]
    assert names[0].startswith("unstable") and names[-1].startswith("broken")
    assert index["runs"][0]["severity"] == "critical"
    assert "error" in index["runs"][-1]
    first = out / index["runs"][0]["report"]
    assert first.read_text().startswith("# Training Instability Fix - Loss Spike at Epoch 13")
    assert "Training Runs Ranked by Severity" in (out / "INDEX.md").read_text()


def test_tree_where_every_run_fails_exits_2(tmp_path):
    root = tmp_path / "runs"
    for name in ("a", "b"):
        (root / name).mkdir(parents=True)
        (root / name / "history.json").write_text("{")
    assert main(["analyze", str(root), "-o", str(tmp_path / "out"), "-q"]) == 2
