"""Edit one key of a YAML or JSON text, leaving every other byte alone (YAML) or the layout
of a ``json.dumps(indent=N)`` file (JSON).

YAML edits are done on the text, at the line and column that ruamel.yaml's round-trip parser
reports, so comments, quoting, spacing and key order stay exactly as the user wrote them.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString

from reporter.config._load import parse_yaml

_PLAIN_SAFE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-/]*$")
_YAML_WORDS = frozenset({"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"})


class EditError(ValueError):
    """The text cannot be edited at this key without rewriting more than the key."""


def yaml_scalar(value: Any, old_token: str = "") -> str:
    """``value`` as a YAML scalar that PyYAML and ruamel both read back as the same value.

    Floats always get a dot and a signed exponent (``5.0e-05``): YAML 1.1 readers such as
    PyYAML read ``5e-05`` as a string.
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return ".nan" if math.isnan(value) else (".inf" if value > 0 else "-.inf")
        text = repr(value)
        if "e" in text and "." not in text.split("e")[0]:
            mantissa, exponent = text.split("e")
            text = f"{mantissa}.0e{exponent}"
        return text
    text = str(value)
    quote = old_token[:1]
    if quote == "'" and "'" not in text:
        return f"'{text}'"
    if quote == '"' or not _PLAIN_SAFE.match(text) or text.lower() in _YAML_WORDS:
        return json.dumps(text)
    return text


def yaml_set(path: Path, text: str, keys: tuple[str, ...], value: Any, after: str | None) -> str:
    """Set ``keys`` to ``value`` in YAML ``text``; create missing keys after sibling ``after``."""
    document = parse_yaml(path, text)
    lines = text.splitlines(keepends=True)
    node, depth = document, 0
    while depth < len(keys) - 1 and isinstance(node, CommentedMap) and keys[depth] in node:
        if not isinstance(node[keys[depth]], CommentedMap):
            break
        node, depth = node[keys[depth]], depth + 1
    if not isinstance(node, CommentedMap) or node.fa.flow_style():
        raise EditError(f"cannot edit {'.'.join(keys)}: not in a block mapping")
    if depth == len(keys) - 1 and keys[-1] in node:
        _replace_value(lines, node, keys[-1], value)
    else:
        if keys[depth] in node:
            raise EditError(f"cannot add {'.'.join(keys)}: {keys[depth]} is not a mapping")
        _insert(lines, document, node, keys[depth:], value, after)
    return "".join(lines)


def _replace_value(lines: list[str], mapping: CommentedMap, key: str, value: Any) -> None:
    current = mapping[key]
    if isinstance(current, (CommentedMap, CommentedSeq)):
        raise EditError(f"cannot replace the mapping or list at {key} with a scalar")
    if current is None:
        row, col = mapping.lc.key(key)
        col = lines[row].index(":", col + len(str(key))) + 1
        end = _token_end(lines[row], col, flow=False)
        token = lines[row][col:end].strip()
        new = " " + yaml_scalar(value) if token in ("", "null", "~", "Null", "NULL") else None
        if new is None:
            raise EditError(f"cannot find the empty value of {key}")
        lines[row] = lines[row][:col] + new + lines[row][end:]
        return
    row, col = mapping.lc.value(key)
    line = lines[row]
    while line[col : col + 1] in ("&", "!"):  # an anchor or tag before the value
        col = line.index(" ", col) + 1
    if line[col : col + 1] in ("|", ">"):
        raise EditError(f"cannot replace the block scalar at {key}")
    end = _token_end(line, col, flow=False)
    lines[row] = line[:col] + yaml_scalar(value, line[col:end]) + line[end:]


def _token_end(line: str, col: int, *, flow: bool) -> int:
    """End (exclusive) of the scalar token starting at ``col``."""
    first = line[col : col + 1]
    if first == "'":
        i = col + 1
        while i < len(line):
            if line[i] == "'" and line[i + 1 : i + 2] != "'":
                return i + 1
            i += 2 if line[i] == "'" else 1
        return len(line.rstrip("\r\n"))
    if first == '"':
        i = col + 1
        while i < len(line) and not (line[i] == '"' and line[i - 1] != "\\"):
            i += 1
        return min(i + 1, len(line.rstrip("\r\n")))
    body = line.rstrip("\r\n")
    end = len(body)
    hash_at = body.find(" #", col)
    if hash_at != -1:
        end = hash_at
    if flow:
        for stop in ",}]":
            at = body.find(stop, col)
            if at != -1:
                end = min(end, at)
    return len(body[:end].rstrip())


