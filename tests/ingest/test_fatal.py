"""Fatal lines of a text log kept with their line numbers (issue 8, item 5)."""

from __future__ import annotations

import pytest

from reporter.ingest import read_run
from reporter.ingest._fatal import FatalLines

STEPS = "\n".join(f"Step {i} -- Train loss: {2.0 - i * 0.01:.4f}" for i in range(20))
OOM = ("Traceback (most recent call last):\n"
       '  File "train.py", line 10, in <module>\n'
       "    loss.backward()\n"
       "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB\n")


def _log(tmp_path, text: str):
    path = tmp_path / "train.log"
    path.write_text(text)
    return read_run(path, format="text_log")


def test_fatal_traceback_at_the_end_is_kept_with_its_line_and_exception(tmp_path):
    run = _log(tmp_path, STEPS + "\n" + OOM)
    end = run.meta["fatal_end"]
    assert end["line"] == 21
    assert end["exception"].startswith("torch.OutOfMemoryError: CUDA out of memory")
    assert end["cause"] == "CUDA out of memory"
    assert [e["kind"] for e in run.meta["fatal"]] == ["traceback", "cuda_oom"]


def test_fatal_traceback_followed_by_more_values_does_not_end_the_log(tmp_path):
    later = "\n".join(f"Step {i} -- Train loss: 1.5" for i in range(20, 25))
    run = _log(tmp_path, STEPS + "\n" + OOM + later + "\n")
    assert "fatal_end" not in run.meta
    assert run.meta["fatal"][1]["line"] == 24  # the OOM line, kept
    assert run.meta["fatal_points"] > run.meta["fatal"][1]["points"]


def test_fatal_keyboard_interrupt_is_the_exception_of_the_end(tmp_path):
    tb = ("Traceback (most recent call last):\n  File \"x.py\", line 3, in f\n"
          "    time.sleep(1)\nKeyboardInterrupt\n")
    run = _log(tmp_path, STEPS + "\n" + tb)
    assert run.meta["fatal_end"] == {"line": 21, "exception": "KeyboardInterrupt", "cause": ""}


@pytest.mark.parametrize(("line", "kind"), [
    ("[rank0]:[E321 02:07:08.408 ProcessGroupNCCL.cpp:607] [Rank 0] Watchdog caught collective "
     "operation timeout: WorkNCCL(SeqNum=1580, OpType=ALLREDUCE, Timeout(ms)=600000) ran for "
     "600060 milliseconds before timing out.", "nccl_timeout"),
    ("RuntimeError: DataLoader worker (pid 4024) is killed by signal: Killed.", "worker_killed"),
    ("RuntimeError: DataLoader worker (pid(s) 12, 13) exited unexpectedly", "worker_killed"),
    ("Gradient overflow.  Skipping step, loss scaler 0 reducing loss scale to 32768.0",
     "amp_overflow"),
    ("[deepspeed] OVERFLOW! Rank 0 Skipping step. Attempted loss scale: 65536", "amp_overflow"),
    ("NOTE: gradient overflow detected, ignoring gradient, setting loss scale to: 64.0",
     "amp_overflow"),
])
def test_fatal_lines_of_each_kind_are_recognised(line, kind):
    lines = FatalLines()
    lines.see(7, line, 3)
    assert [(e["kind"], e["line"]) for e in lines.entries] == [(kind, 7)]


def test_fatal_overflow_lines_in_a_row_merge_into_one_entry():
    lines = FatalLines()
    for n in range(10, 16):
        lines.see(n, "Gradient overflow.  Skipping step", 4)
    lines.see(16, "Gradient overflow.  Skipping step", 5)  # a value was logged between
    assert [(e["line"], e["last_line"], e["count"]) for e in lines.entries] == [
        (10, 15, 6), (16, 16, 1)]


def test_fatal_plain_lines_record_nothing():
    lines = FatalLines()
    lines.see(1, "Epoch 3/50 - loss: 0.5 - memory: 3.2 GB", 0)
    assert lines.meta() == {}
