"""Read a spec from the text :func:`replay.spec_text` writes: ``framework:Name(arg=value)``.

The text is a constructor call of the framework (without the optimizer), with an optional
``framework:`` prefix (``torch`` when absent): ``torch:StepLR(step_size=30)``,
``keras:ReduceLROnPlateau(monitor='val_loss', patience=3)``,
``hf:get_cosine_schedule_with_warmup(100, 1000)``, ``lightning:EarlyStopping(patience=5)``.
Values are Python literals (numbers, strings, None, booleans, lists, ``float('inf')``) or
nested calls of the same framework (the children of ``SequentialLR``). Every failure is a
:class:`SpecError` (a ValueError) that names the text and, where one helps, carries a hint.
"""

from __future__ import annotations

import ast
import difflib
import inspect
import re
from collections.abc import Callable, Iterable
from typing import Any

from replay.names import FUNCTION_ARGS, SPEC_NAMES

__all__ = ["SpecError", "parse_spec"]

CALL_HINT = 'write it like a constructor call, e.g. "torch:StepLR(step_size=30)"'
FUNCTION_HINT = "build the spec in Python (e.g. replay.LambdaLR(f)) and call replay.lr_trajectory"
# a Python function as spec_text writes it: ``lr_lambda=<lambda>``, ``schedule=<warmup>``
_FUNCTION_TEXT = re.compile(r"[(,=]\s*(<[^,()]+>)")


class SpecError(ValueError):
    """A spec text that cannot be read.

    ``text`` is the whole text as given; ``hint`` says what to write instead (None when the
    message already says it).
    """

    def __init__(self, message: str, *, text: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.text = text
        self.hint = hint


def parse_spec(text: str, *, framework: str = "torch") -> Any:
    """The spec that ``text`` describes; ``framework`` applies when the text has no prefix.

    >>> parse_spec("StepLR(step_size=30)")
    StepLR(step_size=30, gamma=0.1)
    >>> parse_spec("hf:get_linear_schedule_with_warmup(10, 100)").lr_scheduler_type
    'linear'
    >>> parse_spec("keras:EarlyStopping(monitor='val_accuracy', patience=2)").mode
    'max'
    """
    head, sep, call = text.partition(":")
    if not sep or "(" in head:
        head, call = framework, text
    name = head.strip().lower()
    if name not in SPEC_NAMES:
        raise SpecError(
            f"unknown framework {name!r} in {text!r} (choose from {', '.join(SPEC_NAMES)})",
            text=text,
            hint=_suggest(name, SPEC_NAMES),
        )
    node = _expression(call.strip(), text)
    if isinstance(node, ast.Name):  # a bare name: all defaults
        node = ast.Call(func=node, args=[], keywords=[])
    return _build(node, name, text)


def _expression(call: str, text: str) -> ast.expr:
    try:
        return ast.parse(call, mode="eval").body
    except SyntaxError as err:
        function = _FUNCTION_TEXT.search(call)
        if function:
            raise SpecError(
                f"{text!r} holds a Python function ({function.group(1)}); a function cannot "
                "be read back from text",
                text=text,
                hint=FUNCTION_HINT,
            ) from err
        column = (err.offset or 0) + len(text) - len(call.lstrip())
        raise SpecError(
            f"cannot read {text!r}: {err.msg} (column {column})", text=text, hint=CALL_HINT
        ) from err


def _build(node: ast.expr, framework: str, text: str) -> Any:
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
        raise SpecError(
            f"cannot read {text!r}: expected a call like Name(arg=value), "
            f"got {ast.unparse(node)!r}",
            text=text,
            hint=CALL_HINT,
        )
    name = node.func.id
    table = SPEC_NAMES[framework]
    if name not in table:
        elsewhere = [f"{other}:{name}(...)" for other in SPEC_NAMES if name in SPEC_NAMES[other]]
        raise SpecError(
            f"unknown {framework} name {name!r} in {text!r} (choose from {', '.join(table)})",
            text=text,
            hint=f"write {' or '.join(elsewhere)}" if elsewhere else _suggest(name, table),
        )
    if (framework, name) in FUNCTION_ARGS:
        raise SpecError(
            f"{framework}:{name} needs a Python function ({FUNCTION_ARGS[framework, name]}); "
            "it cannot be given as text",
            text=text,
            hint=FUNCTION_HINT,
        )
    args = [_value(a, framework, text) for a in node.args]
    kwargs: dict[str, Any] = {}
    for keyword in node.keywords:
        if keyword.arg is None:
            raise SpecError(
                f"cannot read {text!r}: write each argument of {name} as name=value, "
                f"not **{ast.unparse(keyword.value)}",
                text=text,
            )
        kwargs[keyword.arg] = _value(keyword.value, framework, text)
    return _construct(table[name], f"{framework}:{name}", args, kwargs, text)


def _value(node: ast.expr, framework: str, text: str) -> Any:
    if isinstance(node, ast.Call) and _is_float_call(node):
        return float(node.args[0].value)  # type: ignore[attr-defined]  # a str Constant
    if isinstance(node, ast.Call):
        return _build(node, framework, text)
    if isinstance(node, (ast.List, ast.Tuple)):
        return tuple(_value(e, framework, text) for e in node.elts)
    try:
        return ast.literal_eval(node)
    except ValueError as err:
        raise SpecError(
            f"cannot read {text!r}: {ast.unparse(node)!r} is not a number, string, list or call",
            text=text,
        ) from err


def _is_float_call(node: ast.Call) -> bool:
    """``float('inf')``, ``float('-inf')``, ``float('nan')`` (how spec_text writes them)."""
    return (
        isinstance(node.func, ast.Name)
        and node.func.id == "float"
        and not node.keywords
        and len(node.args) == 1
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    )


def _construct(
    factory: Callable[..., Any], where: str, args: list[Any], kwargs: dict[str, Any], text: str
) -> Any:
    params = inspect.signature(factory).parameters
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        for key in kwargs:
            if key not in params:
                raise SpecError(
                    f"{where} has no parameter {key!r} (parameters: {', '.join(params)})",
                    text=text,
                    hint=_suggest(key, params),
                )
    try:
        return factory(*args, **kwargs)
    except (TypeError, ValueError) as err:
        raise SpecError(f"{where}: {err}", text=text) from err


def _suggest(word: str, choices: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None