def _insert(
    lines: list[str],
    document: CommentedMap,
    mapping: CommentedMap,
    keys: tuple[str, ...],
    value: Any,
    after: str | None,
) -> None:
    if not mapping:
        raise EditError(f"cannot add {'.'.join(keys)} to an empty mapping")
    anchor = after if after in mapping else list(mapping)[-1]
    indent = mapping.lc.key(next(iter(mapping)))[1]
    step = _indent_step(document)
    new = [
        " " * (indent + i * step) + f"{key}:" + ("\n" if i < len(keys) - 1 else "")
        for i, key in enumerate(keys)
    ]
    new[-1] += f" {yaml_scalar(value)}\n"
    row = _last_row(mapping, anchor)
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    if row < len(lines) and not lines[row].endswith("\n"):
        lines[row] += newline
    lines[row + 1 : row + 1] = [line.replace("\n", newline) for line in new]


def _last_row(mapping: CommentedMap, key: str) -> int:
    """0-based line of the last character of ``key``'s value."""
    value = mapping[key]
    if isinstance(value, CommentedMap) and value and not value.fa.flow_style():
        return _last_row(value, list(value)[-1])
    if isinstance(value, CommentedSeq) and value and not value.fa.flow_style():
        last = len(value) - 1
        item = value[last]
        if isinstance(item, CommentedMap) and item and not item.fa.flow_style():
            return _last_row(item, list(item)[-1])
        return value.lc.item(last)[0]
    if value is None or (isinstance(value, (CommentedMap, CommentedSeq)) and not value):
        return mapping.lc.key(key)[0]
    row = mapping.lc.value(key)[0]
    if isinstance(value, (LiteralScalarString, FoldedScalarString)):
        row += value.rstrip("\n").count("\n") + 1
    return row


def _indent_step(document: CommentedMap) -> int:
    """Columns between a key and its nested keys in this file (2 when nothing is nested)."""
    stack = [document]
    while stack:
        mapping = stack.pop(0)
        for key, value in mapping.items():
            if isinstance(value, CommentedMap) and value and not value.fa.flow_style():
                step = value.lc.key(next(iter(value)))[1] - mapping.lc.key(key)[1]
                if step > 0:
                    return step
                stack.append(value)
    return 2


def json_set(data: dict[str, Any], keys: tuple[str, ...], value: Any, after: str | None) -> None:
    """Set ``keys`` in parsed JSON ``data``; new keys go after ``after`` (or sorted, or last)."""
    node = data
    for key in keys[:-1]:
        if key not in node:
            _json_insert(node, key, {}, after)
        elif node[key] is None:  # HF writes "lr_scheduler_kwargs": null when unset
            node[key] = {}
        node = node[key]
        if not isinstance(node, dict):
            raise EditError(f"cannot add {'.'.join(keys)}: {key} is not an object")
    if keys[-1] in node:
        node[keys[-1]] = value
    else:
        _json_insert(node, keys[-1], value, after)


def _json_insert(node: dict[str, Any], key: str, value: Any, after: str | None) -> None:
    items = list(node.items())
    names = [k for k, _ in items]
    if len(names) > 1 and names == sorted(names):
        position = sum(1 for name in names if name < key)
    elif after in node:
        position = names.index(after) + 1
    else:
        position = len(items)
    items.insert(position, (key, value))
    node.clear()
    node.update(items)


def json_dump(data: dict[str, Any], original: str) -> str:
    """``data`` laid out like ``original`` (its indent and final newline)."""
    match = re.search(r"\n([ \t]+)\S", original)
    indent: int | str = 2
    if match:
        indent = match.group(1) if "\t" in match.group(1) else len(match.group(1))
    text = json.dumps(data, indent=indent, ensure_ascii=original.isascii())
    return text + ("\n" if original.endswith("\n") else "")
