"""Reproduce the run's failure before measuring any option.

A confirmation only says something about a remedy when, under the *current* settings, the
trainings fail the way the run failed. :func:`failure_target` reads that failure from the
diagnosis (a NaN divergence, a collapse, or a spike at a relative point of the run);
:func:`reproduces` judges one seed against it with the run's own detectors
(:func:`reporter.confirm.summary.judge_seed`). For the built-in proxy, :func:`calibrate`
tries a short, fixed list of proxy variants (:data:`CANDIDATES`: an LR scale, the input
noise, the read-out size), closest to the run first, on the current settings only, and
keeps the first that reproduces the failure in a majority of its seeds. The LR scale
multiplies the whole LR trajectory of every setting alike (:func:`scale_lr`), so the
options keep their LR ratios to the current settings. :func:`finish` then counts how often
the failure reproduced under the current settings in the confirmation itself, which decides
whether the options may be ranked on measurement at all.

Nothing here imports torch; ``run`` trains through :func:`reporter.confirm.run_confirmation`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from replay import CosineAnnealingLR, ReduceLROnPlateau
from reporter.confirm.spec import ProxyTask, TrialSpec
from reporter.confirm.summary import SeedOutcome, TrialSummary, judge_seed, summarize

if TYPE_CHECKING:
    from reporter.confirm.spec import ConfirmationResult
    from reporter.diagnose import Diagnosis

#: proxy variants tried, in order, each with its LR scales (trained side by side):
#: changed ProxyTask fields, LR scales; closest to the run first
CANDIDATES: tuple[tuple[dict[str, Any], tuple[float, ...]], ...] = (
    ({}, (1.0, 2.0)),
    ({"head_size": 4}, (1.0, 2.0)),
    ({"noise": 0.1}, (1.0, 2.0)),
)
CALIBRATION_SEEDS = 4  # seeds per variant; a majority is 3 of 4
FIRST_SEEDS = 2  # tried first; a variant that cannot reach a majority after them stops there
ONSET_TOLERANCE = 0.25  # a reproduced spike starts within this share of the run of the run's

KIND_TEXT = {
    "divergence": "a divergence (the loss became NaN or infinite)",
    "collapse": "a collapse (a spike, then a flat plateau at or above the first level)",
    "spike": "a spike",
}

Runner = Callable[[ProxyTask, dict[str, TrialSpec], int], dict[str, Sequence[SeedOutcome]]]


@dataclass(frozen=True)
class Target:
    """The failure to reproduce: ``kind`` one of :data:`KIND_TEXT`; for a spike, where it
    began as a share of the run's logged span (``relative_onset``) and whether it recovered."""

    kind: str
    relative_onset: float | None = None
    recovered: bool = False

    def describe(self) -> str:
        text = KIND_TEXT[self.kind]
        if self.kind == "spike":
            text = ("a spike that recovered" if self.recovered
                    else "a spike that did not recover")
        if self.relative_onset is not None:
            text += f", starting at {self.relative_onset:.0%} of the run"
        return text


@dataclass(frozen=True)
class CalibrationStep:
    """One proxy variant tried: its LR scale, input noise and read-out size, and in how many
    of its ``seeds`` the current settings reproduced the failure."""

    lr_scale: float
    noise: float
    head_size: int
    seeds: int
    reproduced: int


@dataclass(frozen=True)
class Calibration:
    """How the confirmation reproduced the run's failure under the current settings.

    ``target`` is the failure's kind and ``target_text`` its description; ``tried`` the
    proxy variants searched (empty for the user's own model, which is not changed) and
    ``chosen`` the index of the one used (None: none reproduced the failure in a majority
    of its seeds, and the unchanged proxy was used). ``lr_scale``, ``noise`` and
    ``head_size`` are the variant the confirmation ran. ``reproduced`` of ``n`` seeds of the
    current settings in the confirmation itself failed as the run did; ``confirmed`` is
    True when that is a majority, the condition for ranking options on measurement.
    ``trials`` and ``seconds`` are what the search cost; ``text`` says all of it.
    """

    target: str
    target_text: str
    relative_onset: float | None
    tried: tuple[CalibrationStep, ...]
    chosen: int | None
    lr_scale: float
    noise: float
    head_size: int
    seeds_per_variant: int
    trials: int
    seconds: float
    reproduced: int = 0
    n: int = 0
    confirmed: bool = False
    text: str = ""


