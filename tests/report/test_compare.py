"""The comparison and the tree index in a real browser: nothing overflows the page at 1,280 px
or on a 390 px phone (tables scroll inside their own box); the verdict rule on findings.
Skipped without a headless Chromium, like tests/report/test_html_layout.py, whose
measurement it reuses."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

import reporter
from reporter.report.compare import compare, render_compare
from reporter.report.render import index_text

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("html_layout", HERE / "test_html_layout.py")
html_layout = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(html_layout)
SEED = HERE.parents[1] / "samples" / "seed_like"


def _finding(kind: str, severity: str) -> dict:
    return {"kind": kind, "severity": severity, "title": f"{kind} {severity}"}


def _run(*findings: dict) -> dict:
    return {"run": {"name": "r"}, "diagnosis": {"findings": list(findings)}}


@pytest.mark.parametrize(("base", "head", "status"), [
    ([_finding("spike", "critical")], [], "gone"),
    ([_finding("spike", "critical")], [_finding("spike", "warning")], "reduced"),
    ([_finding("spike", "critical")] * 2, [_finding("spike", "critical")], "reduced"),
    ([_finding("spike", "critical")], [_finding("spike", "critical")], "still there"),
    ([_finding("spike", "warning")], [_finding("spike", "critical")], "still there"),
    ([_finding("spike", "critical"), _finding("collapse", "critical")],
     [_finding("divergence", "warning")], "still there"),  # a new kind is not a reduction
    ([], [_finding("spike", "warning")], "appeared"),
    ([], [_finding("overfitting", "warning")], "none"),  # not an instability
    ([_finding("spike", "info")], [], "none"),  # info findings are not compared
])
def test_verdict_compares_kinds_by_severity_then_count(base, head, status):
    from reporter.report.compare import _kind_rows, _verdict

    b, h = _run(*base), _run(*head)
    assert _verdict(_kind_rows(b, h), b, h)["status"] == status


@pytest.mark.skipif(html_layout.BROWSER is None, reason="no headless Chromium installed")
@pytest.mark.parametrize("width", [1280, 390])
def test_comparison_and_index_html_fit_the_page(width, tmp_path):
    data = reporter.analyze(SEED, confirm="off").to_dict()
    long = "a_very_long_run_folder_name_" * 6
    index = {"root": "runs", "counts": {"critical": 1, "warning": 0, "info": 0, "error": 1},
             "runs": [{"name": long, "html": "x/report.html", "report": "x/R.md",
                       "severity": "critical", "headline": data["headline"],
                       "format": "history_json", "extent": "33 epochs logged"},
                      {"name": long + "2", "severity": "error", "error": "x: " + long}],
             "skipped": [{"folder": long, "reason": "empty"}], "skipped_more": 0}
    for name, page in (("compare", render_compare(compare(data, data), "html")),
                       ("index", index_text(index, "html"))):
        (tmp_path / name).mkdir()
        got = html_layout._measure(page, width, tmp_path / name)
        assert got["width"] == width
        assert got["page"] <= got["width"] and got["over"] == [], (name, got)
