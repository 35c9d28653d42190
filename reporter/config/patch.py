"""Write a patched copy of a training config, changing only the keys asked for.

Existing keys are edited in place (the rest of the file stays byte for byte, comments
included). A missing key is added beside its relatives in the file's own style: inside the
nested section (``scheduler: {patience: ...}``), or with the flat prefix the file already uses
(the seed's ``scheduler_patience``). The source file is never overwritten.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reporter.config._fields import SPEC_CLASSES
from reporter.config._load import load_config, parse_yaml, to_plain
from reporter.config._plan import Op, Planner, get, is_missing
from reporter.config._textedit import EditError, json_dump, json_set, yaml_set
from reporter.config.keys import is_wandb
from reporter.config.setup import TrainingSetup
from reporter.errors import UsageError, suggest
from reporter.report.filters import display_path

SIMPLE_FIELDS = ("learning_rate", "clip_grad_norm", "epochs", "batch_size", "warmup_steps")
# Changes that live in the training code, not in a config: listed, never written.
CODE_ONLY = ("zclip", "resume_from", "skip_batches", "warmup_epochs")
SCHEDULER_ARGS = sorted({f.name for cls in SPEC_CLASSES.values() for f in dataclasses.fields(cls)})
EARLY_STOPPING_ARGS = ("patience", "min_delta", "mode")
FIELDS = (
    *SIMPLE_FIELDS,
    "scheduler",
    *(f"scheduler.{arg}" for arg in SCHEDULER_ARGS),
    *(f"early_stopping.{arg}" for arg in EARLY_STOPPING_ARGS),
)


@dataclass
class PatchedConfig:
    """A patched copy: where it went, its text, a unified diff and the (key, before, after) list.

    ``before`` is None for a key that the copy adds.
    """

    path: Path
    text: str
    diff: str
    changes: list[tuple[str, object, object]] = field(default_factory=list)
    source: Path | None = None
    backup: Path | None = None
    notes: list[str] = field(default_factory=list)

    def describe(self, *, leaf_only: bool = False) -> list[str]:
        """One line per change, e.g. ``training.scheduler_patience: 10 → 5``."""
        return [describe_change(k, b, a, leaf_only=leaf_only) for k, b, a in self.changes]


def describe_change(key: str, before: object, after: object, *, leaf_only: bool = False) -> str:
    """``scheduler_patience: 10 → 5``; an added key reads ``scheduler_T_max: added, 50``."""
    name = key.rsplit(".", 1)[-1] if leaf_only else key
    if before is None:
        return f"{name}: added, {_show(after)}"
    return f"{name}: {_show(before)} → {_show(after)}"


def _show(value: object) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def patch_config(
    setup: TrainingSetup,
    changes: dict[str, object],
    dest: Path,
    *,
    display_root: Path | None = None,
) -> PatchedConfig:
    """Apply ``changes`` (field name → new value) to a copy of ``setup.config_path`` at ``dest``.

    Field names: ``learning_rate``, ``clip_grad_norm``, ``epochs``, ``batch_size``,
    ``scheduler`` (a replay spec: writes the kind key and the spec's parameters),
    ``scheduler.<arg>`` and ``early_stopping.<arg>`` (torch / EarlyStopping names),
    ``warmup_steps``. A :class:`~reporter.remedies.plan.Relative` value multiplies the value
    the file holds (and is left out, with a note, where the file holds none); the names in
    :data:`CODE_ONLY` are left out with a note.
    The copy is written atomically (a temporary file, then a rename). An existing ``dest``
    with other content is kept as ``dest.bak`` first; a ``dest`` that is the source raises
    UsageError.
    """
    from reporter.report.atomic import write_now

    patched = plan_patch(setup, changes, dest, display_root=display_root)
    patched.backup = write_now(patched.path, patched.text.encode("utf-8"))
    return patched


def plan_patch(
    setup: TrainingSetup,
    changes: dict[str, object],
    dest: Path,
    *,
    display_root: Path | None = None,
) -> PatchedConfig:
    """The patched copy ``patch_config`` would write at ``dest``, computed without writing.

    The diff names both files relative to ``display_root`` when they lie below it.
    """
    if setup.config_path is None:
        raise UsageError("this setup was not read from a config file; nothing to patch")
    source = Path(setup.config_path)
    dest = Path(dest)
    if dest.is_dir():
        dest = dest / source.name
    if dest.resolve() == source.resolve():
        raise UsageError(
            f"refusing to overwrite the source config {source}",
            hint="write the patched copy elsewhere (e.g. beside the report)",
        )
    loaded = load_config(source)
    planner = Planner(setup, loaded.data, loaded.kind, is_wandb(loaded.data))
    ordered = _ordered(changes)
    for name, value in ordered:
        if name in CODE_ONLY:
            planner.notes.append(f"{name}: not a config setting; apply it in the training code")
            continue
        planner.plan(name, value)
    if not planner.ops:
        code = [name for name, _ in ordered if name in CODE_ONLY]
        raise UsageError(
            "nothing to write into the config: "
            + (f"this option is applied in the training code ({', '.join(code)})" if code else
               "every change is relative to a value the config does not hold")
        )
    text, applied = _apply(source, loaded.text, loaded.kind, loaded.data, planner.ops)
    diff = "".join(
        difflib.unified_diff(
            loaded.text.splitlines(keepends=True),
            text.splitlines(keepends=True),
            fromfile=display_path(source, display_root),
            tofile=display_path(dest, display_root),
        )
    )
    return PatchedConfig(dest, text, diff, applied, source=source, notes=planner.notes)


def _ordered(changes: dict[str, object]) -> list[tuple[str, object]]:
    for name in changes:
        if name not in FIELDS and name not in CODE_ONLY:
            hint = suggest(name, FIELDS)
            raise UsageError(
                f"cannot patch {name!r}: expected one of {', '.join(FIELDS)}"
                + (f"; {hint}" if hint else "")
            )
    return sorted(changes.items(), key=lambda item: item[0] != "scheduler")


def _apply(
    source: Path, text: str, kind: str, data: dict[str, Any], ops: list[Op]
) -> tuple[str, list[tuple[str, object, object]]]:
    expected = copy.deepcopy(data)
    applied: list[tuple[str, object, object]] = []
    for op in ops:
        before = get(data, op.path)
        if not is_missing(before) and _same(before, op.value):
            continue
        applied.append((".".join(op.path), None if is_missing(before) else before, op.value))
        json_set(expected, op.path, op.value, op.after)
        try:
            text = yaml_set(source, text, op.path, op.value, op.after) if kind == "yaml" else text
        except EditError as err:
            raise UsageError(f"{source}: {err}", hint="edit this key by hand") from err
    if kind == "json":
        text = json_dump(expected, text)
    _verify(source, text, expected)
    return text, applied


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=0.0)
    return a == b


def _verify(source: Path, text: str, expected: dict[str, Any]) -> None:
    """Re-read the patched text: it must equal the original with exactly the requested edits."""
    data = (
        json.loads(text) if source.suffix.lower() == ".json" else to_plain(parse_yaml(source, text))
    )
    if data != expected:
        raise RuntimeError(f"patching {source} would change more than the requested keys")
