"""Write the report files, figures and patched configs into the output folder.

Nothing the user owns is overwritten: an existing file is first moved to ``<name>.bak``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from reporter.errors import ReporterError, UsageError

if TYPE_CHECKING:
    from reporter.analysis.model import Analysis
    from reporter.config.setup import TrainingSetup

REPORT_NAMES = {
    "md": "TRAINING_INSTABILITY_FIX.md",
    "html": "report.html",
    "json": "report.json",
    "comment": "pr_comment.md",
}
FIGURE_NAMES = {"history_png": "training_history.png", "confirm_png": "confirmation.png"}


def write_outputs(
    analysis: Analysis,
    out_dir: Path,
    formats: list[str],
    *,
    setup: TrainingSetup | None = None,
    option_changes: dict[str, dict[str, Any]] | None = None,
) -> list[Path]:
    """Write every requested format, the figures and one patched config per option."""
    from reporter.report.render import figures_for, render

    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"{out_dir}: the output folder is an existing file",
                         hint="give -o a folder path")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UsageError(f"{out_dir}: cannot create the output folder ({err.strerror})") from err
    written: list[Path] = []
    if setup is not None and setup.config_path is not None and option_changes:
        analysis.patches = _write_patches(setup, option_changes, out_dir, written)
    data = analysis.to_dict()
    images = figures_for(data)
    files = {}
    for role, png in images.items():
        path = _safe_write(out_dir / FIGURE_NAMES[role], png)
        written.append(path)
        files[role] = path.name
    for p in analysis.patches:
        if p["path"]:
            files[f"config_{p['option']}"] = Path(p["path"]).name
    for fmt in formats:
        name = REPORT_NAMES[fmt]
        listed = {**files, **{f: REPORT_NAMES[f] for f in formats}}
        text = render(data, fmt, files=listed, images=images)
        written.append(_safe_write(out_dir / name, text.encode("utf-8")))
    return written


def _write_patches(setup, option_changes, out_dir: Path, written: list[Path]) -> list[dict]:
    from reporter.config import patch_config

    patches = []
    source = Path(setup.config_path)
    for i, (key, changes) in enumerate(option_changes.items(), start=1):
        dest = out_dir / f"{source.stem}.option{i}_{key}{source.suffix}"
        try:
            patched = patch_config(setup, changes, dest)
        except (ReporterError, ValueError) as err:
            # the option still shows its changes as a list; say why there is no file
            patches.append(
                {"option": key, "path": None, "original": str(source), "error": str(err)}
            )
            continue
        written.append(Path(patched.path))
        patches.append(
            {
                "option": key,
                "path": str(patched.path),
                "original": str(source),
                "framework_output": _framework_written(source),
                "diff": patched.diff.rstrip("\n"),
                "changes": [list(map(str, c)) for c in patched.changes],
                "added": [str(key) for key, before, _after in patched.changes if before is None],
            }
        )
    return patches


def _framework_written(source: Path) -> bool:
    """Configs a framework writes from the training code's arguments (Lightning hparams.yaml,
    Ultralytics args.yaml, W&B files/config.yaml): editing them changes nothing."""
    if source.name in ("hparams.yaml", "args.yaml"):
        return True
    return source.name == "config.yaml" and source.parent.name == "files"


def _safe_write(path: Path, payload: bytes) -> Path:
    """Write ``payload``; an existing file that differs is kept as ``<name>.bak`` first."""
    if path.exists() and path.read_bytes() != payload:
        path.replace(path.with_name(path.name + ".bak"))
    path.write_bytes(payload)
    return path
