"""reporter: computed fix reports for unstable training runs.

The stable library surface is ``analyze`` and ``render``; both import their stages lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["__version__", "analyze", "render"]

if TYPE_CHECKING:
    from pathlib import Path

    from reporter.analysis.model import Analysis


def analyze(path: str | Path, **options: Any) -> Analysis:
    """Read a run, diagnose it, replay the remedies, optionally confirm them; see pipeline."""
    from reporter.analysis.pipeline import analyze as _analyze

    return _analyze(path, **options)


def render(analysis: Analysis, fmt: str = "md") -> str:
    """Render an Analysis as ``md``, ``html``, ``json`` or ``comment`` text."""
    from reporter.report.render import render as _render

    return _render(analysis, fmt)
