"""Lines of a console log as the program printed them (issue 7, item 1).

A captured or pasted log carries more than the program's own text: ANSI colour codes,
``\\r``-rewritten progress bars, Windows line endings, the ``> `` quote marker of a GitHub
paste, timestamps, Python ``logging`` prefixes (``asctime - name - LEVEL - ``,
``INFO:root:``) and rank prefixes (``[rank0]:``; a bare ``0: `` of ``srun --label`` only when
every line of the file's head carries one). ``fragments`` streams a file line by line
and yields each line's text without them, so every reader pattern sees the same text
whether the log was clean or pasted.

Only ``\\n`` ends a line: a ``\\r`` inside a line is a progress-bar rewrite and the line's
last non-empty state is kept (tqdm clears the bar with ``\\r<spaces>\\r`` before a message,
so the message is that last state).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Final

__all__ = ["fragments", "rank_labelled", "strip_prefix"]

# the first characters a prefix can start with (a cheap test before the regex)
_PREFIX_STARTS: Final = frozenset(">[rDIWETClt")

_ANSI: Final = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")
_TIME: Final = (r"(?:\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?"
                r"|\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2}(?:[.,]\d+)?"
                r"|\d{2}:\d{2}:\d{2}(?:[.,]\d+)?)")
_LEVEL: Final = r"(?:DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL|TRACE)"
# one prefix at a time, applied until none is left (a rank prefix before a timestamp…)
_PREFIX: Final = re.compile(
    r"^(?:"
    r">+ ?"                                                   # GitHub quote marker
    rf"|\[?{_TIME}\]?(?:\s*[-|:,]?\s+|\s*[-|]\s*|$)"          # timestamp
    r"|\[(?:rank|default)\d+\]:?\s*|rank\d+:\s*"              # torchrun rank prefixes
    r"|\[\d+,\d+\]<std(?:out|err)>:\s*"                        # mpirun --tag-output
    rf"|\[?{_LEVEL}\]?(?::[\w.$]+:|\s*[-|:]\s*(?:[\w.$:]+\s*(?:[-|]\s+|:\d+\s*-\s*))?"
    rf"|\s+(?:[\w.$]+(?::\d+)?\s+-\s+)?)"                     # logging level (+ logger)
    rf"|[\w.$]+\s+-\s+(?={_LEVEL}\b)"                          # asctime - name - LEVEL
    r"|(?:level|thread|logger)=\S+\s*"                      # log4j-style key=value fields
    r")")
_MAX_PREFIXES: Final = 6
_RANK_LABEL: Final = re.compile(r"\s*(\d+): ")  # srun --label (only when every line has one)


def strip_prefix(text: str) -> str:
    """``text`` without the capture prefixes at its start (quote, timestamp, level, rank)."""
    for _ in range(_MAX_PREFIXES):
        match = _PREFIX.match(text)
        if match is None or not match.end():
            break
        text = text[match.end():]
    return text


def _key(state: str) -> str:
    """What names a progress bar: its text before the first colon (``Epoch 3``)."""
    return state.split(":", 1)[0].strip()


def _last_states(text: str) -> list[str]:
    """The last state of each bar in a ``\\r``-rewritten line.

    A bar reused across epochs (Lightning's ``Epoch 3: 100%|…``) changes its name at each
    epoch: the last state under each name is kept. Keras bars name no epoch and keep every
    state; their reader keeps the epoch's last values itself.
    """
    states = [s for s in text.split("\r") if s.strip()]
    if not states:
        return []
    after = [*states[1:], ""]
    return [s for s, a in zip(states, after, strict=True) if _key(a) != _key(s)]


def rank_labelled(lines: Iterable[str]) -> bool:
    """Whether every non-blank line carries a bare numeric rank label, as ``srun --label``
    prints them (``0: iter 100: loss …``): at least three lines, a few labels each repeated
    (a counter that grows line by line, ``1: 0.52``, is the log's step, not a rank)."""
    labels: list[str] = []
    for line in lines:
        if line.strip():
            if (label := _RANK_LABEL.match(line)) is None:
                return False
            labels.append(label[1])
    return len(labels) >= 3 and len(set(labels)) <= len(labels) // 3


def fragments(handle: Iterable[str], start: int = 1, *,
              ranks: bool = False) -> Iterator[tuple[int, str]]:
    """(line number, text) per non-empty line: no ANSI codes, no ``\\r`` states but the
    last, no capture prefixes; backspace-rewritten pieces (Keras) each on their own.

    ``handle`` must split lines on ``\\n`` only (``open(..., newline="\\n")``); ``start`` is
    the number of its first line. With ``ranks`` (every line of the file is rank-labelled,
    ``rank_labelled``), the ``N: `` label that starts a line is removed first.
    """
    for number, raw in enumerate(handle, start):
        if ranks and (label := _RANK_LABEL.match(raw)) is not None:
            raw = raw[label.end():]
        text = _ANSI.sub("", raw) if "\x1b" in raw else raw
        states = _last_states(text) if "\r" in text else (text,)
        for state in states:
            for piece in state.split("\b") if "\b" in state else (state,):
                piece = piece.strip()
                if piece[:1] in _PREFIX_STARTS or piece[:1].isdigit():
                    piece = strip_prefix(piece).strip()
                if piece:
                    yield number, piece

