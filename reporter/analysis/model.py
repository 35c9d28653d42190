"""The Analysis: the single plain-data object every renderer sees."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

SCHEMA_VERSION = 1
LABELS = ("observed", "exact replay", "conditional replay", "measured")


@dataclass
class Analysis:
    """Everything the report says, already computed; ``to_dict()`` is the JSON report."""

    run: dict[str, Any]
    setup: dict[str, Any]
    diagnosis: dict[str, Any]
    headline: str
    fidelity: dict[str, Any] | None
    current: dict[str, Any]
    options: list[dict[str, Any]]
    confirmation: dict[str, Any] | None
    recommendation: dict[str, Any]
    series: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    patches: list[dict[str, Any]] = field(default_factory=list)
    schema: int = SCHEMA_VERSION
    # live objects the writer needs (TrainingSetup, each option's changes); not in the JSON
    internals: dict[str, Any] = field(default_factory=dict, repr=False,
                                      metadata={"json": False})

    def to_dict(self) -> dict[str, Any]:
        return jsonable({f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                         if f.metadata.get("json", True)})


def jsonable(obj: Any) -> Any:
    """Plain JSON types only: dataclasses to dicts, numpy to Python, NaN/inf to None."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {"type": type(obj).__name__, **{k: jsonable(v) for k, v in vars(obj).items()}}
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [jsonable(v) for v in obj.tolist()]
    if isinstance(obj, np.generic):
        return jsonable(obj.item())
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if obj is None or isinstance(obj, (str, int, bool)):
        return obj
    return str(obj)
