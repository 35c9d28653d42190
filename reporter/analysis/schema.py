"""The JSON Schema of ``report.json``, generated from the typed ``Analysis`` model.

One definition per model class (``$defs``), built from the dataclass fields and their type
hints, so the schema cannot drift from what ``Analysis.to_dict()`` writes.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, Union

from reporter.analysis.model import MODEL_TYPES, SCHEMA_VERSION, Analysis
from reporter.diagnose.findings import Finding

__all__ = ["json_schema"]

_SCALARS: dict[Any, dict[str, Any]] = {
    str: {"type": "string"},
    int: {"type": "integer"},
    # JSON has one number type; non-finite floats are written as null
    float: {"type": ["number", "null"]},
    bool: {"type": "boolean"},
    type(None): {"type": "null"},
    Any: {},
}


def json_schema() -> dict[str, Any]:
    """The schema (draft 2020-12) of ``Analysis.to_dict()`` at ``SCHEMA_VERSION``."""
    defs: dict[str, Any] = {}
    root = _ref(Analysis, defs)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://reporter.invalid/schema/analysis-v{SCHEMA_VERSION}.json",
        "title": "reporter analysis (report.json)",
        "description": f"schema_version {SCHEMA_VERSION}",
        **root,
        "$defs": defs,
    }


def _ref(cls: type, defs: dict[str, Any]) -> dict[str, Any]:
    name = cls.__name__
    if name not in defs:
        defs[name] = {}  # placeholder: recursive references stop here
        hints = typing.get_type_hints(cls)
        props = {f.name: _schema(hints[f.name], defs) for f in dataclasses.fields(cls)}
        if cls is Finding:  # serialised through its own to_dict: evidence is a free mapping
            props["caveats"] = {"type": "array", "items": {"type": "string"}}
        doc = (cls.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
        defs[name] = {"type": "object", "description": doc, "properties": props,
                      "required": sorted(props), "additionalProperties": False}
    return {"$ref": f"#/$defs/{name}"}


def _schema(hint: Any, defs: dict[str, Any]) -> dict[str, Any]:
    if hint in _SCALARS:
        return dict(_SCALARS[hint])
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (Union, types.UnionType):
        return {"anyOf": [_schema(a, defs) for a in args]}
    if hint in (dict, list):
        return {"type": "object" if hint is dict else "array"}
    if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
        return {"type": "array", "prefixItems": [_schema(a, defs) for a in args],
                "minItems": len(args), "maxItems": len(args)}
    if origin in (tuple, list):
        return {"type": "array", "items": _schema(args[0], defs)}
    if origin is dict:
        return {"type": "object", "additionalProperties": _schema(args[1], defs)}
    if isinstance(hint, type) and dataclasses.is_dataclass(hint) and (
            hint in MODEL_TYPES or hint is Finding):
        return _ref(hint, defs)
    raise TypeError(f"no JSON Schema for the type hint {hint!r}")
