"""Number and text formatting, one function each, registered as Jinja filters.

A leaf module (no imports from the package), so every stage that writes a sentence with a
number in it (a finding's evidence, an option's rationale) formats it the same way the
templates do.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["display_path", "fmt_number", "fmt_ratio", "fmt_value", "fmt_x", "md_escape"]

_MD_SPECIAL = {"|": "\\|", "<": "&lt;", "@": "@\u200b", "$": "\\$"}


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
    """``10.2×`` for small ratios, ``28,462×`` for large ones.

    >>> fmt_ratio(10.24), fmt_ratio(28462.2)
    ('10.2×', '28,462×')
    """
    return f"{ratio:.1f}×" if ratio < 100 else f"{ratio:,.0f}×"


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


def md_escape(value: Any) -> str:
    """Escape text from logs or configs for GitHub Markdown (tables, mentions, math, HTML).

    >>> md_escape("a|b <c>")
    'a\\\\|b &lt;c>'
    """
    text = str(value)
    return "".join(_MD_SPECIAL.get(ch, ch) for ch in text).replace("\n", " ")


def display_path(path: str | Path, *roots: str | Path | None) -> str:
    """``path`` relative to the first of ``roots`` it lies below, in POSIX form; else as given.

    Reports name files the way the user can type them (never the machine's absolute path when
    the file lies below the working directory or the analysed folder).

    >>> display_path("/a/b/c.yaml", "/x", "/a")
    'b/c.yaml'
    >>> display_path("/a/b/c.yaml", None)
    '/a/b/c.yaml'
    """
    for root in roots:
        if root is None:
            continue
        try:
            return Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
        except ValueError:
            continue
    return Path(path).as_posix()
