"""Logs read with mined templates read the same in bulk as line by line (issue 7, item 7).

Generated mlx-lm-like and epoch-counter logs, with the cases the bulk path must hand back
to the parser (prefixed, coloured, indented or trailing-space lines, a counter that goes
back, a traceback, non-ASCII digits, a template line a fatal word is in, ``nan``/``inf``,
a step beyond 2**63), are read with ``REPORTER_TEXT_SLOW=1`` and in bulk with small chunks;
the frames, notes and meta must be equal. The fixtures (mlx-lm, BigDL) are compared by
test_fast_text.py, which reads every text fixture both ways.
"""

from __future__ import annotations

import random
import re

import numpy as np
import pytest

from reporter.ingest import read_run
from reporter.ingest._fast_templates import template_rows
from reporter.ingest._templates import mine
from reporter.ingest.text_log import _Parser
from tests.ingest.test_fast_text import _assert_same, _insert


def _mlx(steps, rng: random.Random) -> list[str]:
    lines = ["Loading pretrained model", "Starting training..., iters: 600"]
    for step in steps:
        loss = rng.choice([f"{rng.uniform(0, 5):.3f}", "nan", "inf", f"{rng.uniform(0, 5):.4e}"])
        lines.append(f"Iter {step}: Train loss {loss}, Learning Rate {1e-5:.3e}, "
                     f"It/sec {rng.uniform(1, 3):.3f}, Tokens/sec {rng.uniform(500, 900):.3f}, "
                     f"Trained Tokens {step * 100}, Peak mem {rng.uniform(5, 9):.3f} GB")
        if step % 50 == 0:
            lines.append(f"Iter {step}: Val loss {rng.uniform(1, 2):.3f}, "
                         f"Val took {rng.uniform(1, 3):.3f}s")
    return lines


def _epochs(rng: random.Random) -> list[str]:
    return [f"ep {epoch} it {20 * epoch + i}/120 | loss {rng.uniform(0, 3):.5f} | "
            f"acc {rng.random():.3f}" for epoch in range(1, 6) for i in range(0, 20, 4)]


CASES = {
    "plain": lambda lines: lines,
    "restart": lambda lines: [*lines, *lines[2: len(lines) // 2]],
    "prefixed_some": lambda lines: [f"2024-01-02 10:11:12 INFO {x}" if i % 7 == 0 else x
                                    for i, x in enumerate(lines)],
    "ansi_cr_space": lambda lines: [f"\x1b[1m{x}\x1b[0m" if i % 9 == 0 else
                                    (f"{x}  " if i % 11 == 0 else
                                     (f"  {x}" if i % 13 == 0 else
                                      (f"bar\r{x}" if i % 17 == 0 else x)))
                                    for i, x in enumerate(lines)],
    "traceback": lambda lines: _insert(lines, 60, "Traceback (most recent call last):",
                                       '  File "train.py", line 3, in <module>',
                                       "RuntimeError: boom"),
    "fatal_in_line": lambda lines: [f"{x} CUDA out of memory" if i == 40 else x
                                    for i, x in enumerate(lines)],
    "unicode_digits": lambda lines: [x.replace("Iter 1", "Iter \u0661") if i == 30 else x
                                     for i, x in enumerate(lines)],
    "tabs_and_noise": lambda lines: [y for x in lines for y in (x.replace(" ", "\t", 1), "",
                                                                 "saving checkpoint")],
    "huge_step": lambda lines: [*lines, re.sub(r"(Iter|it) \d+", r"\1 " + "9" * 25,
                                               lines[5], count=1)],
    "crlf_half": lambda lines: [f"{x}\r" if i % 2 else x for i, x in enumerate(lines)],
    "traceback_at_end": lambda lines: [*lines, "Traceback (most recent call last):",
                                       "KeyboardInterrupt"],
    "no_final_newline": lambda lines: lines,
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("style", ["mlx", "epochs"])
def test_template_log_reads_the_same_in_bulk(case, style, monkeypatch, tmp_path):
    rng = random.Random(f"{style}{case}")
    lines = _mlx(range(0, 600, 5), rng) if style == "mlx" else _epochs(rng)
    path = tmp_path / "train.log"
    ending = "" if case == "no_final_newline" else "\n"
    path.write_text("\n".join(CASES[case](lines)) + ending, encoding="utf-8", newline="\n")
    _assert_same(path, monkeypatch, chunks=(61, 997, 1 << 22))


@pytest.mark.parametrize("style", ["mlx", "epochs"])
def test_template_lines_are_read_in_bulk(style, monkeypatch, tmp_path):
    lines = _mlx(range(0, 600, 5), random.Random(1)) if style == "mlx" else \
        _epochs(random.Random(1))
    path = tmp_path / "train.log"
    path.write_text("\n".join(lines) + "\n")
    monkeypatch.delenv("REPORTER_TEXT_SLOW", raising=False)
    bulk = []
    read = _Parser.bulk_templates

    def counted(self, templates, which, numbers):
        bulk.append(len(which))
        return read(self, templates, which, numbers)

    monkeypatch.setattr(_Parser, "bulk_templates", counted)
    run = read_run(path)
    assert sum(bulk) >= len(lines) - 3  # all but the first lines and the last
    if style == "mlx":
        assert run.meta["templates"][0].startswith("Iter {step}: Train loss {train_loss}")
        assert run.series("val/loss")["step"].tolist() == list(range(0, 600, 50))
    else:
        assert run.series("train/loss")["epoch"].tolist()[:6] == [0, 0, 0, 0, 0, 1]


def test_template_rows_interleave_templates_in_line_order():
    templates = mine(["Iter 1: Train loss 2.0, lr 0.1", "Iter 2: Train loss 1.5, lr 0.1",
                      "Iter 3: Train loss 1.0, lr 0.1", "Iter 3: Val loss 1.2"])
    rows = template_rows(templates, np.array([0, 1, 0]),
                         [(b"4", b"0.5", b"0.1"), (b"4", b"0.7"), (b"5", b"0.4", b"0.1")], None)
    assert [rows.names[i] for i in rows.metric] == ["train_loss", "lr", "val_loss",
                                                     "train_loss", "lr"]
    assert rows.values.tolist() == [0.5, 0.1, 0.7, 0.4, 0.1]
    assert rows.steps.tolist() == [4, 4, 4, 5, 5] and rows.ends == {"step": (4.0, 5.0)}
    assert template_rows(templates, np.array([0, 0]), [(b"5", b"1", b"1"), (b"4", b"1", b"1")],
                         None) is None  # the step goes back: line by line
