"""Findings from a text log's fatal lines (issue 8, item 5)."""

from __future__ import annotations

from reporter.diagnose import diagnose
from reporter.diagnose.crashes import OVERFLOW_RUN
from reporter.ingest import read_run

STEPS = [f"Step {i} -- Train loss: {2.0 - i * 0.01:.4f}" for i in range(30)]


def _diagnose(tmp_path, lines: list[str]):
    path = tmp_path / "train.log"
    path.write_text("\n".join(lines) + "\n")
    return diagnose(read_run(path, format="text_log"))


def test_crash_traceback_at_the_end_is_critical_with_its_line_and_cause(tmp_path):
    d = _diagnose(tmp_path, [*STEPS, "Traceback (most recent call last):",
                             '  File "train.py", line 9, in <module>',
                             "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2 GiB"])
    crash = d.first("crash")
    assert crash.severity == "critical" and crash.evidence["line"] == 31
    assert crash.evidence["cause"] == "CUDA out of memory"
    assert "line 31" in crash.title and "step 29" in crash.title
    assert d.severity == "critical"


def test_crash_keyboard_interrupt_is_info_not_an_instability(tmp_path):
    d = _diagnose(tmp_path, [*STEPS, "Traceback (most recent call last):", "KeyboardInterrupt"])
    f = d.first("interrupted")
    assert f.severity == "info" and f.evidence["line"] == 31
    assert d.severity == "info"


def test_crash_nccl_timeout_as_the_last_line_ended_the_run(tmp_path):
    d = _diagnose(tmp_path, [*STEPS, "[Rank 0] Watchdog caught collective operation timeout: "
                             "WorkNCCL(SeqNum=9) ran for 600060 milliseconds before timing out."])
    crash = d.first("crash")
    assert crash.severity == "critical" and crash.evidence["kind"] == "nccl_timeout"


def test_crash_oom_the_run_survived_is_a_warning(tmp_path):
    d = _diagnose(tmp_path, [*STEPS[:10], "CUDA out of memory. Tried to allocate 1 GiB",
                             *STEPS[10:]])
    f = d.first("fatal_line")
    assert f.severity == "warning" and f.evidence["line"] == 11
    assert d.first("crash") is None


def test_crash_repeated_overflow_after_training_started_is_a_warning(tmp_path):
    burst = ["Gradient overflow.  Skipping step"] * OVERFLOW_RUN
    d = _diagnose(tmp_path, [*STEPS[:10], *burst, *STEPS[10:]])
    f = d.first("amp_overflow")
    assert f.severity == "warning"
    assert (f.evidence["line"], f.evidence["last_line"]) == (11, 10 + OVERFLOW_RUN)


def test_crash_overflow_while_the_scaler_calibrates_is_info(tmp_path):
    calib = ["Gradient overflow.  Skipping step"] * (OVERFLOW_RUN + 3)
    d = _diagnose(tmp_path, [*calib, *STEPS[:10], calib[0], *STEPS[10:]])
    f = d.first("amp_overflow")
    assert f.severity == "info" and f.evidence["lines"] == OVERFLOW_RUN + 4


def test_crash_report_says_what_ended_the_run_and_no_lr_change(tmp_path):
    import reporter

    path = tmp_path / "train.log"
    path.write_text("\n".join([*STEPS, "Traceback (most recent call last):",
                               "RuntimeError: DataLoader worker (pid 4024) is killed by signal: "
                               "Killed."]) + "\n")
    analysis = reporter.analyze(path, confirm="off")
    assert analysis.run.end.status == "crashed" and analysis.run.end.line == 31
    assert analysis.headline == "Run Crashed"
    assert analysis.recommendation.text.startswith("The run crashed: the log ends in a traceback")
    assert "no learning-rate change applies" in analysis.recommendation.text


def test_crash_report_lists_the_checks_run_and_skipped(tmp_path):
    import reporter

    path = tmp_path / "train.log"
    path.write_text("\n".join(STEPS) + "\n")
    analysis = reporter.analyze(path, confirm="off")
    checks = {c.name: c for c in analysis.diagnosis.coverage}
    assert checks["spikes"].ran and checks["spikes"].detail == "train/loss"
    text = reporter.render(analysis, "md")
    assert "overfitting: skipped, no validation loss logged" in text
    assert "crash and fatal lines" in text and "ran on the log" in text
