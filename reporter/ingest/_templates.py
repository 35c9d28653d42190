"""Line templates found in a text log by themselves (issue 7, item 3).

The way log-template miners (Drain, Spell) group lines: a line's template is its text with
every number replaced by a slot, so lines printed by the same statement share one template.
A template that repeats, carries a counter (``iter``, ``step``, ``epoch``, ``batch``, an
``N/M``) and names at least one other number is a series: each slot is a metric named by the
words before it (``loss 3.9``, ``loss: 3.9``, ``loss=3.9``, ``'loss': 3.9``, ``Train loss
3.316``, ``Loss is 0.82``). Discovery reads at most ``MAX_LINES`` lines or ``MAX_SECONDS``.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Final

__all__ = ["MAX_LINES", "MAX_SECONDS", "Template", "line_key", "mine", "pattern_hint"]

MAX_LINES: Final = 20000
MAX_SECONDS: Final = 2.0
MIN_REPEATS: Final = 3
MAX_TEMPLATES: Final = 8
_NUMBER: Final = re.compile(
    r"(?<![\w.])(?:(\d+)\s*/\s*(\d+)(?![\w.])"
    r"|([-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)|(?i:[-+]?nan|[-+]?inf(?:inity)?)"
    r"(?![A-Za-z]))([A-Za-z%]*))")
_SPACE: Final = re.compile(r"\s+")
_NUM: Final = (r"([-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)"
               r"|(?i:[-+]?nan|[-+]?inf(?:inity)?))")
_FRACTION: Final = r"(\d+)\s*/\s*(?:\d+)"
# what ``\s`` matches in a line of printable ASCII, ``\n`` and ``\r`` aside
_LINE_SPACE: Final = r"[ \t\x0b\x0c\x1c-\x1f]"
_CHUNK: Final = re.compile(r"[,;|\[\](){}]|\.\s|\s-+\s|:\s|\s--\s")
_WORD: Final = re.compile(r"^[A-Za-z_][\w./-]*$")
_FILLER: Final = frozenset({"is", "was", "of", "at", "="})
STEP_WORDS: Final = frozenset({"iter", "iteration", "it", "step", "steps", "global_step",
                               "batch", "update", "updates", "num_updates"})
EPOCH_WORDS: Final = frozenset({"epoch", "ep"})


@dataclass(frozen=True)
class Template:
    """A repeated line shape: its literal pieces, a name per slot (None: not a metric)."""

    key: tuple[str, ...]
    names: tuple[str | None, ...]
    step_slot: int | None
    epoch_slot: int | None
    count: int
    example: str

    def text(self) -> str:
        """The template as a reader sees it: ``Iter {step}: Train loss {train_loss}, ...``
        (braces, not angle brackets: the text goes into Markdown code spans)."""
        pieces = [self.key[0]]
        roles = {self.step_slot: "step", self.epoch_slot: "epoch"}
        for i, name in enumerate(self.names):
            pieces.append("{" + (name or roles.get(i, "*")) + "}")
            pieces.append(self.key[2 * i + 2])
        return "".join(pieces).strip()

    @cached_property
    def head(self) -> str:
        """The line's first word, a cheap test before the regex."""
        return self.key[0].split(" ", 1)[0]

    @cached_property
    def regex(self) -> re.Pattern[str]:
        """A regex matching the lines of this template; one group per slot (``N`` of N/M)."""
        return re.compile("^" + self._pattern(r"\s") + "$")

    @cached_property
    def line_pattern(self) -> str:
        """``regex`` without its anchors, for a line of printable ASCII among others: its
        whitespace is never a newline (``_fast_templates`` reads such lines in bulk)."""
        return self._pattern(_LINE_SPACE)

    def _pattern(self, space: str) -> str:
        parts = [_literal(self.key[0], space)]
        for i in range(len(self.names)):
            kind = self.key[2 * i + 1]
            parts.append(_FRACTION.replace(r"\s", space) if kind == "/"
                         else _NUM + re.escape(kind[1:]))
            parts.append(_literal(self.key[2 * i + 2], space))
        return "".join(parts)

    def values(self, text: str) -> list[str] | None:
        """The text of each slot's number if ``text`` has this template, else None."""
        if not text.startswith(self.head) or (match := self.regex.match(text)) is None:
            return None
        return list(match.groups())


def _literal(text: str, space: str = r"\s") -> str:
    return f"{space}+".join(re.escape(word) for word in text.split(" "))


