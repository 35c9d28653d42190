"""What the run was configured to do, each field with where it came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FRAMEWORKS = ("torch", "keras", "hf", "lightning", "ultralytics", "unknown")


@dataclass(frozen=True)
class Provenance:
    """Where a setting came from: a key in a config file, a framework default, or inference.

    ``file`` is the path as shown to the user (relative to the run when possible),
    ``key`` the dotted key inside it (``training.scheduler_patience``). ``derived`` is True
    when the value was taken from another key (T_max from the epochs), so patching the field
    must add its own key rather than edit that one.
    """

    file: str | None = None
    key: str | None = None
    note: str = ""
    derived: bool = False

    def __str__(self) -> str:
        if self.file and self.key:
            text = f"{self.file}: {self.key}"
        elif self.file:
            text = self.file
        else:
            text = self.note or "unknown"
        if self.note and (self.file or self.key):
            text += f" ({self.note})"
        return text

    @property
    def key_path(self) -> tuple[str, ...]:
        """The key split into its parts, for patching the file."""
        return tuple(self.key.split(".")) if self.key else ()


@dataclass
class TrainingSetup:
    """The training settings that matter for instability, in framework terms.

    ``scheduler`` is a replay spec (``replay.ReduceLROnPlateau(...)`` etc.) or None when no
    scheduler was found; ``early_stopping`` a ``replay.EarlyStopping`` or None;
    ``clip_grad_norm`` the max norm of ``clip_grad_norm_`` (None: no clipping).
    ``provenance`` maps a field name (``"learning_rate"``, ``"scheduler"``,
    ``"scheduler.patience"``, ``"early_stopping.patience"``, ``"clip_grad_norm"``, ...)
    to where its value came from. ``raw`` keeps the config as read (plain dicts).
    """

    framework: str = "unknown"
    optimizer: str | None = None
    learning_rate: float | None = None
    scheduler: Any | None = None
    early_stopping: Any | None = None
    clip_grad_norm: float | None = None
    epochs: int | None = None
    batch_size: int | None = None
    config_path: Path | None = None
    provenance: dict[str, Provenance] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)

    def source_of(self, name: str) -> str:
        """Human-readable provenance of one field (``"not found"`` when absent)."""
        prov = self.provenance.get(name)
        return str(prov) if prov else "not found"
