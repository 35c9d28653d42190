"""Every format renders the whole analysis; the HTML is self-contained; patches are safe."""

import importlib.util
import json
import re
from html import unescape
from pathlib import Path

import pytest

import reporter
from reporter.cli.main import main

_spec = importlib.util.spec_from_file_location(
    "seedlike", Path(__file__).parent.parent / "seedlike.py")
seedlike = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(seedlike)


@pytest.fixture(scope="module")
def outdir(tmp_path_factory):
    run = seedlike.write_seedlike(tmp_path_factory.mktemp("run"))
    out = tmp_path_factory.mktemp("out")
    code = main(["analyze", str(run), "-o", str(out), "--confirm", "off", "-q",
                 "--format", "md,html,json,comment"])
    assert code == 0
    return run, out


def test_analyze_writes_every_format_figure_and_patched_configs(outdir):
    _, out = outdir
    names = {p.name for p in out.iterdir()}
    assert {"TRAINING_INSTABILITY_FIX.md", "report.html", "report.json", "pr_comment.md",
            "training_history.png", "config.option1_faster_plateau.yaml",
            "config.option2_cosine.yaml", "config.option3_lower_lr.yaml"} <= names


def test_markdown_opens_with_the_finding_in_its_title(outdir):
    text = (outdir[1] / "TRAINING_INSTABILITY_FIX.md").read_text()
    assert text.startswith("# Training Instability Fix - Loss Spike at Epoch 13")
    for section in ("## Problem Diagnosis", "### Root Cause", "## Options",
                    "## Expected Results After Fix", "## Comparison Table", "## How to Test",
                    "## Recommended Action", "## Files Written"):
        assert section in text


def test_markdown_and_html_carry_the_same_sections(outdir):
    md = (outdir[1] / "TRAINING_INSTABILITY_FIX.md").read_text()
    html = (outdir[1] / "report.html").read_text()
    md_heads = re.findall(r"^#{2,3} (.+)$", md, flags=re.M)
    html_heads = [unescape(h) for h in re.findall(r"<h[23][^>]*>(.+?)</h[23]>", html)]
    assert md_heads == html_heads
    assert len(md_heads) >= 8


def test_every_contents_link_has_its_anchor_in_the_html(outdir):
    html = (outdir[1] / "report.html").read_text()
    links = re.findall(r'<a href="#([^"]+)"', html)
    ids = set(re.findall(r' id="([^"]+)"', html))
    assert len(links) >= 8 and set(links) <= ids


def test_html_is_self_contained(outdir):
    html = (outdir[1] / "report.html").read_text()
    assert 'src="data:image/png;base64,' in html
    assert not re.search(r'(src|href)="(https?:)?//', html)


def test_json_is_the_analysis(outdir):
    data = json.loads((outdir[1] / "report.json").read_text())
    assert data["headline"].startswith("Loss Spike at Epoch 13")
    labels = {o["replay"]["lr_at_onset_label"] for o in data["options"]}
    assert labels <= {"exact replay", "conditional replay"}


def test_patched_config_changes_only_the_option_keys_and_keeps_comments(outdir):
    run, out = outdir
    original = (run / "config" / "config.yaml").read_text()
    assert original == seedlike.CONFIG  # the user's file is untouched
    patched = (out / "config.option1_faster_plateau.yaml").read_text()
    assert "# seed-like training config" in patched
    changed = [(a, b) for a, b in zip(original.splitlines(), patched.splitlines(), strict=True)
               if a != b]
    keys = sorted(a.split(":")[0].strip() for a, _ in changed)
    assert keys == ["gradient_clip_value", "scheduler_factor", "scheduler_patience"]


def test_comment_mode_is_compact_and_marked(outdir):
    text = (outdir[1] / "pr_comment.md").read_text()
    assert text.startswith("<!-- reporter:v1 ")
    assert len(text) < 60_000 and "<details>" in text


def test_rerun_keeps_a_backup_of_changed_files(outdir, tmp_path):
    run, out = outdir
    (out / "report.json").write_text("edited by the user\n")
    assert main(["analyze", str(run), "-o", str(out), "--confirm", "off", "-q",
                 "--format", "json"]) == 0
    assert (out / "report.json.bak").read_text() == "edited by the user\n"


def test_render_unknown_format_suggests():
    from reporter.report.render import render

    with pytest.raises(reporter.errors.UsageError, match="unknown report format 'htm'") as info:
        render({}, "htm")
    assert info.value.hint == "did you mean 'html'?"
