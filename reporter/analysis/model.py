"""The Analysis: frozen, typed, built once by the pipeline; the only thing renderers see.

``Analysis.to_dict()`` is ``report.json``: plain JSON types, NaN and inf as null, the keys
fixed by ``SCHEMA_VERSION`` (``reporter schema`` prints the JSON Schema generated from these
classes; a test fails when the keys change without a version bump).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from reporter.analysis.notes import Note
from reporter.confirm.calibrate import Calibration, CalibrationStep
from reporter.confirm.rewind import RewindInfo
from reporter.confirm.summary import SeedOutcome, TrialSummary
from reporter.diagnose.coverage import Check
from reporter.diagnose.early_warning import EarlyWarning, LiveGuards
from reporter.diagnose.findings import Finding
from reporter.diagnose.guards import GuardReplay
from reporter.diagnose.run_end import RunEnd
from reporter.diagnose.selection import Selection
from reporter.fidelity.checks import FidelityCheck, PerUpdateCheck, StopCheck
from reporter.remedies.catalog import ReplayOutcome
from reporter.remedies.recommend import Recommendation

__all__ = [
    "LABELS",
    "SCHEMA_VERSION",
    "Analysis",
    "Confirmation",
    "Current",
    "DiagnosisInfo",
    "FidelityCheck",
    "Note",
    "OptionInfo",
    "Patch",
    "PerUpdateCheck",
    "PlanInfo",
    "Recommendation",
    "RunInfo",
    "SeedOutcome",
    "Series",
    "SettingRow",
    "SetupInfo",
    "StopCheck",
    "TrialSummary",
    "jsonable",
]

SCHEMA_VERSION = 3
LABELS = ("observed", "exact replay", "conditional replay", "measured")
Number = float | int


@dataclass(frozen=True)
class RunInfo:
    """What was read: the source, its format and axis, and how much of it there is."""

    name: str
    source: str
    format: str
    step_kind: str
    metrics: tuple[str, ...]
    points: int
    axis: str
    length: int
    span: tuple[float, float] | None
    counts: dict[str, int]
    lr_timing: str
    epochs_shifted: bool
    epoch_base: int  # the log's number for the first epoch; reports name index i as i + this
    framework: str
    seconds: float
    #: how the run ended, as far as the log and the config tell (``diagnose.run_end``)
    end: RunEnd | None = None
    #: logged loss points a later segment replaced (a restart at the same steps: the last wins)
    superseded: int = 0


@dataclass(frozen=True)
class SettingRow:
    """One configured setting as run, and where its value came from."""

    name: str
    value: Number | str | None
    source: str


@dataclass(frozen=True)
class SetupInfo:
    config_path: str | None
    framework: str
    fields: tuple[SettingRow, ...]


@dataclass(frozen=True)
class DiagnosisInfo:
    """The findings, most severe first; the spike and collapse the report is about."""

    severity: str
    findings: tuple[Finding, ...]
    primary_spike: Finding | None
    primary_collapse: Finding | None
    #: the checks that ran (on which curves) and those skipped (why): what a verdict covers
    coverage: tuple[Check, ...] = ()
    #: the run's own best checkpoint and the metric it selects by, when the log records them
    selection: Selection | None = None
    #: how early our rule, run live, fires before each finding's worst point
    early_warnings: tuple[EarlyWarning, ...] = ()
    #: the live guards people run (Lightning, llm-foundry, OLMo-core, W&B, Megatron) replayed
    live_guards: LiveGuards | None = None


@dataclass(frozen=True)
class PlanInfo:
    """The knobs of one setting as shown; ``scheduler_kind`` is ``plateau``, ``cosine``,
    ``constant`` or ``other`` so views never search the spec text."""

    learning_rate: float
    scheduler: str
    scheduler_kind: str
    early_stopping: str | None
    clip_grad_norm: float | None
    epochs: int
    # the base LR is in neither the logs nor a config: only ratios to it carry over
    learning_rate_assumed: bool = False


@dataclass(frozen=True)
class Current:
    plan: PlanInfo
    replay: ReplayOutcome


@dataclass(frozen=True)
class OptionInfo:
    """A remedy: its plan, its config changes (as text and as values), why, and its replay."""

    key: str
    title: str
    plan: PlanInfo
    changes: dict[str, Number | str]
    change_values: dict[str, Any]
    rationale: tuple[str, ...]
    warnings: tuple[str, ...]
    replay: ReplayOutcome
    code: tuple[str, ...] = ()  # the option in the run's framework (remedies/apply.py)


@dataclass(frozen=True)
class Confirmation:
    """Short trainings of the current settings and each option, several seeds each."""

    task: str
    kind: str
    where: str
    subject: str
    seeds: tuple[int, ...]
    seconds: float
    torch_version: str
    trials: dict[str, TrialSummary]
    notes: tuple[str, ...]
    curves: dict[str, list[list[float]]]
    #: whether the current settings reproduced the run's failure, and how (confirm/calibrate.py)
    calibration: Calibration | None = None
    #: where an entry point's model trained: "cpu" or "cuda" (the proxy: "cpu")
    device: str = "cpu"
    #: every setting trained from the user's checkpoint (confirm/rewind.py), or None
    rewind: RewindInfo | None = None


@dataclass(frozen=True)
class Series:
    x: tuple[float, ...]
    y: tuple[float, ...]
    axis: str


@dataclass(frozen=True)
class Patch:
    """A patched copy of the user's config for one option, as data.

    ``values`` are the changes asked for (field name → value; specs as ``{"type": ..}``
    dicts), ``text`` the full patched file, ``file`` its name in the output folder; with
    ``report.json`` and the original config a patch can be rebuilt or re-applied.
    ``error`` says why there is no file.
    """

    option: str
    original: str
    file: str | None
    values: dict[str, Any]
    framework_output: bool = False
    diff: str = ""
    text: str | None = None
    changes: tuple[tuple[str, str, str], ...] = ()
    added: tuple[str, ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class Analysis:
    """Everything the report says, already computed."""

    run: RunInfo
    setup: SetupInfo
    diagnosis: DiagnosisInfo
    headline: str
    fidelity: FidelityCheck | None
    current: Current
    options: tuple[OptionInfo, ...]
    confirmation: Confirmation | None
    recommendation: Recommendation
    series: dict[str, Series]
    notes: tuple[Note, ...] = ()
    patches: tuple[Patch, ...] = ()
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        """The JSON report: plain types only."""
        # jsonable turns a model dataclass (one of MODEL_TYPES) into the dict of its fields
        report: dict[str, Any] = jsonable(self)
        return report


#: model classes serialise as their fields; any other dataclass (a replay spec) also
#: carries its class name under ``type`` so it can be rebuilt
MODEL_TYPES: tuple[type, ...] = (
    RunInfo, SettingRow, SetupInfo, DiagnosisInfo, StopCheck, PerUpdateCheck, FidelityCheck,
    PlanInfo, Current, OptionInfo, SeedOutcome, TrialSummary, Confirmation, Recommendation,
    Series, Patch, Analysis, Note, ReplayOutcome, RunEnd, Check, Selection, Calibration,
    RewindInfo,
    CalibrationStep, EarlyWarning, LiveGuards, GuardReplay,
)


def jsonable(obj: Any) -> Any:
    """Plain JSON types only: dataclasses to dicts, numpy to Python, NaN/inf to None."""
    if isinstance(obj, Finding):
        return jsonable(obj.to_dict())
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        fields = {f.name: jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
        return fields if isinstance(obj, MODEL_TYPES) else {"type": type(obj).__name__, **fields}
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, np.ndarray):
        obj = obj.tolist()
    if isinstance(obj, (list, tuple)):
        if all(type(v) is float for v in obj):  # a series: one pass, not one call per value
            return [v if math.isfinite(v) else None for v in obj]
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return jsonable(obj.item())
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if obj is None or isinstance(obj, (str, int, bool)):
        return obj
    return str(obj)
