"""The PR comment: what it shows, its marker, and its size bound (issue 9, item 5)."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest

import reporter
from reporter.report.comment import COMMENT_LIMIT, marker, marker_of, render_comment

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


@pytest.fixture(scope="module")
def seed() -> dict:
    return reporter.analyze(SAMPLES / "seed_like", confirm="off").to_dict()


def test_seed_like_comment_has_verdict_charts_table_diff_and_link(seed):
    url = "https://github.com/o/r/actions/runs/1/artifacts/2"
    text = render_comment(seed, url)
    assert marker_of(text) == "<!-- reporter:v1 key=seed_like -->"
    assert "Critical" in text.split("\n")[1]
    assert text.count("```mermaid") == 2 and text.count("xychart-beta") == 2
    rec = next(o for o in seed["options"] if o["key"] == seed["recommendation"]["option"])
    assert rec["title"] in text
    diff = next(p["diff"] for p in seed["patches"] if p["option"] == rec["key"])
    changed = [line for line in diff.splitlines() if line.startswith("+ ")]
    assert changed and all(line in text for line in changed)
    assert "```diff" in text and "| **Scheduler** |" in text
    assert f"[Full report]({url})" in text
    # every line of a chart has one value per x position; the loss spans > 2 decades: log10
    loss = text.split("```mermaid", 1)[1].split("```", 1)[0]
    lines = re.findall(r"line \[([^\]]*)\]", loss)
    assert len(lines) == 2 and {len(v.split(",")) for v in lines} == {33}
    assert 'y-axis "log10 loss"' in loss and "all 33 logged epochs" in text


def test_no_link_without_an_url_and_never_a_javascript_link(seed):
    assert "Full report](" not in render_comment(seed, None)
    assert "javascript" not in render_comment(seed, "javascript:alert(1)")


def test_marker_cannot_be_closed_by_a_name():
    mark = marker("a-->b --!> c\n<!-- x")
    assert mark.count("-->") == 1 and mark.endswith(" -->") and ">" not in mark[:-3]
    assert marker_of(mark + "\nbody") == mark


def test_huge_input_stays_under_the_limit_with_notes(seed):
    data = copy.deepcopy(seed)
    data["run"]["name"] = "x-->" * 50_000
    data["headline"] = "H" * 100_000
    base = data["options"][0]
    data["options"] = [{**copy.deepcopy(base), "key": f"k{i}", "title": "T`|" * 5_000}
                       for i in range(40)]
    data["recommendation"] = {**data["recommendation"], "option": "k39",
                              "text": "R" * 100_000, "extra": ["E" * 100_000] * 20}
    data["patches"] = [{**copy.deepcopy(seed["patches"][0]), "option": "k39",
                        "diff": "\n".join(f"+ line {i} " + "```" * 200 for i in range(50_000))}]
    data["diagnosis"]["findings"] = data["diagnosis"]["findings"] * 2_000
    n = 300_000
    data["series"]["val/loss"] = {"x": [float(i) for i in range(n)],
                                  "y": [1.0 + (i % 97) for i in range(n)], "axis": "step"}
    text = render_comment(data, "https://example.test/" + "a" * 100_000)
    assert len(text) <= COMMENT_LIMIT
    assert marker_of(text) is not None
    assert "column(s) left out" in text and "more line(s) of the diff" in text
    assert "thinned to 60 evenly spaced points" in text
    fence = re.search(r"\n(`{3,})diff\n", text)  # longer than any backtick run inside
    inner = text[fence.end():text.index("\n" + fence.group(1) + "\n", fence.end())]
    assert max(len(r) for r in re.findall(r"`+", inner)) < len(fence.group(1))


def test_ansi_and_control_characters_never_reach_the_comment(seed):
    data = copy.deepcopy(seed)
    data["run"]["name"] = "run\x1b[31mred\x1b[0m\x07"
    data["headline"] = "Spike\x1b[2J at epoch 3"
    text = render_comment(data)
    assert "\x1b" not in text and "\x07" not in text
    assert marker_of(text) == "<!-- reporter:v1 key=runred -->"


def test_text_built_to_expand_under_escaping_gives_the_compact_comment(seed, monkeypatch):
    """Every character a '<' (escaped to four): the full table and timeline would not fit."""
    from reporter.report import view as view_module

    real = view_module.build_view
    wide = "<" * 5_000

    def hostile(data, *args, **kwargs):
        v = real(data, *args, **kwargs)
        v["timeline"] = [{"when": wide, "what": wide}] * 50
        v["comparison"] = {"columns": [wide] * 20,
                           "rows": [{"name": wide, "cells": [{"text": wide, "mark": wide}] * 20,
                                     "label": wide}] * 50}
        return v

    monkeypatch.setattr(view_module, "build_view", hostile)
    text = render_comment(seed, "https://example.test/" + "<" * 10_000)
    assert len(text) <= COMMENT_LIMIT
    assert "timeline and the comparison table were left out" in text
    assert "```diff" in text and text.count("xychart-beta") == 2
