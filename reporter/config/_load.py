"""Read a config file into a round-trip document and plain Python data.

YAML goes through ruamel.yaml in round-trip mode, which keeps comments, key order and the
line/column of every key, and leaves unknown tags (Lightning's ``!!python/object:...``) as
tagged nodes instead of running or refusing them. JSON goes through the stdlib ``json``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from reporter.errors import ConfigError

JSON_SUFFIXES = frozenset({".json"})
_STANDARD_TAG_PREFIX = "tag:yaml.org,2002:"
_STANDARD_TAGS = frozenset(
    _STANDARD_TAG_PREFIX + name
    for name in ("map", "seq", "str", "int", "float", "bool", "null", "omap", "set", "timestamp")
)


@dataclass
class LoadedConfig:
    """A parsed config: its text, the round-trip document (YAML only) and plain data."""

    path: Path
    text: str
    kind: str  # "yaml" or "json"
    data: dict[str, Any]
    document: Any = None
    tags: list[str] = field(default_factory=list)


def new_yaml() -> YAML:
    """A round-trip YAML instance (comments, order, positions, unknown tags kept)."""
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    return yaml


def load_config(path: Path) -> LoadedConfig:
    """Parse ``path``; raise ConfigError with the line for a syntax error or a non-mapping."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            text = handle.read()
    except FileNotFoundError as err:
        raise ConfigError(path, "config file not found") from err
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(path, f"cannot read the config: {err}") from err
    if path.suffix.lower() in JSON_SUFFIXES:
        return _load_json(path, text)
    return _load_yaml(path, text)


def _load_json(path: Path, text: str) -> LoadedConfig:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise ConfigError(path, f"invalid JSON: {err.msg}", line=err.lineno) from err
    _require_mapping(path, data)
    return LoadedConfig(path=path, text=text, kind="json", data=data)


def parse_yaml(path: Path, text: str) -> Any:
    """Round-trip load ``text``; a syntax error becomes ConfigError with its 1-based line."""
    try:
        return new_yaml().load(text)
    except MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark is not None else None
        reason = err.problem or err.context or "invalid YAML"
        opened = err.context_mark
        if err.context and err.problem and opened is not None and opened is not mark:
            reason = f"{err.context} (from line {opened.line + 1}): {reason}"
        raise ConfigError(path, f"invalid YAML: {reason}", line=line) from err
    except YAMLError as err:
        raise ConfigError(path, f"invalid YAML: {err}") from err


def _load_yaml(path: Path, text: str) -> LoadedConfig:
    document = parse_yaml(path, text)
    tags: list[str] = []
    data = to_plain(document, tags)
    _require_mapping(path, data)
    return LoadedConfig(
        path=path, text=text, kind="yaml", data=data, document=document, tags=sorted(set(tags))
    )


def _require_mapping(path: Path, data: Any) -> None:
    if data is None:
        raise ConfigError(path, "the config is empty; expected a mapping of settings")
    if not isinstance(data, dict):
        raise ConfigError(
            path, f"the top level is a {type(data).__name__}; expected a mapping of settings"
        )


def to_plain(node: Any, tags: list[str] | None = None) -> Any:
    """Turn round-trip nodes into dicts, lists and plain scalars, recording non-standard tags."""
    tag = getattr(getattr(node, "tag", None), "value", None)
    if tags is not None and tag and tag not in _STANDARD_TAGS:
        tags.append(tag.replace(_STANDARD_TAG_PREFIX, "!!"))
    if isinstance(node, TaggedScalar):
        return node.value
    if isinstance(node, (CommentedMap, dict)):
        return {str(k): to_plain(v, tags) for k, v in node.items()}
    if isinstance(node, (CommentedSeq, list, tuple)):
        return [to_plain(v, tags) for v in node]
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    return node


def tag_suffix(document: Any, path: tuple[str, ...]) -> str | None:
    """The last dotted part of a ``!!python/name:torch.optim.adam.Adam`` tag at ``path``."""
    node = document
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    tag = getattr(getattr(node, "tag", None), "value", None)
    if not tag or tag in _STANDARD_TAGS or ":" not in tag.replace(_STANDARD_TAG_PREFIX, ""):
        return None
    return tag.rsplit(":", 1)[-1].rsplit(".", 1)[-1] or None
