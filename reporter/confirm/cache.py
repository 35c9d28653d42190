"""A folder of finished confirmation trainings, so analysing a run again trains nothing.

One JSON file per seed, named by the SHA-256 of what decides its numbers: the task's source
(the proxy's modules, or the entry point's file), the task's parameters, the setting (its
``TrialSpec``), the seed, the torch version and how it was trained (all seeds of a setting
at once, or one at a time, which round differently). The setting's *name* is not part of it:
the same settings under another option name are the same training. For an entry point only
its own file is hashed: an edit to a module it imports is not seen (``--no-cache`` retrains).

The folder is ``$REPORTER_CACHE_DIR``, else ``$XDG_CACHE_HOME/reporter/trials``, else
``~/.cache/reporter/trials``. An entry that cannot be read is ignored with a note and
overwritten by the new result.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from reporter.confirm.spec import SeedCurve, Task, TrialSpec

FORMAT = 1  # bump when the stored shape changes; older entries are then simply not found
_ARRAYS = ("train_loss", "val_loss", "lr", "grad_norm", "clip_fraction")
_PROXY_SOURCES = ("proxy.py", "loop.py", "spec.py", "batched.py")


def default_folder() -> Path:
    """Where the cache lives (see the module docstring)."""
    if os.environ.get("REPORTER_CACHE_DIR"):
        return Path(os.environ["REPORTER_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "reporter" / "trials"


class TrialCache:
    """Stored :class:`SeedCurve` s by (task source, task, setting, seed, torch, method)."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = Path(folder) if folder is not None else default_folder()
        self.notes: list[str] = []
        self.hits = 0
        self._source_hashes: dict[str, str] = {}

    def key(self, task: Task, spec: TrialSpec, seed: int, *, batched: bool,
            torch_version: str) -> str:
        """The entry's name: a hash of everything that decides the seed's numbers."""
        parts = {
            "format": FORMAT,
            "source": self._source_hash(task),
            "task": [task.kind, sorted(task.parameters().items(), key=lambda kv: kv[0])],
            "spec": repr(spec),
            "seed": seed,
            "torch": torch_version,
            "method": "batched" if batched else "one seed",
        }
        text = json.dumps(parts, sort_keys=True, default=repr)
        return hashlib.sha256(text.encode()).hexdigest()

    def get(self, key: str, name: str) -> SeedCurve | None:
        """The stored curve for ``key``, labelled ``name``; None when absent or unreadable."""
        path = self._path(key)
        if not path.exists():
            return None
        try:
            curve = _curve(json.loads(path.read_text(encoding="utf-8")), name)
        except (OSError, ValueError, KeyError, TypeError) as error:
            self.notes.append(f"ignored an unreadable cache entry {path.name} "
                              f"({type(error).__name__}: {error}); retrained")
            return None
        self.hits += 1
        return curve

    def put(self, key: str, curve: SeedCurve) -> None:
        """Store ``curve`` (temp file and rename); a folder that cannot be written is noted."""
        data = dataclasses.asdict(curve)
        for field in _ARRAYS:
            data[field] = [float(v) for v in np.asarray(data[field], dtype=float)]
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            temp.write_text(json.dumps(data), encoding="utf-8")  # NaN, Infinity kept as such
            os.replace(temp, path)
        except OSError as error:
            note = f"could not write the trial cache ({error.strerror or error})"
            if note not in self.notes:
                self.notes.append(note)

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def _source_hash(self, task: Task) -> str:
        files = _source_files(task)
        cache_key = "\0".join(str(f) for f in files)
        if cache_key not in self._source_hashes:
            digest = hashlib.sha256()
            for file in files:
                digest.update(file.name.encode())
                try:
                    digest.update(file.read_bytes())
                except OSError:
                    digest.update(b"<unreadable>")
            self._source_hashes[cache_key] = digest.hexdigest()
        return self._source_hashes[cache_key]


def _curve(data: dict[str, Any], name: str) -> SeedCurve:
    """A SeedCurve from its stored fields (one missing and without a default: KeyError)."""
    values: dict[str, Any] = {}
    for f in dataclasses.fields(SeedCurve):
        if f.name == "trial":
            values[f.name] = name
        elif f.name in _ARRAYS:
            values[f.name] = np.array(data[f.name], dtype=float)
        elif f.name in data or f.default is dataclasses.MISSING:
            values[f.name] = data[f.name]
    if not isinstance(values["seed"], int) or not isinstance(values["diverged"], bool):
        raise TypeError("seed or diverged of the wrong type")
    return SeedCurve(**values)


def _source_files(task: Task) -> list[Path]:
    if task.kind == "proxy":
        here = Path(__file__).resolve().parent
        return [here / name for name in _PROXY_SOURCES]
    path = Path(getattr(task, "path", ""))
    if getattr(task, "is_file", False):
        return [path]
    import importlib.util

    try:
        spec = importlib.util.find_spec(str(path))  # module form: package.module
    except (ImportError, ValueError):
        return []
    return [Path(spec.origin)] if spec is not None and spec.origin else []
