"""Write the report files, figures and patched configs into the output folder.

Nothing the user owns is overwritten: an existing file is first moved to ``<name>.bak``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from reporter.errors import UsageError
from reporter.report.filters import display_path

if TYPE_CHECKING:
    from reporter.analysis.model import Analysis

REPORT_NAMES = {
    "md": "TRAINING_INSTABILITY_FIX.md",
    "html": "report.html",
    "json": "report.json",
    "comment": "pr_comment.md",
}
FIGURE_NAMES = {"history_png": "training_history.png", "confirm_png": "confirmation.png"}


def write_outputs(analysis: Analysis, out_dir: Path, formats: list[str], *,
                  report_url: str | None = None) -> list[Path]:
    """Write every requested format, the figures and one patched config per option
    (``report_url``: where the PR comment links to the full report)."""
    from reporter.report.render import figures_for, render

    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"{out_dir}: the output folder is an existing file",
                         hint="give -o a folder path")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UsageError(f"{out_dir}: cannot create the output folder ({err.strerror})") from err
    written: list[Path] = []
    data = analysis.to_dict()
    images = figures_for(data)
    files = {}
    for role, png in images.items():
        path = _safe_write(out_dir / FIGURE_NAMES[role], png)
        written.append(path)
        files[role] = path.name
    for patch in analysis.patches:
        if patch.file and patch.text is not None:
            written.append(_safe_write(out_dir / patch.file, patch.text.encode("utf-8")))
            files[f"config_{patch.option}"] = patch.file
    shown = display_path(out_dir, Path.cwd())
    for fmt in formats:
        name = REPORT_NAMES[fmt]
        listed = {**files, **{f: REPORT_NAMES[f] for f in formats}}
        text = render(data, fmt, files=listed, images=images, out_dir=shown,
                      report_url=report_url)
        written.append(_safe_write(out_dir / name, text.encode("utf-8")))
    return written


def _safe_write(path: Path, payload: bytes) -> Path:
    """Write ``payload`` atomically (or hold it for the command's all-at-once commit); an
    existing file that differs is kept as ``<name>.bak`` first (see ``report/atomic.py``)."""
    from reporter.report.atomic import write_bytes

    return write_bytes(path, payload)
