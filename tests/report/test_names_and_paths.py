"""Hostile names and machine paths (issue 9, items 4 and 10): a run folder whose name holds a
comment closer, Markdown, an ANSI escape and a backtick is analysed from another working
directory; nothing of the name is live in the reports or the terminal, and no report names
the machine's absolute path."""

from __future__ import annotations

import contextlib
import io
import re
import shutil
from pathlib import Path

import pytest

from reporter.cli.main import main
from reporter.report.filters import clean_text, display_path, md_escape

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
EVIL = "evil-->[x](a.html)*b*\x1b[31m|`"
REPORTS = ("TRAINING_INSTABILITY_FIX.md", "report.html", "pr_comment.md", "report.json")


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    """(tmp root, terminal output, {name: text}) of one analysis run from ``root/work``."""
    root = tmp_path_factory.mktemp("names")
    run = root / EVIL
    shutil.copytree(SAMPLES / "seed_like", run)
    work = root / "work"
    work.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(work)
        err, out = io.StringIO(), io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            # absolute paths on the command line: the reports still name them relatively
            code = main(["analyze", str(run), "-o", str(root / "out"), "--confirm", "off",
                         "--format", "md,html,json,comment"])
    assert code == 0, err.getvalue()
    texts = {name: (root / "out" / name).read_text(encoding="utf-8") for name in REPORTS}
    texts.update({p.name: p.read_text(encoding="utf-8") for p in (root / "out").glob("*.yaml")})
    return root, err.getvalue() + out.getvalue(), texts


def test_no_report_names_the_absolute_path_of_the_machine(analysed):
    root, _, texts = analysed  # the terminal echoes the paths as typed, reports never do
    for name, text in texts.items():
        assert str(root) not in text, name


def test_cp_commands_run_from_the_working_directory(analysed):
    _, _, texts = analysed
    md = texts["TRAINING_INSTABILITY_FIX.md"]
    cp = re.findall(r"^cp .*$", md, flags=re.M)
    assert cp and all(f"'../{clean_text(EVIL)}/config/config.yaml'" in line for line in cp)
    assert all("cp ../out/config.option" in line for line in cp)


def test_no_escape_sequence_reaches_the_terminal_or_a_report(analysed):
    _, terminal, texts = analysed
    assert "\x1b" not in terminal and "evil-->[x](a.html)*b*|`" in terminal
    for name, text in texts.items():
        if name != "report.json":  # JSON writes it as \\u001b, inert
            assert "\x1b" not in text, name


def test_the_name_makes_no_link_emphasis_or_comment_closer_in_the_markdown(analysed):
    _, _, texts = analysed
    md = texts["TRAINING_INSTABILITY_FIX.md"]
    # outside code, the name appears escaped only
    prose = re.sub(r"(`+).*?\1", "", re.sub(r"^(`{3,}).*?^\1", "", md, flags=re.M | re.S))
    assert "evil-->" not in prose and "](a.html)" not in prose.replace("\\](a.html)", "")
    assert r"evil--&gt;\[x\](a.html)\*b\*\|\`" in md
    html = texts["report.html"]
    assert "evil-->" not in html and "evil--&gt;[x](a.html)*b*|`" in html


def test_md_escape_leaves_snake_case_readable():
    assert md_escape("clip_grad_norm and _private_") == r"clip_grad_norm and \_private\_"


def test_display_path_is_relative_even_outside_the_roots(tmp_path):
    inside, outside = tmp_path / "a" / "work", tmp_path / "b" / "run.yaml"
    assert display_path(outside, inside) == "../../b/run.yaml"
    assert display_path("rel/x.yaml", inside) == "rel/x.yaml"
