"""Render the view model with the packaged Jinja2 templates: md, html, json, comment."""

from __future__ import annotations

import base64
import json
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from reporter.errors import UsageError, suggest
from reporter.report import filters

if TYPE_CHECKING:
    from reporter.analysis.model import Analysis

FORMATS = {"md": "md/report.md.j2", "html": "html/report.html.j2",
           "comment": "md/comment.md.j2", "json": None}


def render(analysis: Analysis | dict, fmt: str = "md", *, files: dict[str, str] | None = None,
           images: dict[str, bytes] | None = None, out_dir: str = ".",
           report_url: str | None = None) -> str:
    """Render ``analysis`` (or its dict) as ``fmt``.

    ``files`` maps figure roles (``history_png``, ``confirm_png``) to the file names the
    Markdown links to; ``images`` holds their PNG bytes, embedded into the HTML. Without
    ``images`` the HTML draws the figures itself, so it is always self-contained. ``out_dir``
    is the output folder as the user can type it (patched configs are shown inside it).
    ``report_url`` is where the PR comment links to the full report (``report/comment.py``).
    """
    if fmt not in FORMATS:
        raise UsageError(f"unknown report format {fmt!r} (choose from {', '.join(FORMATS)})",
                         hint=suggest(fmt, FORMATS))
    data = analysis if isinstance(analysis, dict) else analysis.to_dict()
    if fmt == "json":
        return json.dumps(data, indent=2, allow_nan=False) + "\n"
    data = _cleaned(data)  # no ANSI escape or control character of a name reaches a report
    if fmt == "comment":
        from reporter.report.comment import render_comment

        return render_comment(data, report_url)
    from reporter.report.view import build_view

    view = build_view(data, dict(files or {}), out_dir)
    if fmt == "html":
        if images is None:
            images = figures_for(data)
            view["files"] = {**view["files"], **{k: k for k in images}}
        view["images"] = {k: "data:image/png;base64," + base64.b64encode(v).decode("ascii")
                          for k, v in images.items()}
    text = _env(fmt == "html").get_template(FORMATS[fmt]).render(v=view)
    if fmt != "html":
        text = re.sub(r"\n{3,}", "\n\n", text)
    return text


def _cleaned(value: Any) -> Any:
    """``value`` with ``filters.clean_text`` applied to every string in it (issue 9, item 10)."""
    if isinstance(value, str):
        return filters.clean_text(value)
    if isinstance(value, dict):
        return {k: _cleaned(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_cleaned(v) for v in value]
    return value


def index_text(data: dict[str, Any], fmt: str) -> str:
    """The index of a tree of runs, as ``md`` or ``html``."""
    template = {"md": "md/index.md.j2", "html": "html/index.html.j2"}[fmt]
    text = _env(fmt == "html").get_template(template).render(v=data)
    return re.sub(r"\n{3,}", "\n\n", text) if fmt == "md" else text


def figures_for(data: dict[str, Any]) -> dict[str, bytes]:
    """Draw every figure that applies; role → PNG bytes."""
    from reporter.report.figures import confirmation_figure, history_figure

    out = {}
    for role, draw in (("history_png", history_figure), ("confirm_png", confirmation_figure)):
        png = draw(data)
        if png:
            out[role] = png
    return out


@lru_cache(maxsize=2)
def _env(html: bool):
    import jinja2

    from reporter.templates import TEMPLATE_DIR

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=html,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(md=filters.md_escape, fmt=filters.fmt_value, number=filters.fmt_number,
                       x=filters.fmt_x, ratio=filters.fmt_ratio)
    env.filters["md_inline"] = _md_inline
    env.filters["code"] = filters.md_code
    env.filters["clean"] = filters.clean_text
    env.filters["label"] = _label_html if html else (lambda s: s)
    env.filters["wbr"] = _wbr if html else (lambda s: s)
    return env


def _md_inline(text: str):
    """Escape, then turn ``**bold**`` and ```code``` into HTML (for shared prose)."""
    from markupsafe import Markup, escape

    html = str(escape(text))
    html = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", html)
    html = re.sub(r"`(.+?)`", r"<code>\1</code>", html)
    return Markup(html)


def _wbr(text: str):
    """Escape, then let a long spec break after ``:``, ``(``, ``,`` and ``=`` (a table of
    schedulers fits the page instead of overflowing it)."""
    from markupsafe import Markup, escape

    return Markup(re.sub(r"([:(,=])", r"\1<wbr>", str(escape(text))))


def _label_html(label: str):
    """How a number was obtained, as its short marker (``E``) with the meaning on hover and
    for screen readers; the legend at the top of the report lists every marker once."""
    from markupsafe import Markup, escape

    from reporter.report.summary import MARK_MEANINGS, MARKS

    mark = MARKS.get(str(label))
    if mark is None:
        return escape(label)
    title = f"{label}: {MARK_MEANINGS[str(label)]}"
    return Markup(f'<abbr class="mark mark-{mark}" title="{escape(title)}" '
                  f'aria-label="{escape(label)}">{mark}</abbr>')
