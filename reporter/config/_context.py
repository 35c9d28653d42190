"""Shared state while mapping one config: the leaves, provenance and file-level notes."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from reporter.config._load import LoadedConfig
from reporter.config.keys import Leaf
from reporter.config.setup import Provenance

FALSE_WORDS = frozenset({"false", "no", "off", "none", "null", "0"})
TRUE_WORDS = frozenset({"true", "yes", "on", "1"})


@dataclass
class Context:
    """What the field readers share: the file, its leaves, and what they recorded."""

    loaded: LoadedConfig
    shown: str
    found: list[Leaf]
    framework: str = "unknown"
    provenance: dict[str, Provenance] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    used: set[int] = field(default_factory=set)

    def record(self, name: str, leaf: Leaf | None, note: str = "", *,
               derived: bool = False) -> None:
        """Set the provenance of field ``name``: a key in this file, or just a note.

        ``derived``: the value was taken from ``leaf``, a key of another field.
        """
        if leaf is None:
            self.provenance[name] = Provenance(note=note)
        else:
            self.used.add(leaf.order)
            self.provenance[name] = Provenance(file=self.shown, key=leaf.key, note=note,
                                               derived=derived)

    def first(self, name: str, hits: list[Leaf], convert: Any) -> tuple[Leaf | None, Any]:
        """The first hit whose value converts; other hits with other values go in a note."""
        chosen, value = None, None
        for leaf in hits:
            converted = convert(leaf.value)
            if converted is None:
                continue
            if chosen is None:
                chosen, value = leaf, converted
            elif converted != value:
                self.used.add(leaf.order)
                self.notes.append(
                    f"{name}: also found {leaf.key} = {leaf.value!r}, used {chosen.key} instead"
                )
        return chosen, value


def as_float(value: Any) -> float | None:
    """A finite or infinite float from a number or a numeric string; None otherwise."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def as_int(value: Any) -> int | None:
    """An int from an integral number or numeric string; None otherwise."""
    number = as_float(value)
    if number is None or not math.isfinite(number) or number != int(number):
        return None
    return int(number)


def as_str(value: Any) -> str | None:
    """A non-empty string, or None."""
    return value.strip() if isinstance(value, str) and value.strip() else None


def as_bool(value: Any) -> bool | None:
    """A YAML-ish boolean (``true``, ``off``, ``1``...), or None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in TRUE_WORDS | FALSE_WORDS:
        return value.strip().lower() in TRUE_WORDS
    return None
