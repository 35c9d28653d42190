"""``reporter compare BASE HEAD`` on samples/seed_like and a copy of it made here with the
spike removed (issue 9, item 7)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from reporter.cli.main import main
from reporter.report.comment import COMMENT_LIMIT, marker_of

SEED = Path(__file__).resolve().parents[2] / "samples" / "seed_like"
ONSET = 27  # index of the seed's spike (epoch 28 of its log)


def _variant(folder: Path, calm_from: int | None) -> Path:
    """seed_like with its curves held near their pre-spike level from ``calm_from`` on, or
    (None) a smooth decay from the first value: no spike at all."""
    shutil.copytree(SEED, folder)
    hist = json.loads((SEED / "training_history.json").read_text())
    for key in ("train_loss", "val_loss", "grad_norm"):
        v = hist[key]
        if calm_from is None:
            hist[key] = [v[0] * (0.5 + 0.5 * 0.85 ** i) * (1 + 0.01 * ((i % 3) - 1))
                         for i in range(len(v))]
            continue
        level = sorted(v[calm_from - 7:calm_from])[3]  # median of the 7 points before
        hist[key] = v[:calm_from] + [level * (1 + 0.03 * ((i % 3) - 1))
                                     for i in range(calm_from, len(v))]
    (folder / "training_history.json").write_text(json.dumps(hist))
    return folder


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("runs")
    return {"fixed": _variant(root / "fixed", ONSET), "calm": _variant(root / "calm", None)}


def _compare(tmp_path, base, head, *extra) -> tuple[int, str, Path]:
    out = tmp_path / "cmp"
    code = main(["compare", str(base), str(head), "-o", str(out), "-q", "--format",
                 "md,html,json,comment", *extra])
    return code, out


def test_spike_removed_reduces_the_instability(tmp_path, runs, capsys):
    code, out = _compare(tmp_path, SEED, runs["fixed"])
    assert code == 0
    line = capsys.readouterr().out.strip().splitlines()[0]
    assert line.startswith("The instability is reduced.")
    doc = json.loads((out / "comparison.json").read_text())
    kinds = {r["kind"]: r for r in doc["comparison"]["kinds"]}
    assert kinds["collapse"]["change"] == "gone" and kinds["collapse"]["base"]["count"] >= 1
    # the recovered spike at epoch 18 of the seed stays; its critical spike at 28 is gone
    assert kinds["spike"]["base"]["severity"] == "critical"
    assert kinds["spike"]["head"]["severity"] == "warning"
    # the same detectors on both: each side's findings are its own report's findings
    assert doc["base"]["diagnosis"]["findings"] and doc["head"]["diagnosis"]["findings"]
    md = (out / "COMPARISON.md").read_text()
    assert md.count("xychart-beta") == 2 and "BASE val/loss, red: HEAD val/loss" in md
    assert "| collapse | 2 critical | none | gone |" in md
    html = (out / "comparison.html").read_text()
    assert html.count("<polyline") == 4 and "The instability is reduced" in html
    comment = (out / "pr_comment.md").read_text()
    assert marker_of(comment) and len(comment) < COMMENT_LIMIT


def test_nothing_left_is_gone_and_the_reverse_appeared(tmp_path, runs, capsys):
    code, _ = _compare(tmp_path, SEED, runs["calm"])
    assert code == 0 and capsys.readouterr().out.startswith("The instability is gone.")
    code, _ = _compare(tmp_path / "r", runs["calm"], SEED, "--fail-on", "critical")
    assert code == 1
    out = capsys.readouterr()
    assert out.out.startswith("An instability appeared.")
    assert "--fail-on critical: HEAD has a critical finding" in out.err


def test_same_run_twice_is_still_there(tmp_path, capsys):
    code, _ = _compare(tmp_path, SEED, SEED)
    assert code == 0
    assert capsys.readouterr().out.startswith("The instability is still there.")


def test_compare_comment_posts_through_reporter_comment(tmp_path, runs, capsys):
    _, out = _compare(tmp_path, SEED, runs["fixed"])
    capsys.readouterr()
    assert main(["comment", str(out / "comparison.json"), "--print"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("<!-- reporter:v1 key=compare%20seed_like%20fixed -->")
    assert "The instability is reduced" in text
