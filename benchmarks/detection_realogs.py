"""The labelled real logs of ``../shared/realogs`` for ``benchmarks/detection.py``.

The labels live in ``benchmarks/realogs_labels.tsv`` (one row per folder of the MANIFEST: what
happened, read from the MANIFEST's "what happened" column and from the raw files); the logs
themselves are never copied into the repository, and everything here is skipped when the
folder is absent.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field, replace
from pathlib import Path

from detection_baselines import (
    BASELINES,
    GUARD_RULES,
    baseline_alarms,
    our_alarms,
    training_loss,
)
from detection_curves import canonical
from detection_scoring import Alarm, Axes, Label, Outcome, score

LABELS = Path(__file__).with_name("realogs_labels.tsv")
STATUSES = ("anomaly", "healthy", "ambiguous", "not_a_log")


@dataclass(frozen=True)
class RealLabel:
    """One row of ``realogs_labels.tsv``: the folder, its status and (for an anomaly) the label."""

    folder: str
    status: str
    label: Label
    note: str = ""


@dataclass
class RealResult:
    """One real log scored: the outcome per detector, or why it could not be read."""

    entry: RealLabel
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    ours: list[Alarm] = field(default_factory=list)
    error: str = ""


def read_labels(path: Path = LABELS) -> list[RealLabel]:
    """The rows of the labels file; a bad status or class names the row."""
    from detection_scoring import CLASSES

    out = []
    with open(path, newline="", encoding="utf-8") as f:
        for i, row in enumerate(csv.DictReader(f, delimiter="\t"), start=2):
            status, kind = row["status"], row["kind"] or "healthy"
            if status not in STATUSES or (status != "healthy" and status != "not_a_log"
                                          and kind not in CLASSES):
                raise ValueError(f"{path}:{i}: status {status!r} / kind {kind!r} not in "
                                 f"{STATUSES} / {CLASSES}")
            metrics = tuple(m for m in row["metrics"].split(",") if m)
            onset = float(row["onset"]) if row["onset"] else None
            label = Label(kind if status in ("anomaly", "ambiguous") else "healthy", metrics,
                          onset, row["axis"] or "step")
            out.append(RealLabel(row["run"], status, label, row["note"]))
    return out


def evaluate(root: Path, labels: list[RealLabel]) -> list[RealResult]:
    """Read and score every labelled log under ``root`` (folders marked not a log are left out).

    A log the ingest refuses (or crashes on) has no outcomes and its error text. The labels'
    metric names go through the readers' aliases, as the synthetic runs' do.
    """
    from reporter.errors import ReporterError
    from reporter.ingest import read_run

    results = []
    for entry in labels:
        if entry.status == "not_a_log":
            continue
        result = RealResult(entry)
        results.append(result)
        try:
            run = read_run(root / entry.folder)
        except ReporterError as err:
            result.error = f"refused: {err}"
            continue
        except Exception as err:  # the ingest crashing is a finding of the benchmark too
            result.error = f"crashed: {type(err).__name__}: {err}"
            continue
        axes = Axes(run)
        label = replace(entry.label, metrics=canonical(entry.label.metrics))
        result.ours = our_alarms(run, axes)
        result.outcomes["ours"] = score(result.ours, label, axes)
        for name, rule in BASELINES.items():
            result.outcomes[name] = score(baseline_alarms(run, rule), label, axes)
        for name, rule in GUARD_RULES.items():
            result.outcomes[name] = score(baseline_alarms(run, rule, training_loss), label, axes)
    return results


def counts(results: list[RealResult], detector: str) -> tuple[int, int, int, int]:
    """(anomalies found, labelled anomalies, healthy runs with an alarm, healthy runs read)."""
    anomalies = [r for r in results if r.entry.status == "anomaly"]
    healthy = [r for r in results if r.entry.status == "healthy" and not r.error]
    found = sum(1 for r in anomalies if not r.error and r.outcomes[detector].found)
    alarmed = sum(1 for r in healthy if r.outcomes[detector].stray > 0)
    return found, len(anomalies), alarmed, len(healthy)
