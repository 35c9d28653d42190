"""The HTML report in a real browser (issue 9, item 2): at 1,280 px nothing overflows the page
and the tables fit; on a 390 px phone the page does not overflow either (tables scroll inside
their own box). Needs a headless Chromium (Debian: ``apt-get install chromium``); skipped
without one."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import reporter
from reporter.report.render import render

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
BROWSER = next((shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome")
                if shutil.which(b)), None)
pytestmark = pytest.mark.skipif(BROWSER is None, reason="no headless Chromium installed")

# Runs in the report (inside an iframe of the width under test, since a headless window is
# at least 500 px wide) and writes what it measured into the outer page, which --dump-dom
# prints: the page's scroll width, elements reaching past the page outside a table's own
# scroll box, and the tables that scroll inside their box.
MEASURE = """
window.addEventListener('load', () => {
  const w = document.documentElement.clientWidth;
  const over = [...document.querySelectorAll('body *')].filter(e =>
    e.getBoundingClientRect().right > w + 1 && !e.parentElement.closest('.scroll, table'))
    .map(e => e.tagName + '.' + e.className).slice(0, 10);
  const scrolled = [...document.querySelectorAll('.scroll, table')]
    .filter(e => e.scrollWidth > e.clientWidth + 1).length;
  const out = parent.document.createElement('pre');
  out.id = 'measure';
  out.textContent = JSON.stringify({page: document.documentElement.scrollWidth, width: w,
                                    over: over, scrolled: scrolled});
  parent.document.body.appendChild(out);
});
"""


# The first screen: where the verdict and the recommended change (or action) end, in CSS px
FIRST_SCREEN = """
window.addEventListener('load', () => {
  const box = document.querySelector('.summary');
  const rec = [...box.querySelectorAll('p')].find(p => /Recommended (change|action)/.test(
    p.textContent));
  const diff = box.querySelector('pre');
  const out = document.createElement('pre');
  out.id = 'measure';
  out.textContent = JSON.stringify({
    width: document.documentElement.clientWidth,
    verdict: box.querySelector('.verdict').getBoundingClientRect().bottom,
    recommendation: Math.max(rec.getBoundingClientRect().bottom,
                             diff ? diff.getBoundingClientRect().bottom : 0)});
  document.body.appendChild(out);
});
"""


def _run(page: Path, window: str = "1280,800") -> dict:
    """Open ``page`` in headless Chromium; what its script wrote into ``pre#measure``."""
    done = subprocess.run([BROWSER, "--headless", "--no-sandbox", "--disable-gpu",
                           "--hide-scrollbars", f"--window-size={window}",
                           "--virtual-time-budget=5000", "--dump-dom", page.as_uri()],
                          capture_output=True, text=True, timeout=120, check=False)
    found = re.search(r'<pre id="measure">(.*?)</pre>', done.stdout)
    assert found, f"the browser measured nothing (exit {done.returncode}): {done.stderr[-500:]}"
    return json.loads(html.unescape(found.group(1)))


@pytest.mark.parametrize("sample", ["seed_like", "formats/hf_trainer_state/noisy_shard",
                                    "formats/text_log/noisy_shard"])
def test_html_first_screen_at_1280_by_800_holds_verdict_and_recommendation(sample, tmp_path):
    page = tmp_path / "report.html"
    text = render(reporter.analyze(SAMPLES / sample, confirm="off"), "html")
    page.write_text(text.replace("</body>", f"<script>{FIRST_SCREEN}</script></body>"),
                    encoding="utf-8")
    got = _run(page)
    assert got["width"] == 1280
    assert 0 < got["verdict"] < got["recommendation"] <= 800


def _measure(page: str, width: int, tmp_path: Path) -> dict:
    inner = page.replace("</body>", f"<script>{MEASURE}</script></body>")
    outer = tmp_path / f"at{width}.html"
    outer.write_text(f'<!DOCTYPE html><html><body style="margin:0"><iframe style="border:0" '
                     f'width="{width}" height="800" srcdoc="{html.escape(inner, quote=True)}">'
                     "</iframe></body></html>", encoding="utf-8")
    return _run(outer, "1400,900")


@pytest.fixture(scope="module")
def seed_like_html():
    return render(reporter.analyze(SAMPLES / "seed_like", confirm="off"), "html")


def test_html_at_1280_px_overflows_nothing_and_its_tables_fit(seed_like_html, tmp_path):
    got = _measure(seed_like_html, 1280, tmp_path)
    assert got["width"] == 1280
    assert got["page"] <= got["width"] and got["over"] == []
    assert got["scrolled"] == 0


def test_html_on_a_390_px_phone_scrolls_tables_inside_not_the_page(seed_like_html, tmp_path):
    got = _measure(seed_like_html, 390, tmp_path)
    assert got["width"] == 390
    assert got["page"] <= got["width"] and got["over"] == []
