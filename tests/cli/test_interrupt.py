"""Ctrl-C during ``reporter analyze``: exit 130, one line, no traceback, out/ as it was.

Issue 11, item 6. A real SIGINT goes to a real ``reporter`` process once it has printed a
given progress line: to its whole process group, as a terminal's Ctrl-C does (the confirmation
workers get it too), or to the main process alone, as ``kill -INT`` does.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "samples" / "seed_like"

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and groups")


def earlier_output(out: Path) -> dict[str, bytes]:
    """An output folder as an earlier run and the user left it; returns its files."""
    out.mkdir()
    (out / "TRAINING_INSTABILITY_FIX.md").write_text("# the earlier report\n")
    (out / "report.json").write_text('{"earlier": true}\n')
    (out / "notes.txt").write_text("the user's own notes\n")
    return snapshot(out)


def snapshot(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes()
            for p in sorted(out.rglob("*")) if p.is_file()}


def interrupt(out: Path, options: list[str], after: str, *, delay: float, group: bool
              ) -> tuple[int, str, float]:
    """Run ``reporter analyze``, send SIGINT ``delay`` s after the stderr line containing
    ``after``; return the exit code, the stderr that followed and the seconds it took."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "reporter", "analyze", str(SEED), "-o", str(out), *options],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,  # its own process group, so killpg reaches it and its workers
    )
    before = []
    for line in proc.stderr:
        before.append(line)
        if after in line:
            break
    else:
        proc.wait(timeout=60)
        pytest.fail(f"no {after!r} line on stderr:\n{''.join(before)}")
    time.sleep(delay)
    sent = time.monotonic()
    if group:
        os.killpg(proc.pid, signal.SIGINT)
    else:
        proc.send_signal(signal.SIGINT)
    _, rest = proc.communicate(timeout=60)
    return proc.returncode, rest, time.monotonic() - sent


def assert_interrupted_cleanly(code: int, stderr: str, out: Path, before: dict[str, bytes]):
    assert code == 130
    assert "Traceback" not in stderr and "Error" not in stderr, stderr
    lines = stderr.splitlines()
    assert lines[-1] == "reporter: interrupted"
    assert sum("interrupted" in line for line in lines) == 1
    assert snapshot(out) == before  # no half report, no temporary file, no manifest


@pytest.mark.slow
@pytest.mark.parametrize(("group", "delay"), [(True, 0.3), (True, 2.0), (False, 2.0)],
                         ids=["ctrl-c-while-workers-start", "ctrl-c-while-training",
                              "kill-int-main-only"])
def test_analyze_ctrl_c_during_confirmation_exits_130_and_leaves_out_untouched(
        tmp_path, group, delay):
    out = tmp_path / "out"
    before = earlier_output(out)
    code, stderr, seconds = interrupt(
        out, ["--confirm", "proxy", "--seeds", "1", "--workers", "2", "--no-cache"], "confirming",
        delay=delay, group=group)
    assert_interrupted_cleanly(code, stderr, out, before)
    assert seconds < 5, f"the running trials were waited for ({seconds:.1f} s)"


def test_analyze_ctrl_c_while_rendering_exits_130_and_leaves_out_untouched(tmp_path):
    out = tmp_path / "out"
    before = earlier_output(out)
    # after this line come the options, the figures and the rendering (about 2 s)
    code, stderr, _ = interrupt(out, ["--confirm", "off"], "replaying the schedules",
                                delay=0.0, group=True)
    assert_interrupted_cleanly(code, stderr, out, before)
