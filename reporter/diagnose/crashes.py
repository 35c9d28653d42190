"""Findings from a text log's fatal lines: a traceback at the end, CUDA out of memory, an NCCL
timeout, a killed DataLoader worker, repeated mixed-precision overflows (issue 8, item 5).

The text reader keeps those lines with their numbers (``ingest/_fatal.py``: ``meta["fatal"]``,
``meta["fatal_end"]``); this module says what they mean for the run. Each finding names the
line, so the reader can open the log there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reporter.diagnose.findings import Finding

if TYPE_CHECKING:
    from reporter.diagnose.series import Curve
    from reporter.ingest.run import Run

__all__ = ["OVERFLOW_RUN", "crash_findings"]

#: overflow lines in a row (no value logged between them) after training started that make
#: a warning: a loss scaler halves its scale once per overflow and settles within a few steps
#: at the start (torch's GradScaler starts at 2**16); five halvings in a row later on mean the
#: gradients keep overflowing
OVERFLOW_RUN = 5
_KINDS = {
    "cuda_oom": "CUDA out of memory",
    "nccl_timeout": "an NCCL collective timed out",
    "worker_killed": "a DataLoader worker was killed",
}
_RULE = ("a line of the text log that a training prints when it fails (a traceback, CUDA out "
         "of memory, an NCCL watchdog timeout, a killed DataLoader worker); it ended the run "
         "when no value was logged after it")
_OVERFLOW_RULE = (f"mixed-precision 'gradient overflow, skipping step' lines: a warning when "
                  f"{OVERFLOW_RUN} or more come in a row (no value logged between them) after "
                  "the first logged value; the loss scaler's calibration at the start is normal")


def crash_findings(run: Run, curve: Curve | None) -> list[Finding]:
    """What the fatal lines of ``run`` (a text log) say; nothing for other formats."""
    entries = run.meta.get("fatal") or []
    end = run.meta.get("fatal_end")
    last_x = float(curve.x[-1]) if curve is not None and len(curve) else None
    total = int(run.meta.get("fatal_points") or max((e["points"] for e in entries), default=0))
    out: list[Finding] = []
    if isinstance(end, dict):
        out.append(_end_finding(end, curve, last_x))
    end_line = end["line"] if isinstance(end, dict) else None
    for e in entries:
        if e["kind"] in _KINDS and (end_line is None or e["line"] < end_line):
            out.append(_event_finding(e, e["points"] >= total and end_line is None, curve,
                                      last_x))
        elif e["kind"] == "traceback" and e["points"] < total:
            out.append(Finding("fatal_line", "info", f"a traceback at line {e['line']}; the "
                               "log went on after it", "", evidence=_evidence(e),
                               criterion=_RULE))
    out.extend(_overflow_findings([e for e in entries if e["kind"] == "amp_overflow"]))
    return out


def _evidence(e: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"line": e["line"], "last_line": e["last_line"], "count": e["count"],
            "text": e["text"], **more}


def _after(curve: Curve | None, last_x: float | None) -> str:
    return f" after the last logged point ({curve.name_x(last_x)})" if (
        curve is not None and last_x is not None) else ""


def _end_finding(end: dict[str, Any], curve: Curve | None, last_x: float | None) -> Finding:
    exc, line = str(end["exception"]), int(end["line"])
    ev = {"line": line, "exception": exc, "cause": end.get("cause") or None}
    if exc.split(":", 1)[0].strip().endswith("KeyboardInterrupt"):
        return Finding("interrupted", "info", f"the run was interrupted: the log ends in a "
                       f"KeyboardInterrupt traceback at line {line}{_after(curve, last_x)}",
                       "", start=last_x, evidence=ev, criterion=_RULE)
    cause = f" ({end['cause']})" if end.get("cause") and \
        str(end["cause"]).lower() not in exc.lower() else ""
    return Finding("crash", "critical", f"the run crashed: the log ends in a traceback at line "
                   f"{line}{_after(curve, last_x)}: {exc[:120]}{cause}", "", start=last_x,
                   evidence=ev, criterion=_RULE)


def _event_finding(e: dict[str, Any], at_end: bool, curve: Curve | None,
                   last_x: float | None) -> Finding:
    what = _KINDS[e["kind"]]
    if at_end:
        return Finding("crash", "critical", f"the log ends with {what} at line {e['line']}"
                       f"{_after(curve, last_x)}", "", start=last_x,
                       evidence=_evidence(e, kind=e["kind"]), criterion=_RULE)
    return Finding("fatal_line", "warning", f"{what} at line {e['line']}; the log went on "
                   "after it", "", evidence=_evidence(e, kind=e["kind"]), criterion=_RULE)


def _overflow_findings(runs: list[dict[str, Any]]) -> list[Finding]:
    if not runs:
        return []
    total = sum(e["count"] for e in runs)
    longest = max(runs, key=lambda e: (e["count"] if e["points"] > 0 else 0, -e["line"]))
    ev = {"lines": total, "longest_run": longest["count"], "line": longest["line"],
          "last_line": longest["last_line"], "text": longest["text"]}
    if longest["points"] > 0 and longest["count"] >= OVERFLOW_RUN:
        return [Finding("amp_overflow", "warning", f"mixed-precision gradient overflow: "
                        f"{longest['count']} steps skipped in a row at lines {longest['line']}"
                        f"–{longest['last_line']} ({total} overflow lines in all)", "",
                        evidence=ev, criterion=_OVERFLOW_RULE)]
    return [Finding("amp_overflow", "info", f"{total} mixed-precision gradient-overflow "
                    f"line{'s' if total != 1 else ''} (first at line {runs[0]['line']}), never "
                    f"{OVERFLOW_RUN} in a row after training started: the loss scaler adjusting",
                    "", evidence=ev, criterion=_OVERFLOW_RULE)]
