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


def _tree(root):
    seedlike.write_seedlike(root / "unstable")
    calm = root / "calm-->x"
    calm.mkdir(parents=True)
    (calm / "history.json").write_text(json.dumps(
        {"train_loss": [1.0, 0.8, 0.6, 0.5, 0.45, 0.4],
         "val_loss": [1.0, 0.85, 0.7, 0.6, 0.55, 0.52]}))
    (root / "notes").mkdir()
    (root / "notes" / "todo.txt").write_text("tune the LR\n")
    (root / "checkpoints").mkdir()
    (root / "checkpoints" / "last.ckpt").write_bytes(b"\0" * 8)
    (root / ".cache").mkdir()
    (root / "empty").mkdir()
    return root


def test_index_counts_links_names_and_says_which_folders_were_skipped(tmp_path):
    root = _tree(tmp_path / "runs")
    out = tmp_path / "out"
    assert main(["analyze", str(root), "-o", str(out), "-q", "--format", "md,html,json"]) == 0
    index = json.loads((out / "index.json").read_text())
    assert index["counts"] == {"critical": 1, "warning": 0, "info": 1, "error": 0}
    reasons = {s["folder"]: s["reason"] for s in index["skipped"]}
    assert set(reasons) == {".cache", "checkpoints", "empty", "notes"}
    assert "hidden" in reasons[".cache"] and "hold no logs" in reasons["checkpoints"]
    assert reasons["empty"] == "empty" and "among its 1 file(s)" in reasons["notes"]
    md = (out / "INDEX.md").read_text()
    assert "2 runs under" in md and "**1 critical**" in md
    first = index["runs"][0]
    assert first["name"] == "unstable/training_history.json"
    assert f"[{first['name']}](<{first['report']}>)" in md
    assert "## Folders skipped" in md and "- `notes`: no log that reporter reads" in md
    html = (out / "index.html").read_text()
    assert f'<a href="{first["html"]}">{first["name"]}</a>' in html
    assert ">report<" not in html and str(tmp_path) not in html + md


def test_combined_comment_for_the_worst_runs_and_fail_on(tmp_path, capsys):
    root = _tree(tmp_path / "runs")
    out = tmp_path / "out"
    code = main(["analyze", str(root), "-o", str(out), "-q", "--format", "json,comment",
                 "--fail-on", "critical"])
    assert code == 1
    assert "--fail-on critical: 1 run(s) with a critical finding" in capsys.readouterr().err
    comment = (out / "pr_comment.md").read_text()
    assert comment.startswith("<!-- reporter:v1 key=tree%20runs -->\n")
    assert "2 runs: 1 critical, 0 warning, 1 with nothing found; 4 folder(s) skipped" in comment
    assert "<details><summary><b>unstable/training_history.json</b>" in comment
    assert "xychart-beta" in comment
    assert "calm-->x" not in comment  # a folder's name cannot close an HTML comment
    assert main(["comment", str(out / "index.json"), "--print"]) == 0
    assert capsys.readouterr().out == comment
