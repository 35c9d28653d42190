"""ingest → config → diagnose → fidelity → remedies → confirm → Analysis, one call per stage.

The typed ``Analysis`` is built once, at the end, from each stage's own results.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import replay
from replay import spec_text
from reporter import ingest
from reporter.analysis.loss_choice import choose_loss
from reporter.analysis.model import (
    Analysis,
    Confirmation,
    Current,
    DiagnosisInfo,
    Note,
    OptionInfo,
    Patch,
    PlanInfo,
    RunInfo,
    Series,
    SettingRow,
    SetupInfo,
)
from reporter.analysis.thin import plain_series, thin_series
from reporter.config import find_run_config, framework_written, plan_patch, read_setup
from reporter.config.semantics import adapt_setup, is_plateau
from reporter.config.setup import TrainingSetup
from reporter.diagnose import diagnose
from reporter.diagnose.early_warning import early_warnings, live_guards
from reporter.diagnose.headline import headline
from reporter.diagnose.run_end import logged_extent, run_end
from reporter.errors import LogFormatError, ReporterError, UsageError
from reporter.fidelity.inference import infer_missing_schedule
from reporter.fidelity.per_epoch import check_fidelity
from reporter.remedies import catalog
from reporter.remedies.recommend import recommend
from reporter.report.filters import display_path

Progress = Callable[[str], None]
TrialProgress = Callable[[int, int, str], None]  # (trainings done, planned, label)
CONFIRM_MAX_EPOCHS = 100  # a confirmation trial is a short training, not a rerun
CONFIRM_MODES = ("off", "proxy")  # or an entry point: "path/to/file.py:fn", "pkg.mod:fn"
LR_TIMING_UNKNOWN = ("the transformers version is unknown: the logged learning_rate is either "
                     "the LR used for the step (>= 4.51) or the next step's LR (older)")


def analyze(
    path: str | Path,
    *,
    config: str | Path | None = None,
    confirm: str = "proxy",
    seeds: int = 8,
    workers: int = 1,
    format: str | None = None,
    loss_metric: str | None = None,
    pattern: str | None = None,
    device: str = "auto",
    resume: str | Path | None = None,
    resume_epoch: int | None = None,
    cache: bool = False,
    budget: float | None = None,
    executor: str = "local",
    ray_address: str | None = None,
    progress: Progress | None = None,
    trial_progress: TrialProgress | None = None,
    full_series: bool = False,
) -> Analysis:
    """Analyze one run (a file or a folder) and return the computed Analysis.

    ``loss_metric`` names the metric to analyse as the training loss: any metric of the run
    (``mean_loss`` of a physics-informed net, ``train/box_om`` of a YOLOv10 run); without it
    the run's losses are chosen by ``loss_choice.choose_loss``, which says what it chose.
    ``pattern`` is a regex with named groups for a plain-text log (see ``reporter formats``).
    ``cache`` serves and stores the confirmation's trainings in the trial cache
    (:mod:`reporter.confirm.cache`); ``budget`` caps their wall time in seconds, cutting extra
    seeds first (None: no cap); ``executor`` is ``local`` or ``ray`` (at ``ray_address``).
    ``trial_progress(done, total, label)`` gets each finished training instead of a
    ``progress`` line (a progress bar).
    """
    say = progress or (lambda _msg: None)
    task = _confirm_task(confirm, device=device, resume=resume, resume_epoch=resume_epoch)
    started = time.perf_counter()
    path = Path(path)
    say(f"reading {path}")
    run = ingest.read_run(path, format=format, pattern=pattern, loss_metric=loss_metric)
    loss_note = choose_loss(run, loss_metric)
    cfg = find_run_config(Path(run.source), path, Path(config) if config else None)
    root = path if path.is_dir() else path.parent
    setup = read_setup(cfg, display_root=root) if cfg else TrainingSetup()
    run.setup = setup
    say("diagnosing")
    diagnosis = diagnose(run)
    adapt_setup(setup, run)
    inferred = infer_missing_schedule(setup, diagnosis, run)
    if "train/loss" not in diagnosis.curves and "val/loss" not in diagnosis.curves:
        raise LogFormatError(
            run.source,
            "no loss series found (looked for train and val loss)",
            hint=f"metrics present: {', '.join(run.metrics) or 'none'}",
        )
    say("replaying the schedules")
    fid, aligned = check_fidelity(setup, diagnosis, run)
    per_step = None
    if fid.per_step is not None and fid.per_step.matches:
        from reporter.fidelity.per_update import hf_schedule

        per_step = hf_schedule(setup, run)
    if per_step is not None and isinstance(setup.scheduler, replay.HFScheduler):
        # an HF schedule inferred from the logged LR acts per optimizer update, as one from the
        # training arguments does: the per-epoch plans read the logged LR, not this spec
        setup.scheduler = None
    ctx = catalog.context(diagnosis, aligned, base_lr=setup.learning_rate,
                          per_step_spec=per_step, framework=setup.framework)
    current = catalog.current_plan(setup, ctx)
    current_outcome = catalog.replay_plan(current, ctx)
    option_notes: list[str] = []
    opts = catalog.build_options(setup, diagnosis, ctx, option_notes)
    notes = [Note("ingest", str(n)) for n in run.notes]
    if loss_note is not None:
        notes.append(loss_note)
    if (run.meta.get("framework") == "hf" and run.meta.get("lr_timing") == "unknown"
            and run.has("lr") and per_step is None):
        notes.append(Note("fidelity.lr_timing_unknown", LR_TIMING_UNKNOWN))
    if inferred and per_step is None:
        notes.append(Note("fidelity.schedule_inference",
                          f"Scheduler inference: {inferred['text']}."))
    notes += [Note("remedies", n) for n in option_notes]
    confirmation = None
    if confirm != "off" and opts and per_step is not None:
        notes.append(Note("confirm.per_update_schedule",
            f"No confirmation trainings: the run's LR follows a per-update "
            f"schedule ({spec_text(per_step)}) that the trainings cannot "
            "reproduce yet; they step schedules once per epoch."))
    elif confirm != "off" and opts:
        confirmation = _confirm(current, opts, seeds, workers, say, task, diagnosis,
                                run_options=_run_options(cache, budget, executor, ray_address),
                                trial_progress=trial_progress)

    options = tuple(_option_info(o, per_step) for o in opts)
    diagnosis_info = DiagnosisInfo(
        severity=diagnosis.severity, findings=tuple(diagnosis.findings),
        primary_spike=diagnosis.primary_spike, primary_collapse=diagnosis.primary_collapse,
        coverage=tuple(diagnosis.coverage), selection=diagnosis.selection,
        early_warnings=early_warnings(diagnosis), live_guards=live_guards(diagnosis))
    analysis = Analysis(
        run=_run_info(run, diagnosis, time.perf_counter() - started, _end(run, diagnosis, setup,
                                                                          fid)),
        setup=_setup_info(setup, current, per_step, _epochs_row(setup, current, run, diagnosis)),
        diagnosis=diagnosis_info,
        headline=headline(diagnosis),
        fidelity=fid,
        current=Current(plan=_plan_info(current, per_step), replay=current_outcome),
        options=options,
        confirmation=confirmation,
        # with trials, the pick is among the options that were trained (see _untrained)
        recommendation=recommend(
            [o for o in options if confirmation is None or o.key in confirmation.trials],
            confirmation, diagnosis_info),
        series=_series(diagnosis, aligned),
        notes=tuple(notes),
        patches=_patches(setup, opts, root),
    )
    # the plot series thinned for the report (every finding above used every point)
    return plain_series(analysis) if full_series else thin_series(analysis)


def _confirm_task(confirm: str, *, device: str = "auto", resume: str | Path | None = None,
                  resume_epoch: int | None = None):
    """None for the built-in proxy (or off); the user's loaded entry point otherwise.

    ``device``, ``resume`` and ``resume_epoch`` (``--device``, ``--resume``,
    ``--resume-epoch``) go to :func:`reporter.confirm.load_entry`; a checkpoint needs an
    entry point, the proxy has none.
    """
    if confirm in CONFIRM_MODES:
        if resume is not None or resume_epoch is not None:
            raise UsageError(f"--resume needs --confirm ENTRY (your own model); with --confirm "
                             f"{confirm} there is no model to load a checkpoint into")
        if confirm == "proxy" and device == "cuda":  # the proxy trains on the CPU, but a
            from reporter.confirm.entry import resolve_device  # GPU asked for must exist

            resolve_device(device)
        return None
    if ":" not in confirm:
        from reporter.errors import suggest

        raise UsageError(
            f"--confirm must be off, proxy or an entry point like path/to/file.py:function, "
            f"got {confirm!r}",
            hint=suggest(confirm, (*CONFIRM_MODES, "auto")),
        )
    from reporter.confirm import load_entry

    # fails fast, before any work, on a broken entry point or checkpoint
    return load_entry(confirm, device=device, resume=resume, resume_epoch=resume_epoch)


def _run_options(cache: bool, budget: float | None, executor: str,
                 ray_address: str | None) -> dict[str, Any]:
    """How ``run_confirmation`` trains: trial cache, time budget, executor."""
    from reporter.confirm.cache import TrialCache

    return {"cache": TrialCache() if cache else None, "budget": budget,
            "executor": executor, "ray_address": ray_address}


def _priority(opts) -> list[str]:
    """The order a time budget trains the settings in: the current ones first, then the
    options whose replay promises most (acted before the spike, exact replay, lowest LR at the
    spike relative to the run's: the order of the replay-based pick in remedies.recommend)."""
    def promise(opt) -> tuple:
        rep = opt.outcome
        ref = rep.observed_lr_at_onset or 1.0
        return (not rep.acted_before_spike, rep.lr_at_onset_label != "exact replay",
                (rep.lr_at_onset or ref) / ref)

    return ["current", *(o.key for o in sorted(opts, key=promise))]


def _confirm(current, opts, seeds: int, workers: int, say: Progress, task,
             diagnosis=None, *, run_options: dict[str, Any] | None = None,
             trial_progress: TrialProgress | None = None) -> dict[str, Any] | None:
    from reporter.confirm import TrialSpec
    from reporter.confirm.calibrate import confirm_calibrated, failure_target
    from reporter.confirm.runner import Eta
    from reporter.confirm.schedulers import torch_trial_scheduler

    notes: list[str] = []
    trials = {}
    watched = None if diagnosis is None else (diagnosis.curves.get("val/loss")
                                              or diagnosis.curves.get("train/loss"))
    per_epoch = watched is not None and watched.axis == "epoch"
    for key, plan in [("current", current), *((o.key, o.plan) for o in opts)]:
        untrained = _untrained(plan) or (
            "its warm-up is counted in logged steps, the trainings in epochs"
            if plan.warmup and not per_epoch else None)
        if untrained:
            notes.append(f"{key}: not trained: {untrained}")
            continue
        scheduler, note = torch_trial_scheduler(plan.scheduler)
        if note:
            notes.append(f"{key}: {note}")
        if scheduler is None and plan.scheduler is not None:
            continue
        trials[key] = TrialSpec(
            learning_rate=plan.learning_rate,
            scheduler=scheduler,
            early_stopping=plan.early_stopping,
            clip_grad_norm=plan.clip_grad_norm,
            epochs=min(plan.epochs, CONFIRM_MAX_EPOCHS),
            warmup_epochs=plan.warmup,
            zclip=plan.zclip,
        )
    if current.epochs > CONFIRM_MAX_EPOCHS:
        notes.append(
            f"trials capped at {CONFIRM_MAX_EPOCHS} epochs (the run is configured "
            f"for {current.epochs})"
        )
    if "current" not in trials:
        say("confirmation skipped: " + "; ".join(notes))
        return None
    rewind = None
    if getattr(task, "resume_epoch", None) is not None:  # every setting from the checkpoint
        from reporter.confirm.rewind import plan_rewind, rewind_info, rewind_trials

        rewind = plan_rewind(task, diagnosis, current.epochs, CONFIRM_MAX_EPOCHS)
        trials = rewind_trials(trials, rewind)
    where = "on the proxy task" if task is None else "on your model"
    say(f"confirming: {len(trials)} settings × {seeds} seeds {where}")

    started = time.perf_counter()

    eta = Eta()

    def on_progress(done: int, total: int, label: str) -> None:
        if trial_progress is not None:
            trial_progress(done, total, label)
            return
        spent, left = time.perf_counter() - started, eta(done, total)
        until = "" if left is None else f", about {left:.0f} s left"
        say(f"  trial {done}/{total} done ({label}); {spent:.0f} s so far{until}")

    # the proxy first reproduces the run's failure under the current settings (calibrate.py)
    result, summaries, calibration = confirm_calibrated(
        trials, failure_target(diagnosis) if diagnosis is not None else None, seeds=seeds,
        workers=workers, task=task, on_progress=on_progress, say=say,
        **(run_options or {}), priority=_priority(opts), notes=notes,
    )
    notes += [f"{key}: trained exactly as the current settings (the same validation losses "
              "in every seed): its change never acted in these trainings"
              for key in _same_as_current(result)]
    return Confirmation(
        task=result.description,
        kind="proxy" if task is None else "entry",
        where=where,
        subject="the proxy" if task is None else "your model",
        seeds=tuple(result.seeds),
        seconds=result.seconds,
        torch_version=result.torch_version,
        trials=summaries,
        notes=tuple(notes),
        curves={
            name: [r.val_loss.tolist() for r in t.runs] for name, t in result.trials.items()
        },
        calibration=calibration,
        device="cpu" if task is None else task.device,
        rewind=None if rewind is None else rewind_info(rewind, task, result),
    )


def _same_as_current(result) -> list[str]:
    """The settings whose every seed's validation losses equal the current settings' own."""
    current = result.trials.get("current")
    if current is None:
        return []
    mine = {run.seed: run.val_loss for run in current.runs}
    return [name for name, trial in result.trials.items()
            if name != "current" and trial.runs and all(
                run.seed in mine and np.array_equal(run.val_loss, mine[run.seed],
                                                    equal_nan=True) for run in trial.runs)]


def _untrained(plan) -> str | None:
    """Why a plan cannot be a confirmation trial yet (None: it can)."""
    if plan.rewind is not None:
        return "rewind-and-skip changes the data the model sees, which the trials cannot replay"
    return None


def _end(run, diagnosis, setup: TrainingSetup, fid):
    """How the run ended (``diagnose.run_end``): the configured epochs and the early-stopping
    replay say what the log alone cannot."""
    watched = diagnosis.curves.get("val/loss") or diagnosis.curves.get("train/loss")
    if watched is None:
        return None
    stop = fid.stop if fid is not None else None
    return run_end(run, watched, planned_epochs=setup.epochs,
                   stopped_early=bool(stop and stop.matches and stop.rule))


def _epochs_row(setup: TrainingSetup, plan, run, diagnosis) -> tuple[Any, str]:
    """The settings table's epochs: configured, or for a per-step log without a config the
    points and steps it holds (never its count of points called epochs)."""
    watched = diagnosis.curves.get("val/loss") or diagnosis.curves.get("train/loss")
    if setup.epochs is not None or watched is None or watched.axis != "step":
        return plan.epochs, plan.epochs_source
    return None, f"not configured; the log holds {logged_extent(run, watched)}"


def _run_info(run, diagnosis, seconds: float, end=None) -> RunInfo:
    watched = diagnosis.curves.get("val/loss") or diagnosis.curves.get("train/loss")
    return RunInfo(
        name=run.name,
        source=display_path(run.source, Path.cwd()),
        format=run.format,
        step_kind=run.step_kind,
        metrics=tuple(run.metrics),
        points=len(run.scalars),
        axis=watched.axis if watched else "epoch",
        length=len(watched) if watched else 0,
        span=_span(diagnosis),
        counts={m: len(c) for m, c in diagnosis.curves.items() if m.endswith("loss")},
        lr_timing=run.meta.get("lr_timing", "unknown"),
        # the log counted epochs from 1 and the reader shifted them (see its note)
        epochs_shifted=run.epochs_shifted,
        epoch_base=run.epoch_base,
        superseded=_superseded_losses(run),
        framework=run.meta.get("framework", "unknown"),
        seconds=seconds,
        end=end,
    )


def _span(diagnosis) -> tuple[float, float] | None:
    """First and last x of the longest loss curve."""
    losses = [c for m, c in diagnosis.curves.items() if m.endswith("loss") and len(c)]
    if not losses:
        return None
    longest = max(losses, key=len)
    return (float(longest.x[0]), float(longest.x[-1]))


def _setup_info(setup: TrainingSetup, plan, per_step=None, epochs=None) -> SetupInfo:
    scheduler, source = "none found", setup.source_of("scheduler")
    if setup.scheduler is not None:
        scheduler = spec_text(setup.scheduler)
    elif per_step is not None:
        scheduler = spec_text(per_step)
        if not source.startswith("inferred from the logged LR"):
            source = ("lr_scheduler_type and warm-up from the training arguments, total steps "
                      "from the trainer state; checked against every logged LR")
    early = spec_text(setup.early_stopping) if setup.early_stopping else "none found"
    rows = (
        ("optimizer", setup.optimizer, setup.source_of("optimizer")),
        ("learning rate", plan.learning_rate, plan.learning_rate_source),
        ("scheduler", scheduler, source),
        ("early stopping", early, setup.source_of("early_stopping")),
        ("gradient clipping (max norm)", setup.clip_grad_norm, setup.source_of("clip_grad_norm")),
        ("epochs", *(epochs or (plan.epochs, plan.epochs_source))),
    )
    return SetupInfo(
        config_path=display_path(setup.config_path, Path.cwd()) if setup.config_path else None,
        framework=setup.framework,
        fields=tuple(SettingRow(name, value, src) for name, value, src in rows),
    )


def scheduler_kind(spec: Any) -> str:
    """``plateau``, ``cosine``, ``constant`` or ``other``: what views may branch on."""
    if is_plateau(spec):
        return "plateau"
    if isinstance(spec, (replay.CosineAnnealingLR, replay.CosineAnnealingWarmRestarts,
                         replay.CosineDecay, replay.CosineDecayRestarts)):
        return "cosine"
    if isinstance(spec, replay.HFScheduler) and "cosine" in spec.lr_scheduler_type:
        return "cosine"
    if spec is None or isinstance(spec, replay.ConstantSchedule):
        return "constant"
    return "other"


def _plan_info(plan, per_step=None) -> PlanInfo:
    scheduler = plan.scheduler
    if per_step is not None and isinstance(scheduler, replay.ConstantSchedule):
        scheduler = per_step  # the per-update schedule the log was checked against
    return PlanInfo(
        learning_rate=plan.learning_rate,
        scheduler=spec_text(scheduler),
        scheduler_kind=scheduler_kind(scheduler),
        early_stopping=spec_text(plan.early_stopping) if plan.early_stopping else None,
        clip_grad_norm=plan.clip_grad_norm,
        epochs=plan.epochs,
        learning_rate_assumed=plan.learning_rate_assumed,
    )


def _option_info(opt, per_step=None) -> OptionInfo:
    return OptionInfo(
        key=opt.key,
        title=opt.title,
        plan=_plan_info(opt.plan, per_step),
        changes={k: spec_text(v) if hasattr(v, "__dataclass_fields__") else v
                 for k, v in opt.changes.items()},
        change_values=dict(opt.changes),
        rationale=tuple(opt.rationale),
        warnings=tuple(opt.warnings),
        replay=opt.outcome,
        code=tuple(opt.code),
    )


def _superseded_losses(run: ingest.Run) -> int:
    """Loss points a later segment replaced (counted like ``RunInfo.counts``: names ending in
    ``loss``)."""
    if run.superseded is None or run.superseded.empty:
        return 0
    return int(run.superseded["metric"].astype(str).str.endswith("loss").sum())


def _series(diagnosis, aligned) -> dict[str, Series]:
    """The plot series as the curves' arrays: ``thin_series`` / ``plain_series`` make them
    tuples (after thinning, so a million points are never turned into Python floats)."""
    out = {name: Series(curve.x, curve.y, curve.axis) for name, curve in diagnosis.curves.items()}
    if aligned is not None:
        watched = diagnosis.curves.get("val/loss") or diagnosis.curves.get("train/loss")
        out["lr_used"] = Series(watched.x, np.asarray(aligned), watched.axis)
    return out


def _patches(setup: TrainingSetup, opts, root: Path) -> tuple[Patch, ...]:
    """One patched copy of the config per option, computed here, written by the report stage."""
    if setup.config_path is None:
        return ()
    source = Path(setup.config_path)
    shown = display_path(source, Path.cwd())  # `cp` commands run from the working directory
    out = []
    for i, opt in enumerate(opts, start=1):
        name = f"{source.stem}.option{i}_{opt.key}{source.suffix}"
        values = dict(opt.changes)
        try:
            patched = plan_patch(setup, values, Path(name), display_root=root)
        except (ReporterError, ValueError) as err:
            # the option still shows its changes as a list; say why there is no file
            out.append(Patch(option=opt.key, original=shown, file=None, values=values,
                             error=str(err)))
            continue
        out.append(Patch(
            option=opt.key, original=shown, file=name, values=values,
            framework_output=framework_written(source), diff=patched.diff.rstrip("\n"),
            text=patched.text,
            changes=tuple((str(k), str(b), str(a)) for k, b, a in patched.changes),
            added=tuple(str(k) for k, before, _after in patched.changes if before is None),
        ))
    return tuple(out)