def line_key(text: str) -> tuple[tuple[str, ...], list[tuple[str, str]]]:
    """``text``'s template key (literal pieces and slot kinds) and its numbers."""
    key: list[str] = []
    numbers: list[tuple[str, str]] = []
    last = 0
    for match in _NUMBER.finditer(text):
        key.append(_SPACE.sub(" ", text[last:match.start()]))
        if match[1] is not None:
            key.append("/")
            numbers.append((match[1], match[2]))
        else:
            key.append("#" + match[4])
            numbers.append((match[3], ""))
        last = match.end()
    key.append(_SPACE.sub(" ", text[last:]))
    return tuple(key), numbers


def _slot_name(literal: str) -> str | None:
    """The words before a number, as a metric name: ``, Train loss `` gives ``train_loss``."""
    literal = literal.rstrip(" :='\"\t")
    chunk = _CHUNK.split(literal)[-1].strip(" '\"")
    words = [w.strip("'\"") for w in chunk.split()]
    while words and words[-1].lower() in _FILLER:
        words.pop()
    words = words[-3:]
    if not words or not all(_WORD.match(w) for w in words):
        return None
    return "_".join(words).lower().strip("._/-") or None


def _build(key: tuple[str, ...], count: int, example: str) -> Template | None:
    names: list[str | None] = []
    step_slot = epoch_slot = fraction = None
    for i in range((len(key) - 1) // 2):
        name = _slot_name(key[2 * i])
        last_word = (name or "").rsplit("_", 1)[-1]
        if name in STEP_WORDS or last_word in STEP_WORDS:
            step_slot = i if step_slot is None else step_slot
            name = None
        elif name in EPOCH_WORDS or last_word in EPOCH_WORDS:
            epoch_slot = i if epoch_slot is None else epoch_slot
            name = None
        elif key[2 * i + 1] == "/" and name is None and fraction is None:
            fraction = i
        names.append(name)
    if step_slot is None and epoch_slot is None:
        step_slot = fraction
    if (step_slot is None and epoch_slot is None) or not any(names):
        return None
    return Template(key, tuple(names), step_slot, epoch_slot, count, example)


def mine(lines: Iterable[str]) -> list[Template]:
    """The series templates of ``lines``, most frequent first (bounded in lines and time)."""
    counts: Counter[tuple[str, ...]] = Counter()
    examples: dict[tuple[str, ...], str] = {}
    deadline = time.monotonic() + MAX_SECONDS
    for n, text in enumerate(lines):
        if n >= MAX_LINES or (n % 1024 == 0 and time.monotonic() > deadline):
            break
        key, numbers = line_key(text)
        if numbers:
            counts[key] += 1
            examples.setdefault(key, text)
    return _select(counts, examples)[:MAX_TEMPLATES]


def _select(counts: Counter[tuple[str, ...]], examples: dict[tuple[str, ...], str]
            ) -> list[Template]:
    """Templates seen ``MIN_REPEATS`` times, then rarer ones led like them that name a loss
    (the evaluation lines of a short paste: ``Iter 1: Val loss …`` beside ``Iter N: Train
    loss …``; not ``Iter 100: Saved adapter weights to checkpoints/100_adapters.npz``)."""
    built = [(t, count) for key, count in counts.most_common()
             if (t := _build(key, count, examples[key])) is not None]
    found = [t for t, count in built if count >= MIN_REPEATS]
    leads = {t.key[0] for t in found}
    return found + [t for t, count in built if count < MIN_REPEATS and t.key[0] in leads
                    and any("loss" in (name or "") for name in t.names)]


def pattern_hint(lines: Iterable[str]) -> str | None:
    """A ready ``--pattern`` from the most frequent line holding numbers, or None."""
    counts: Counter[tuple[str, ...]] = Counter()
    for n, text in enumerate(lines):
        if n >= MAX_LINES:
            break
        key, numbers = line_key(text)
        if numbers:
            counts[key] += 1
    if not counts:
        return None
    key = counts.most_common(1)[0][0]
    parts, used = [re.escape(key[0].strip()).replace(r"\ ", r"\s+")], set()
    for i in range((len(key) - 1) // 2):
        name = re.sub(r"\W", "_", _slot_name(key[2 * i]) or f"value{i}")
        if name[0].isdigit():
            name = f"v{name}"
        name = "step" if name in STEP_WORDS else name
        while name in used:
            name += "_"
        used.add(name)
        parts.append(rf"(?P<{name}>\S+?)" if i + 1 < (len(key) - 1) // 2 or key[-1].strip()
                     else rf"(?P<{name}>\S+)")
        parts.append(re.escape(key[2 * i + 2].strip()).replace(r"\ ", r"\s+"))
    return r"\s*".join(p for p in parts if p)
