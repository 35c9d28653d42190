"""Find the training config that belongs to a run.

Search order (the first hit wins; deterministic):

1. ``--config FILE`` when given (a missing file is a ConfigError naming it; a directory is
   searched like a run folder, without going up).
2. Otherwise the run's folder (the run file's folder, or the run directory itself), then its
   parent, then its grandparent. In each folder, in this order:

   ``config.yaml``, ``config.yml``, ``config/config.yaml``, ``config/config.yml``, the other
   ``config/*.yaml`` / ``config/*.yml`` (sorted by name), ``hparams.yaml`` (Lightning),
   ``args.yaml`` (Ultralytics), ``files/config.yaml`` (a W&B run folder, values wrapped as
   ``{value: ...}``), ``training_args.json`` (Hugging Face), and ``config.json`` only when it
   holds training keys (``learning_rate`` or ``lr_scheduler_type``): an HF model's
   ``config.json`` describes the model, not the training.
"""

from __future__ import annotations

import json
from pathlib import Path

from reporter.errors import ConfigError

SEARCH_DEPTH = 2  # parent folders searched above the run's own folder
FIXED_NAMES = ("config.yaml", "config.yml", "config/config.yaml", "config/config.yml")
LATE_NAMES = ("hparams.yaml", "args.yaml", "files/config.yaml", "training_args.json")
HF_TRAINING_KEYS = ("learning_rate", "lr_scheduler_type")


def find_config(run_path: Path, explicit: Path | None = None) -> Path | None:
    """Return the config for ``run_path``: ``explicit`` if given, else the first candidate.

    See the module docstring for the order. Returns None when nothing is found.
    """
    if explicit is not None:
        explicit = Path(explicit)
        if explicit.is_dir():
            found = _search_folder(explicit)
            if found is None:
                raise ConfigError(explicit, "no training config found in this folder")
            return found
        if not explicit.is_file():
            raise ConfigError(explicit, "config file not found")
        return explicit
    run_path = Path(run_path)
    folder = run_path if run_path.is_dir() else run_path.parent
    for _ in range(SEARCH_DEPTH + 1):
        if folder.is_dir():
            found = _search_folder(folder)
            if found is not None:
                return found
        if folder.parent == folder:
            break
        folder = folder.parent
    return None


def candidate_paths(folder: Path) -> list[Path]:
    """Every candidate name in ``folder`` in search order (existing or not, except globs)."""
    paths = [folder / name for name in FIXED_NAMES]
    sub = folder / "config"
    if sub.is_dir():
        extra = sorted(p for p in sub.iterdir() if p.suffix in (".yaml", ".yml") and p not in paths)
        paths.extend(extra)
    paths.extend(folder / name for name in LATE_NAMES)
    paths.append(folder / "config.json")
    return paths


def _search_folder(folder: Path) -> Path | None:
    for path in candidate_paths(folder):
        if not path.is_file():
            continue
        if path.name == "config.json" and not _has_training_keys(path):
            continue
        return path
    return None


def _has_training_keys(path: Path) -> bool:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    return isinstance(data, dict) and any(key in data for key in HF_TRAINING_KEYS)


def find_run_config(source: Path, analysed: Path, explicit: Path | None = None) -> Path | None:
    """The config of a run read from ``source`` when the user pointed at ``analysed``.

    Beside the source first, then beside what the user named, then (a ``lightning_logs``
    folder) the newest ``version_*/hparams.yaml`` below the source.
    """
    found = find_config(source, explicit)
    if found is None and source != analysed:
        found = find_config(analysed)
    if found is None and source.is_dir():
        versions = sorted(source.glob("version_*/hparams.yaml"), key=lambda p: p.stat().st_mtime)
        found = versions[-1] if versions else None
    return found


def framework_written(config: Path) -> bool:
    """Configs a framework writes from the training code's arguments (Lightning hparams.yaml,
    Ultralytics args.yaml, W&B files/config.yaml): editing them changes nothing."""
    if config.name in ("hparams.yaml", "args.yaml"):
        return True
    return config.name == "config.yaml" and config.parent.name == "files"
