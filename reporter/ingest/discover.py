"""Find every run under a folder (issue 4, "Trees").

A run is a folder that a reader claims as a whole (event files, a Lightning ``version_N`` or
``lightning_logs`` folder, an HF output folder with ``checkpoint-N``, an MLflow run, a W&B
``run-*`` folder, Keras ``train/``+``validation/``), or else one log file. The walk does not
descend into a claimed folder, skips hidden folders and symlinked duplicates (W&B
``latest-run``), and returns sorted paths that ``read_run`` reads one by one.

Lightning ``version_N`` and HF ``runs/<date>_<host>`` folders are separate runs unless one
starts at a later step than the launch before it (a resume from a checkpoint), in which case
their parent is one run whose launches are segments.
"""

from __future__ import annotations

import itertools
from pathlib import Path

from reporter.errors import LogFormatError

_SKIP_DIRS = frozenset({"__pycache__", "node_modules", "plugins", "artifacts", "tmp",
                        "checkpoints", "weights", "media", "code", ".trash"})
_WHOLE = 0.85  # a folder claimed with at least this score is one run


def discover(path: str | Path) -> list[Path]:
    """Paths of the runs under ``path`` (itself, if it is one run), sorted."""
    from reporter.ingest.registry import detect

    path = Path(path)
    if not path.exists():
        raise LogFormatError(path, "no such file or directory")
    if path.is_file():
        return [path] if detect(path) else []
    found: list[Path] = []
    seen: set[Path] = set()
    _walk(path, found, seen, detect)
    return sorted(found)


def _walk(folder: Path, found: list[Path], seen: set[Path], detect) -> None:
    real = folder.resolve()
    if real in seen:
        return
    seen.add(real)
    if _claimed(folder, detect):
        found.extend(_split_launches(folder))
        return
    try:
        children = sorted(folder.iterdir())
    except OSError:
        return
    for child in children:
        if child.name.startswith(".") or child.name in _SKIP_DIRS:
            continue
        if child.is_dir():
            if not child.is_symlink():
                _walk(child, found, seen, detect)
        elif child.is_file() and child.resolve() not in seen and _is_log_file(child, detect):
            seen.add(child.resolve())
            found.append(child)


def _claimed(folder: Path, detect) -> bool:
    scores = detect(folder)
    return bool(scores) and scores[0][0] >= _WHOLE


def _is_log_file(path: Path, detect) -> bool:
    if {"metrics", "params", "tags"} & set(path.parent.parts[-3:]):
        return False  # MLflow files are read through their run folder
    try:
        if path.stat().st_size == 0:
            return False
    except OSError:
        return False
    return bool(detect(path))


def _split_launches(folder: Path) -> list[Path]:
    """Per-launch folders (Lightning ``version_N``, HF ``runs/<date>_<host>``): one run if a
    launch resumes the one before (starts at a later step), else one run per launch."""
    from reporter.ingest import lightning_csv, tfevents

    csv_versions = lightning_csv.version_files(folder)
    if len(csv_versions) >= 2 and not (folder / lightning_csv.FILE_NAME).is_file():
        versions = [f.parent for f in csv_versions]
        starts = [lightning_csv.first_step(f) for f in csv_versions]
    else:
        versions = tfevents.version_dirs(folder) if not tfevents.event_files(folder) else []
        starts = [tfevents.first_step(v) for v in versions]
    if len(versions) < 2:
        return [folder]
    resumed = any(a is not None and b is not None and b > a
                  for a, b in itertools.pairwise(starts))
    if resumed:  # a version that starts later than the one before continues it
        return [folder]
    return versions


def read_tree(path: str | Path) -> list[tuple[Path, object]]:
    """``(run path, Run or LogFormatError)`` for every run found under ``path``."""
    from reporter.ingest.registry import read_run

    out: list[tuple[Path, object]] = []
    for run_path in discover(path):
        try:
            out.append((run_path, read_run(run_path)))
        except LogFormatError as err:
            out.append((run_path, err))
    return out


def relative_name(run_path: Path, root: Path) -> str:
    """A run's name for a tree report: its path below the root."""
    try:
        rel = run_path.relative_to(root)
    except ValueError:
        return run_path.name
    return str(rel) if str(rel) != "." else root.name


__all__ = ["discover", "read_tree", "relative_name"]
