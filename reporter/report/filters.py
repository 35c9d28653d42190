"""Number and text formatting, one function each, registered as Jinja filters.

A leaf module (no imports from the package), so every stage that writes a sentence with a
number in it (a finding's evidence, an option's rationale) formats it the same way the
templates do.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

__all__ = ["clean_text", "display_path", "fmt_number", "fmt_ratio", "fmt_value", "fmt_x",
           "md_code", "md_escape"]

# Markdown that text from logs, configs or folder names must never start: tables, HTML and
# comment markers (``-->``), links and images, emphasis, code, math, mentions (issue 9, item 10)
_MD_SPECIAL = {"|": "\\|", "<": "&lt;", ">": "&gt;", "@": "@\u200b", "$": "\\$",
               "[": "\\[", "]": "\\]", "*": "\\*", "`": "\\`", "~": "\\~",
               "\\": "\\\\", "!": "\\!"}
# ANSI escape sequences (CSI, OSC, two-character), then C0/C1 controls and bidi overrides
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def fmt_x(x: float | None) -> str:
    """An epoch or step as logged: ``13``, ``2.5``, or ``?`` when unknown.

    >>> fmt_x(13.0), fmt_x(2.5), fmt_x(None)
    ('13', '2.5', '?')
    """
    if x is None:
        return "?"
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def fmt_number(v: float | None) -> str:
    """A measured or replayed value to 4 significant digits; ``n/a`` when missing.

    >>> fmt_number(0.000123456), fmt_number(0.0), fmt_number(None)
    ('0.0001235', '0', 'n/a')
    """
    if v is None:
        return "n/a"
    if v == 0:
        return "0"
    return f"{v:.4g}"


def fmt_ratio(ratio: float) -> str:
    """``10.2×`` for small ratios, ``28,462×`` for large ones, ``3.0e+12×`` past a million.

    >>> fmt_ratio(10.24), fmt_ratio(28462.2), fmt_ratio(2954455192398.0)
    ('10.2×', '28,462×', '3.0e+12×')
    """
    if ratio < 100:
        return f"{ratio:.1f}×"
    return f"{ratio:,.0f}×" if ratio < 1e6 else f"{ratio:.1e}×"


def fmt_value(value: Any) -> str:
    """Any table cell: numbers to 4 significant digits, None to n/a, booleans to yes/no.

    >>> fmt_value(3.0), fmt_value(0.0012345), fmt_value(True), fmt_value(None)
    ('3', '0.001234', 'yes', 'n/a')
    """
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e6 else f"{value:.4g}"
    return str(value)


def clean_text(value: Any) -> str:
    """``value`` as text without ANSI escapes, control characters or bidi overrides (a tab or
    newline is kept): what a folder or metric name may show in a terminal or a report.

    >>> clean_text("run\\x1b[31mred\\x1b[0m\\x07!")
    'runred!'
    """
    return _CONTROL.sub("", _ANSI.sub("", str(value)))


def md_escape(value: Any) -> str:
    """Escape text from logs or configs for GitHub Markdown: nothing in it becomes a table
    cell, HTML, a comment marker, a link, emphasis, code, math or a mention.

    >>> md_escape("a|b <c>")
    'a\\\\|b &lt;c&gt;'
    >>> md_escape("evil-->[x](http://a)_*")
    'evil--&gt;\\\\[x\\\\](http://a)\\\\_\\\\*'
    """
    text = clean_text(value).replace("\n", " ").replace("\t", " ")
    text = "".join(_MD_SPECIAL.get(ch, ch) for ch in text)
    # ``_`` starts emphasis only at a word's edge (GFM): snake_case names stay readable
    return re.sub(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])", r"\\_", text)


def md_code(value: Any) -> str:
    """``value`` as a Markdown code span: a fence of backticks longer than any run inside it.

    >>> md_code("a`b"), md_code("plain")
    ('``a`b``', '`plain`')
    """
    text = clean_text(value).replace("\n", " ")
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def code_fence(text: str) -> str:
    """Three backticks, or more when ``text`` holds a run of three or more (so a config line
    cannot close the fence around it)."""
    longest = max((len(m) for m in re.findall(r"`{3,}", text)), default=0)
    return "`" * max(3, longest + 1)


def display_path(path: str | Path, *roots: str | Path | None) -> str:
    """``path`` relative to the first of ``roots`` it lies below, in POSIX form; else relative
    to the first root by ``..`` steps; a relative ``path`` (or one without a root) as given.

    Reports name files the way the user can type them, never by the machine's absolute path
    (issue 9, item 4).

    >>> display_path("/a/b/c.yaml", "/x", "/a")
    'b/c.yaml'
    >>> display_path("/a/b/c.yaml", "/a/d")
    '../b/c.yaml'
    >>> display_path("/a/b/c.yaml", None)
    '/a/b/c.yaml'
    """
    given = [Path(r).resolve() for r in roots if r is not None]
    if not given or not Path(path).is_absolute():
        return Path(path).as_posix()  # a relative path is already as the user typed it
    target = Path(path).resolve()
    for root in given:
        try:
            return target.relative_to(root).as_posix() or "."
        except ValueError:
            continue
    try:
        return Path(os.path.relpath(target, given[0])).as_posix()
    except ValueError:  # another drive (Windows)
        return Path(path).as_posix()
