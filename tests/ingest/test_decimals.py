"""Numbers read in numpy columns are the doubles ``float`` reads (issue 7, item 7)."""

from __future__ import annotations

import math
import random

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from reporter.ingest._decimals import decimals, integers, kinds

WIDTH = 20


def _block(tokens: list[str]):
    """One row per token, the token at column 0, then ``,`` and padding."""
    data = b"".join(t.encode() + b", x\n" for t in tokens) + b" " * WIDTH
    starts = np.cumsum([0] + [len(t) + 4 for t in tokens[:-1]])
    return sliding_window_view(np.frombuffer(data, np.uint8), WIDTH)[starts]


def test_plain_decimals_are_the_floats_python_reads():
    rng = random.Random(3)
    tokens = [f"{rng.uniform(-1e4, 1e4):.{rng.randint(0, 10)}f}" for _ in range(3000)]
    tokens += [".5", "5.", "-0.000", "+1.25", "0", "123456789012345", "-.5"]
    ok, values = decimals(_block(tokens))
    assert ok.all()
    expected = [float(t) for t in tokens]
    assert values.tolist() == expected
    assert [math.copysign(1, v) for v in values] == [math.copysign(1, v) for v in expected]


def test_other_tokens_are_left_to_the_caller():
    tokens = ["1e5", "nan", "-", ".", "1.2.3", "--1", "1234567890123456", "1.5E-3",
              "0.12345678901234567", "inf"]
    ok, _ = decimals(_block(tokens))
    assert not ok.any()


def test_integers_and_kinds():
    block = np.frombuffer(b"0012345", np.uint8).reshape(1, -1)
    assert integers(block).tolist() == [12345.0]
    assert kinds(np.array([3, 1, 3, 0])) == [0, 1, 3] and kinds(np.array([], int)) == []