def failure_target(diagnosis: Diagnosis) -> Target | None:
    """The run's worst failure: divergence, then collapse, then its primary spike (or None)."""
    if diagnosis.first("divergence") is not None:
        return Target("divergence")
    if diagnosis.primary_collapse is not None:
        return Target("collapse")  # where the spike began is not part of the collapse rule
    spike = diagnosis.primary_spike
    if spike is None:
        return None
    return Target("spike", _relative(spike, diagnosis), bool(spike.evidence.get("recovered")))


def _relative(spike: Any, diagnosis: Diagnosis) -> float | None:
    curve = diagnosis.curves.get(spike.metric) if spike is not None else None
    if curve is None or len(curve.x) < 2:
        return None
    first, last = float(curve.x[0]), float(curve.x[-1])
    return (float(spike.start) - first) / (last - first + _step(curve.x)) if last > first else None


def _step(x: Sequence[float]) -> float:
    return (float(x[-1]) - float(x[0])) / (len(x) - 1)


def reproduces(outcome: SeedOutcome, target: Target) -> bool:
    """Whether one seed failed the way the run did, judged by the run's own detectors.

    A divergence needs a NaN or infinite loss, a collapse the collapse rule; a spike needs a
    spike whose onset lies within :data:`ONSET_TOLERANCE` of the run's relative onset (as a
    share of the epochs the seed trained) and, when the run's spike did not recover, a seed
    that failed (unrecovered spike, collapse or divergence).
    """
    if target.kind == "divergence":
        return outcome.diverged
    if target.kind == "collapse":
        return outcome.collapsed
    if target.kind != "spike" or not outcome.spike_onsets:
        return False
    if not target.recovered and not outcome.failed:
        return False
    if target.relative_onset is None:
        return True
    return any(abs(onset / max(outcome.epochs, 1) - target.relative_onset) <= ONSET_TOLERANCE
               for onset in outcome.spike_onsets)


def scale_lr(spec: TrialSpec, scale: float) -> TrialSpec:
    """``spec`` with its whole LR trajectory multiplied by ``scale``.

    The base LR and the schedule's absolute LR floors (``CosineAnnealingLR.eta_min``,
    ``ReduceLROnPlateau.min_lr`` and ``eps``) are scaled; factors, gammas and periods are
    not, so every epoch's LR is ``scale`` times the unscaled one, for any setting.
    """
    if scale == 1.0:
        return spec
    sched = spec.scheduler
    if isinstance(sched, CosineAnnealingLR):
        sched = replace(sched, eta_min=sched.eta_min * scale)
    elif isinstance(sched, ReduceLROnPlateau):
        sched = replace(sched, min_lr=sched.min_lr * scale, eps=sched.eps * scale)
    return replace(spec, learning_rate=spec.learning_rate * scale, scheduler=sched)


