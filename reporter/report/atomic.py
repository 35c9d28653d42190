"""Write output files atomically, and one run's outputs all together.

Every file reporter writes goes through :func:`write_bytes`. Alone, it writes a temporary file
beside the target (``.<name>.tmp-<pid>``), fsyncs it and renames it over the target, so a reader
sees the old file or the new one, never half of one. Inside ``with staged(root) as outputs:``
(the ``analyze`` command wraps one invocation in it) the files are only held in memory, and
:meth:`OutputSet.commit` writes them all once everything has been rendered: a Ctrl-C during
the confirmation trainings or the rendering leaves the output folder as it was.

Nothing the user owns is overwritten without a backup: an existing file that differs from the
new bytes is first kept as ``<name>.bak``, unless the manifest shows it is reporter's own
earlier output, unedited since. A file with the same bytes is left alone.

``commit`` also keeps a manifest, ``<root>/.reporter-manifest.json``: each file it wrote, with
its sha256. Files the previous run wrote and this one did not (an earlier ``--format``, a run
no longer in the tree) are removed when their bytes still match the manifest, and otherwise
kept and reported as stale. A file that is not in the manifest is never removed.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
import os
import shutil
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

MANIFEST_NAME = ".reporter-manifest.json"
MANIFEST_VERSION = 1
TMP_MARK = ".tmp-"

# the OutputSet of the enclosing ``with staged(...)`` block, if any
_STAGED: contextvars.ContextVar[OutputSet | None] = contextvars.ContextVar(
    "reporter_staged_outputs", default=None
)


@dataclass
class CommitResult:
    """What :meth:`OutputSet.commit` did: files written (in the order they were added), files
    of the previous run removed, and files of the previous run kept because they were edited."""

    written: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)
    stale: list[Path] = field(default_factory=list)


class OutputSet:
    """The files of one run, held in memory until :meth:`commit` writes them together.

    ``root`` is the output folder; the manifest lives there and lists the files below it.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._files: dict[Path, bytes] = {}

    def add(self, path: Path, payload: bytes) -> Path:
        """Hold ``payload`` for ``path`` (a later add of the same path replaces it)."""
        path = Path(path)
        self._files.pop(path, None)
        self._files[path] = bytes(payload)
        return path

    def __len__(self) -> int:
        return len(self._files)

    def commit(self) -> CommitResult:
        """Write every held file, then the manifest, then clear out the previous run's files.

        All temporary files (and backups) are written and fsynced first; an error or Ctrl-C
        then removes them and leaves every target as it was. The renames that follow are quick
        and a Ctrl-C during them is held back until they are done, then raised.
        """
        previous = _read_manifest(self.root)
        recorded = {path: hashlib.sha256(data).hexdigest() for path, data in self._files.items()}
        with _Batch() as batch:
            for path, payload in self._files.items():
                # our own earlier output, unedited since (its hash is in the manifest): the
                # new run replaces it without a .bak; anything else is kept as .bak first
                ours = previous.get(_relative(path, self.root))
                unedited = ours is not None and path.is_file() and not path.is_symlink() \
                    and _sha256(path) == ours
                batch.prepare(path, payload, keep_backup=not unedited)
            with _interrupts_held():
                batch.rename_all()
                result = CommitResult(written=list(self._files))
                kept = self._clear_previous(previous, recorded, result)
                _write_manifest(self.root, {**kept, **recorded})
        self._files.clear()
        return result

    def _clear_previous(self, previous: dict[str, str], recorded: dict[Path, str],
                        result: CommitResult) -> dict[Path, str]:
        """Remove the previous run's unedited files that this run did not write; return the
        edited ones (still in the manifest, so later runs list them too)."""
        current = {_relative(p, self.root) for p in recorded}
        kept: dict[Path, str] = {}
        emptied: set[Path] = set()
        for name, digest in sorted(previous.items()):
            path = self.root / name
            if name in current or not _inside(path, self.root) or not path.is_file():
                continue
            if path.is_symlink() or _sha256(path) != digest:
                result.stale.append(path)
                kept[path] = digest
                continue
            path.unlink()
            result.removed.append(path)
            emptied.add(path.parent)
        for folder in sorted(emptied, key=lambda p: len(p.parts), reverse=True):
            _remove_empty_folders(folder, self.root)
        return kept


@contextlib.contextmanager
def staged(root: Path) -> Iterator[OutputSet]:
    """Within the block, :func:`write_bytes` holds files in the yielded set instead of writing.

    Call ``commit()`` on it after the block; leaving the block by an exception writes nothing.
    """
    outputs = OutputSet(root)
    token = _STAGED.set(outputs)
    try:
        yield outputs
    finally:
        _STAGED.reset(token)


