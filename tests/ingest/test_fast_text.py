"""The bulk text path reads exactly what the line-by-line path reads (issue 7, item 7).

Every text fixture, each pasted/captured transformation of them, the real text logs of
../shared/realogs (when present) and generated logs with the cases the bulk path must hand
back to the parser (a step going back, tracebacks, ``lr=`` pairs, ANSI, prefixes, CRLF, a
last line without a newline) are read twice: with ``REPORTER_TEXT_SLOW=1`` (every line
through the parser) and in bulk with tiny chunks, so chunk edges fall everywhere.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

import numpy as np
import pytest

from reporter.errors import LogFormatError
from reporter.ingest import _fast_text, read_run
from tests.ingest.conftest import DATA, REALOGS
from tests.ingest.test_text_pasted import TRANSFORMS

TEXT_FIXTURES = sorted(p for p in (DATA / "text_log").iterdir() if p.suffix != ".py")
REAL_TEXT = sorted(p for folder in ("r23_text_log", "r24_text_log")
                   for p in (REALOGS / folder).glob("*") if p.is_file())


def _read(path: Path, monkeypatch, *, slow: bool, chunk: int = 97):
    """(run or the error's message) with the given path; bulk with ``chunk``-byte chunks."""
    with monkeypatch.context() as patch:
        if slow:
            patch.setenv("REPORTER_TEXT_SLOW", "1")
        else:
            patch.delenv("REPORTER_TEXT_SLOW", raising=False)
            patch.setattr(_fast_text, "CHUNK_BYTES", chunk)
            patch.setattr(_fast_text, "PROBE_STEP", 1)
        try:
            return read_run(path)
        except LogFormatError as err:
            return str(err)


def _assert_same(path: Path, monkeypatch, chunks=(97, 1000, 1 << 22)) -> None:
    slow = _read(path, monkeypatch, slow=True)
    for chunk in chunks:
        fast = _read(path, monkeypatch, slow=False, chunk=chunk)
        if isinstance(slow, str):
            assert fast == slow
            continue
        assert not isinstance(fast, str), fast
        assert fast.scalars.equals(slow.scalars), chunk
        assert fast.superseded.equals(slow.superseded)
        assert (fast.notes, fast.meta, fast.step_kind) == (slow.notes, slow.meta,
                                                            slow.step_kind)


@pytest.mark.parametrize("path", TEXT_FIXTURES, ids=[p.name for p in TEXT_FIXTURES])
def test_fixture_reads_the_same_in_bulk(path, monkeypatch):
    _assert_same(path, monkeypatch)


@pytest.mark.parametrize("transform", sorted(TRANSFORMS))
@pytest.mark.parametrize("name", ["nanogpt_iter_lines.log", "hf_v5_stdout_tqdm.log",
                                  "yolov7_console_nan.log", "keras_progress_bar_ansi.log"])
def test_pasted_fixture_reads_the_same_in_bulk(name, transform, monkeypatch, tmp_path):
    text = (DATA / "text_log" / name).read_bytes().decode("utf-8")
    path = tmp_path / name
    path.write_bytes(TRANSFORMS[transform](text).encode("utf-8"))
    _assert_same(path, monkeypatch, chunks=(97, 1 << 22))


@pytest.mark.skipif(not REAL_TEXT, reason=f"no real text logs at {REALOGS}")
@pytest.mark.parametrize("path", REAL_TEXT, ids=[p.parent.name for p in REAL_TEXT])
def test_real_text_log_reads_the_same_in_bulk(path, monkeypatch):
    _assert_same(path, monkeypatch)


def _nanogpt(steps, rng: random.Random) -> list[str]:
    lines = []
    for step in steps:
        loss = rng.choice([f"{rng.uniform(0, 5):.4f}", f"{rng.uniform(0, 5):.7e}", "nan",
                           "inf", "-Infinity", "NaN", ".5", "3."])
        lines.append(f"iter {step}: loss {loss}, time 45.67ms, mfu 12.34%")
        if step % 7 == 0:
            lines.append(f"step {step}: train loss 1.25, val loss {rng.uniform(1, 2):.4f}")
    return lines


def _insert(lines: list[str], at: int, *extra: str) -> list[str]:
    return [*lines[:at], *extra, *lines[at:]]


CASES = {
    "plain": lambda lines: lines,
    "restart": lambda lines: [*lines, *lines[: len(lines) // 2]],
    "traceback": lambda lines: _insert(lines, 40, "Traceback (most recent call last):",
                                       '  File "train.py", line 3, in <module>',
                                       "RuntimeError: boom"),
    "traceback_at_end": lambda lines: _insert(lines, len(lines),
                                              "Traceback (most recent call last):",
                                              "KeyboardInterrupt", "   "),
    "oom_and_overflow": lambda lines: _insert(
        _insert(lines, 60, "Gradient overflow.  Skipping step"), 30,
        "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2 GiB"),
    "lr_pairs": lambda lines: [f"{x}, lr=0.001" if i % 5 == 0 else x
                               for i, x in enumerate(lines)],
    "blank_and_noise": lambda lines: [y for x in lines for y in (x, "", "saving checkpoint",
                                                                  "12345 unrelated")],
    "no_final_newline": lambda lines: _insert(lines, len(lines), "iter 99999: loss 1.0"),
    "ansi_and_bars": lambda lines: [f"\x1b[1m{x}\x1b[0m" if i % 9 == 0 else
                                    (f" 10%|#   | 3/30\r{x}" if i % 11 == 0 else x)
                                    for i, x in enumerate(lines)],
    "prefixed": lambda lines: [f"[rank0]: {x}" if i % 13 == 0 else x
                               for i, x in enumerate(lines)],
    "huge_step": lambda lines: _insert(lines, len(lines), "iter 1e300: loss 1.0",
                                       "iter 99" + "9" * 30 + ": loss 2"),
    "srun_labels": lambda lines: [f"{i % 2}: {x}" for i, x in enumerate(lines)],
    "results_row_later": lambda lines: _insert(  # after 64 digit-led lines: not a table
        [y for x in lines for y in (x, "12345 unrelated")], 3 * len(lines) // 2,
        "3/5 7.31G 0.08 0.05 0.03 0.16 40 640 0.1 0.05 0.02 0.01 0.04 0.03 0.02"),
    "table_later": lambda lines: _insert(lines, len(lines),
                                         "Epoch gpu_mem box obj cls total labels img_size",
                                         "0/9 1G 0.1 0.2 0.3 0.6 10 640"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_generated_nanogpt_log_reads_the_same_in_bulk(case, monkeypatch, tmp_path):
    rng = random.Random(case)
    lines = CASES[case](_nanogpt(range(0, 600, 3), rng))
    path = tmp_path / "train.log"
    ending = "" if case == "no_final_newline" else "\n"
    path.write_text("\n".join(lines) + ending, encoding="utf-8", newline="\n")
    _assert_same(path, monkeypatch, chunks=(61, 997, 1 << 22))


def test_bulk_numbers_are_the_floats_python_reads(monkeypatch, tmp_path):
    """numpy's text-to-float gives the same doubles as ``float`` (17 significant digits)."""
    rng = np.random.default_rng(7)
    values = np.concatenate([rng.standard_normal(500) * 10.0 ** rng.integers(-300, 300, 500),
                             [math.inf, -math.inf, 0.0, -0.0, 5e-324]])
    path = tmp_path / "train.log"
    path.write_text("".join(f"iter {i}: loss {float(v)!r}\n" for i, v in enumerate(values)))
    fast = _read(path, monkeypatch, slow=False)
    assert fast.series("train/loss")["value"].tolist() == values.tolist()