def calibrate(
    current: TrialSpec,
    target: Target,
    run: Runner,
    *,
    base: ProxyTask | None = None,
    candidates: Sequence[tuple[dict[str, Any], tuple[float, ...]]] = CANDIDATES,
    seeds: int = CALIBRATION_SEEDS,
    say: Callable[[str], None] | None = None,
) -> Calibration:
    """Try ``candidates`` in order on the current settings; keep the first that reproduces.

    Each candidate is a proxy variant (``ProxyTask`` fields) with the LR scales to try on
    it; ``run(task, specs, seeds)`` trains every spec of ``specs`` (name → spec) on ``task``
    with seeds ``0 … seeds-1`` in one call (so the scales of a variant train side by side)
    and returns the judged seeds per name. Each scale first trains :data:`FIRST_SEEDS`
    seeds and goes on to ``seeds`` only while a majority is still within reach (seeds
    already trained are trained again, or come from the runner's cache). A variant × scale
    is kept when more than half of its seeds reproduce ``target`` (the first such in list
    order); the search stops with its candidate. Without one, the unchanged ``base`` proxy
    at scale 1 is used. The search is a fixed list, not a time limit, so the same run always
    gets the same calibration.
    """
    base = base or ProxyTask()
    started, tried, trainings = time.perf_counter(), [], 0
    chosen = None
    for fields, scales in candidates:
        task = replace(base, **fields)
        steps, asked = _staged(run, task, {scale: scale_lr(current, scale) for scale in scales},
                               target, seeds)
        trainings += asked
        for step in steps:
            tried.append(step)
            if say is not None:
                say(f"  calibration: {_variant(step)}: reproduced in {step.reproduced} of "
                    f"{step.seeds}")
            if chosen is None and 2 * step.reproduced > step.seeds:
                chosen = len(tried) - 1
        if chosen is not None:
            break
    pick = tried[chosen] if chosen is not None else CalibrationStep(
        1.0, base.noise, base.head_size, 0, 0)
    return Calibration(
        target=target.kind, target_text=target.describe(),
        relative_onset=target.relative_onset, tried=tuple(tried), chosen=chosen,
        lr_scale=pick.lr_scale, noise=pick.noise, head_size=pick.head_size,
        seeds_per_variant=seeds, trials=trainings,
        seconds=time.perf_counter() - started,
    )


def _staged(run: Runner, task: ProxyTask, specs: dict[float, TrialSpec], target: Target,
            seeds: int) -> tuple[list[CalibrationStep], int]:
    """Every scale on its first seeds, then on all seeds those that can still reach a
    majority: one step per scale, and how many trainings were asked for."""
    first = min(FIRST_SEEDS, seeds)
    hits = _hits(run(task, {_name(k): spec for k, spec in specs.items()}, first), target)
    asked, counts = first * len(specs), {k: (hits[_name(k)], first) for k in specs}
    more = {k: spec for k, spec in specs.items()
            if first < seeds and 2 * (hits[_name(k)] + seeds - first) > seeds}
    if more:
        hits = _hits(run(task, {_name(k): spec for k, spec in more.items()}, seeds), target)
        asked += seeds * len(more)
        counts.update({k: (hits[_name(k)], seeds) for k in more})
    steps = [CalibrationStep(k, task.noise, task.head_size, n, h)
             for k, (h, n) in counts.items()]
    return steps, asked


def _name(scale: float) -> str:
    return f"current ×{scale:g}"


def _hits(outcomes: dict[str, Sequence[SeedOutcome]], target: Target) -> dict[str, int]:
    return {name: sum(reproduces(o, target) for o in seeds) for name, seeds in outcomes.items()}


def task_for(calibration: Calibration, base: ProxyTask | None = None) -> ProxyTask:
    """The proxy variant the calibration chose (the LR scale goes on the specs, not here)."""
    return replace(base or ProxyTask(), noise=calibration.noise, head_size=calibration.head_size)


def uncalibrated(target: Target) -> Calibration:
    """No search (the user's own model is not changed): only :func:`finish` counts."""
    return Calibration(target=target.kind, target_text=target.describe(),
                       relative_onset=target.relative_onset, tried=(), chosen=None,
                       lr_scale=1.0, noise=0.0, head_size=0, seeds_per_variant=0, trials=0,
                       seconds=0.0)


def finish(calibration: Calibration, current: TrialSummary, target: Target,
           subject: str = "the proxy") -> Calibration:
    """Count the current settings' reproductions in the confirmation itself and say it all."""
    hits = sum(reproduces(o, target) for o in current.seeds)
    done = replace(calibration, reproduced=hits, n=current.n, confirmed=2 * hits > current.n)
    return replace(done, text=calibration_text(done, subject))