def write_bytes(path: Path, payload: bytes) -> Path:
    """Write ``payload`` to ``path`` atomically, or hold it when inside :func:`staged`."""
    outputs = _STAGED.get()
    if outputs is not None:
        return outputs.add(path, payload)
    write_now(path, payload)
    return Path(path)


def write_now(path: Path, payload: bytes) -> Path | None:
    """Write ``payload`` to ``path`` atomically now; return the ``.bak`` kept, if one was.

    An existing ``path`` with other bytes is kept as ``<name>.bak`` (replacing an older
    backup); one with the same bytes is left alone.
    """
    with _Batch() as batch:
        batch.prepare(Path(path), payload)
        with _interrupts_held():
            batch.rename_all()
    return batch.backups.get(Path(path))


def backup_path(path: Path) -> Path:
    """Where the previous content of ``path`` is kept: ``<name>.bak`` beside it."""
    return path.with_name(path.name + ".bak")


def temp_path(path: Path) -> Path:
    """The temporary file a write to ``path`` goes through: ``.<name>.tmp-<pid>`` beside it."""
    return path.with_name(f".{path.name}{TMP_MARK}{os.getpid()}")


class _Batch:
    """Temporary files waiting to be renamed over their targets; removed if never renamed."""

    def __init__(self) -> None:
        self._renames: list[tuple[Path, Path]] = []  # (temporary file, target), in order
        self.backups: dict[Path, Path] = {}  # target -> its .bak

    def __enter__(self) -> _Batch:
        return self

    def __exit__(self, *exc_info) -> None:
        for tmp, _target in self._renames:  # any left here were not renamed: an error
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        self._renames.clear()

    def prepare(self, path: Path, payload: bytes, *, keep_backup: bool = True) -> None:
        """Write ``payload`` (and a copy of a differing existing file) to temporary files."""
        if path.is_dir():
            raise IsADirectoryError(f"{path}: is a folder, cannot write a file there")
        if path.is_file() and path.read_bytes() == payload:
            return
        if keep_backup and path.is_file():
            backup = backup_path(path)
            tmp_backup = temp_path(backup)
            self._renames.append((tmp_backup, backup))
            shutil.copy2(path, tmp_backup)
            _fsync_file(tmp_backup)
            self.backups[path] = backup
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = temp_path(path)
        self._renames.append((tmp, path))
        with open(tmp, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())

    def rename_all(self) -> None:
        folders = set()
        while self._renames:
            tmp, target = self._renames[0]
            os.replace(tmp, target)
            self._renames.pop(0)
            folders.add(target.parent)
        for folder in folders:
            _fsync_folder(folder)


@contextlib.contextmanager
def _interrupts_held() -> Iterator[None]:
    """Hold back SIGINT for the block, then deliver it to the handler that was in place.

    Only the main thread can set signal handlers; elsewhere the block runs as it is.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, _frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught and callable(previous):
        previous(signal.SIGINT, None)  # the default handler raises KeyboardInterrupt


def _read_manifest(root: Path) -> dict[str, str]:
    """``{relative path: sha256}`` of the previous run; empty when there is none or it is not
    one we can read (then nothing is removed)."""
    try:
        data = json.loads((root / MANIFEST_NAME).read_text(encoding="utf-8"))
        files = data["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    if not isinstance(files, dict):
        return {}
    return {str(k): str(v) for k, v in files.items()}


def _write_manifest(root: Path, files: dict[Path, str]) -> None:
    entries = {_relative(p, root): digest for p, digest in files.items() if _inside(p, root)}
    text = json.dumps({"version": MANIFEST_VERSION, "files": dict(sorted(entries.items()))},
                      indent=2)
    with _Batch() as batch:
        batch.prepare(root / MANIFEST_NAME, (text + "\n").encode("utf-8"), keep_backup=False)
        batch.rename_all()


def _relative(path: Path, root: Path) -> str:
    return Path(os.path.relpath(path, root)).as_posix()


def _inside(path: Path, root: Path) -> bool:
    try:
        Path(os.path.abspath(path)).relative_to(os.path.abspath(root))
    except ValueError:
        return False
    return ".." not in Path(os.path.relpath(path, root)).parts


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _remove_empty_folders(folder: Path, root: Path) -> None:
    """Remove ``folder`` and its parents up to (not including) ``root`` while they are empty."""
    while _inside(folder, root) and os.path.abspath(folder) != os.path.abspath(root):
        try:
            folder.rmdir()
        except OSError:  # not empty (or not ours to remove): stop here
            return
        folder = folder.parent


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _fsync_folder(folder: Path) -> None:
    """Make the renames in ``folder`` durable; not possible (nor needed) on Windows."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
