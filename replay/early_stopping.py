"""Early-stopping specs (the replays live beside them)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EarlyStopping:
    """Stop after ``patience`` checks without an improvement larger than ``min_delta``.

    ``semantics`` picks whose counting rule applies: ``"lightning"`` (the common hand-written
    loop: ``wait += 1`` on a non-improving check, stop when ``wait >= patience``),
    ``"keras"`` or ``"hf"``.
    """

    patience: int = 3
    min_delta: float = 0.0
    mode: str = "min"
    semantics: str = "lightning"

    def __post_init__(self) -> None:
        if self.mode not in ("min", "max"):
            raise ValueError(f"EarlyStopping mode must be 'min' or 'max', got {self.mode!r}")
        if self.semantics not in ("lightning", "keras", "hf"):
            raise ValueError(
                "EarlyStopping semantics must be 'lightning', 'keras' or 'hf', "
                f"got {self.semantics!r}"
            )