def calibration_text(c: Calibration, subject: str = "the proxy") -> str:
    """The report's sentences on what was searched, what was chosen and how often it reproduced."""
    parts = [f"Before measuring any option, the confirmation had to reproduce your run's "
             f"failure, {c.target_text}, under your current settings."]
    if c.tried:
        steps = "; ".join(f"{_variant(s)}: {s.reproduced} of {s.seeds} seeds" for s in c.tried)
        parts.append(
            f"Proxy variants tried in order, closest to your run first, on the current "
            f"settings only, up to {c.seeds_per_variant} seeds each (a variant stops after "
            f"{FIRST_SEEDS} when a majority is out of reach; {c.trials} trainings, "
            f"{c.seconds:.0f} s): {steps}.")
        if c.chosen is not None:
            parts.append(f"Chosen: {_variant(c.tried[c.chosen])}, the first to reproduce it in "
                         "a majority of its seeds.")
        else:
            parts.append("None reproduced it in a majority of its seeds; the options were "
                         "measured on the unchanged proxy.")
        if any(s.lr_scale != 1.0 for s in c.tried):
            parts.append(f"An LR scale multiplies the learning rate of every setting, the "
                         "current one and each option alike (floors included), so the options "
                         "keep their LR ratios to the current settings; the confirmation ran "
                         f"at ×{c.lr_scale:g} the run's LR.")
    parts.append(f"In the confirmation itself the current settings reproduced it in "
                 f"{c.reproduced} of {c.n} seeds on {subject}.")
    if not c.confirmed:
        parts.append("The confirmation could not reproduce the instability (not in a majority "
                     "of seeds), so it ranks no option by stability; the failure counts below "
                     "are shown, not used.")
    return " ".join(parts)


def _variant(step: CalibrationStep) -> str:
    return (f"LR ×{step.lr_scale:g}, input noise {step.noise:g}, "
            f"{step.head_size} read-out units")


def confirm_calibrated(
    trials: dict[str, TrialSpec],
    target: Target | None,
    *,
    seeds: int,
    workers: int = 1,
    task: Any = None,
    on_progress: Callable[[int, int, str], None] | None = None,
    say: Callable[[str], None] | None = None,
    **run_options: Any,
) -> tuple[ConfirmationResult, dict[str, TrialSummary], Calibration | None]:
    """Calibrate the proxy on ``trials["current"]`` (when ``task`` is None and there is a
    ``target``), run the confirmation on the chosen variant with every setting's LR scaled
    alike, and judge it: the result, its summaries and the finished calibration.

    ``run_options`` go to :func:`~reporter.confirm.runner.run_confirmation` (``cache``,
    ``batched``, ``executor``, ``budget``, ``notes`` …); the calibration's own trainings get
    the same ones except ``budget`` and ``notes``, so a cache serves their seeds again to the
    confirmation. The calibration is never cut (a fixed list keeps it reproducible); its
    seconds come off the ``budget`` of the confirmation, which keeps at least a quarter.
    """
    from reporter.confirm.runner import run_confirmation

    calibration = None
    if target is not None and task is None:
        search = {k: v for k, v in run_options.items() if k not in ("budget", "notes")}
        calibration = calibrate(trials["current"], target, _runner(workers, search), say=say)
        task = task_for(calibration)
        trials = {name: scale_lr(spec, calibration.lr_scale) for name, spec in trials.items()}
        if run_options.get("budget"):  # the search spent part of it; a quarter stays at least
            budget = run_options["budget"]
            run_options["budget"] = max(budget - calibration.seconds, budget / 4)
    result = run_confirmation(trials, seeds=seeds, on_progress=on_progress, workers=workers,
                              task=task, **run_options)
    summaries = summarize(result)
    if target is not None and "current" in summaries:  # (a budget may cut any setting)
        subject = "the proxy" if result.task.kind == "proxy" else "your model"
        calibration = finish(calibration or uncalibrated(target), summaries["current"], target,
                             subject)
    return result, summaries, calibration


def _runner(workers: int, options: dict[str, Any]) -> Runner:
    def run(task: ProxyTask, specs: dict[str, TrialSpec],
            seeds: int) -> dict[str, Sequence[SeedOutcome]]:
        from reporter.confirm.runner import run_confirmation

        result = run_confirmation(specs, seeds=seeds, workers=workers, task=task, **options)
        return {name: [judge_seed(curve) for curve in result.trials[name].runs]
                for name in specs}

    return run
