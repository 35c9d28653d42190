"""``reporter replay``: preview or replay an LR schedule or a stopping rule, no report.

    reporter replay "torch:ReduceLROnPlateau(patience=5, factor=0.5)" --lr 0.1 \\
        --metrics run/metrics.csv
    reporter replay "hf:cosine(num_warmup_steps=100, num_training_steps=1000)" --lr 3e-4 \\
        --steps 1000 --format json
    reporter replay "keras:EarlyStopping(patience=3)" --metrics "[1.0, 0.9, 0.95, 0.95]"

The spec is written like the framework's own constructor call (without the optimizer), with
an optional ``framework:`` prefix (``torch`` by default; ``keras``, ``hf``, ``lightning``):
the text :func:`replay.spec_text` prints and :func:`replay.parse_spec` reads. Composites
take nested calls: ``torch:SequentialLR([LinearLR(start_factor=0.1, total_iters=5),
CosineAnnealingLR(T_max=95)], milestones=[5])``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from reporter.errors import UsageError, suggest

DEFAULT_METRIC = "val/loss"
# Schedules that set their own LR (the optimizer's is overwritten or unused).
_NO_BASE_LR = frozenset(
    [
        "CyclicLR",
        "OneCycleLR",
        "ExponentialDecay",
        "PiecewiseConstantDecay",
        "PolynomialDecay",
        "InverseTimeDecay",
        "CosineDecay",
        "CosineDecayRestarts",
    ]
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``reporter replay``."""
    parser.add_argument(
        "schedule",
        nargs="?",
        help="the LR schedule or stopping rule as a constructor call, e.g. "
        '"torch:StepLR(step_size=30, gamma=0.1)", "keras:ReduceLROnPlateau(patience=3)", '
        '"hf:linear(num_warmup_steps=10, num_training_steps=100)", '
        '"hf:get_cosine_schedule_with_warmup(10, 100)", "ultralytics:linear(epochs=100, '
        'nb=50, nw=150)", "keras:EarlyStopping(patience=3)" '
        "(a stopping rule alone needs --metrics, no --lr)",
    )
    parser.add_argument(
        "--lr", type=float, help="the optimizer's base learning rate (LR schedules only)"
    )
    parser.add_argument(
        "--infer",
        metavar="LOG",
        help="instead of replaying a schedule, find the schedules that reproduce the LR "
        "logged in LOG (with --metric as the plateau metric)",
    )
    count = parser.add_mutually_exclusive_group()
    count.add_argument("--epochs", type=int, help="number of epochs to replay")
    count.add_argument("--steps", type=int, help="number of optimizer steps to replay")
    parser.add_argument(
        "--steps-per-epoch",
        type=int,
        metavar="K",
        help="with --epochs: print one row per optimizer step (the scheduler still steps per "
        "epoch)",
    )
    parser.add_argument(
        "--metrics",
        help="the monitored metric, one value per epoch (per step with --steps): a JSON list "
        'such as "[1.0, 0.9, NaN, null]", a .json file holding one, or a training log that '
        "reporter reads (see --metric). NaN, Infinity and null (read as NaN) are accepted and "
        "replayed as the framework treats a NaN. Without --epochs/--steps the replay runs one "
        "epoch per value. A plateau schedule over N epochs needs N-1 values (the last "
        "epoch's value would only change the LR after the run); a stopping rule reads one "
        "value per check, the first N",
    )
    parser.add_argument(
        "--metric",
        default=DEFAULT_METRIC,
        help=f"which metric of a log file to use (default: {DEFAULT_METRIC})",
    )
    parser.add_argument(
        "--early-stopping",
        metavar="SPEC",
        help="also replay an early-stopping callback on the metrics, e.g. "
        '"lightning:EarlyStopping(patience=3)", "keras:EarlyStopping(patience=2)", '
        '"hf:EarlyStoppingCallback(early_stopping_patience=1)"',
    )
    parser.add_argument(
        "--stepping",
        default="standard",
        choices=["standard", "step_before", "step_epoch_after"],
        help="how the loop calls scheduler.step() (default: standard)",
    )
    parser.add_argument(
        "--format", default="table", choices=["table", "json"], help="output format"
    )
    parser.add_argument(
        "--max-rows",
        type=int,
        default=60,
        help="table rows at most (runs of equal LR share a row; 0 = all)",
    )


# --- parsing the spec ----------------------------------------------------------------------


def parse_schedule(text: str, flag: str = ""):
    """The spec a ``framework:Name(args)`` text describes (:func:`replay.parse_spec`); a text
    it cannot read is a UsageError with the parser's hint. ``flag`` prefixes the message."""
    from replay import SpecError, parse_spec

    try:
        return parse_spec(text)
    except SpecError as err:
        raise UsageError(f"{flag}: {err}" if flag else str(err), hint=err.hint) from err


# --- metrics -------------------------------------------------------------------------------


def load_metrics(source: str, metric: str = DEFAULT_METRIC, *, per: str = "epoch") -> list:
    """A metric series from a JSON list, a .json file holding one, or a training log."""
    text = source.strip()
    if text.startswith("["):
        return _json_list(text, "--metrics")
    path = Path(source)
    if not path.exists():
        raise UsageError(
            f"--metrics {source!r} is neither a JSON list nor an existing file",
            hint='give a list like "[1.0, 0.9, 0.85]" or a path to a log',
        )
    if path.suffix == ".json":
        raw = path.read_text(encoding="utf-8").strip()
        if raw.startswith("["):
            return _json_list(raw, str(path))
    from reporter.ingest import canonical_name, read_run

    run = read_run(path)
    wanted = canonical_name(metric)
    if not run.has(wanted):
        raise UsageError(
            f"{path} has no metric {metric!r} (metrics: {', '.join(run.metrics())})",
            hint=suggest(wanted, run.metrics()),
        )
    table = run.by_epoch() if per == "epoch" else run.by_step()
    if wanted not in table:
        raise UsageError(f"{path}: metric {metric!r} has no per-{per} values")
    return [float(v) for v in table[wanted].tolist()]


def _json_list(text: str, where: str) -> list:
    try:
        values = json.loads(text)
    except json.JSONDecodeError as err:
        raise UsageError(f"{where}: not a JSON list of numbers ({err.msg})") from err
    if not isinstance(values, list) or not all(
        isinstance(v, (int, float)) or v is None for v in values
    ):
        raise UsageError(f"{where}: expected a JSON list of numbers")
    return [float("nan") if v is None else float(v) for v in values]


# --- run -----------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> int:
    """Replay the schedule (or the stopping rule) and print the LR per epoch/step and the
    events (or when training stops)."""
    from replay import EarlyStopping

    if getattr(args, "infer", None):
        return _run_infer(args)
    if args.schedule is None:
        raise UsageError(
            "give a schedule to replay, or --infer LOG",
            hint='e.g. reporter replay "torch:StepLR(step_size=30)" --lr 0.1 --epochs 90',
        )
    _check_counts(args)
    spec = parse_schedule(args.schedule)
    unit = "step" if args.steps is not None else "epoch"
    metrics = None
    if args.metrics is not None:
        metrics = load_metrics(args.metrics, args.metric, per=unit)
    if isinstance(spec, EarlyStopping):
        out = _replay_stop(spec, args, metrics, unit)
    else:
        out = _replay_schedule(spec, args, metrics, unit)
    sys.stdout.write(out + "\n")
    return 0


def _length(args, metrics: list | None) -> int:
    """How many epochs/steps to replay: --epochs/--steps, else one per metric value."""
    n = args.steps if args.steps is not None else args.epochs
    if n is None:
        if metrics is None:
            raise UsageError("say how long to replay: --epochs N or --steps N")
        n = len(metrics)  # the epochs the metrics describe
    if n < 1:
        raise UsageError(f"--metrics {args.metrics!r} holds no values: nothing to replay")
    return n


def _replay_schedule(spec, args, metrics: list | None, unit: str) -> str:
    from replay import lr_trajectory, per_step
    from replay.spec_text import spec_call

    driven = _metric_driven(spec)
    n = _length(args, metrics)
    framework, name, _ = spec_call(spec)
    if args.lr is None and type(spec).__name__ not in _NO_BASE_LR:
        raise UsageError(f"{framework}:{name} needs the base learning rate: --lr VALUE")
    if driven and metrics is None:
        raise UsageError(
            f"{framework}:{name} is driven by a metric: give --metrics (a JSON list or a log)"
        )
    try:
        traj = lr_trajectory(spec, args.lr or 0.0, n, metrics, stepping=args.stepping)
    except ValueError as err:
        raise UsageError(str(err)) from err
    traj = _explained(spec, traj)
    warnings = _warnings(spec, traj, unit)
    ran = {}
    if getattr(args, "early_stopping", None):
        traj, stop = _with_stop(traj, args.early_stopping, metrics, n)
        ran = {"stopped_after": stop.index if stop else None,
               f"{unit}s_run": stop.index + 1 if stop else n}  # fmt: skip
    if getattr(args, "steps_per_epoch", None):
        if unit != "epoch":
            raise UsageError("--steps-per-epoch expands an epoch schedule: use it with --epochs")
        try:
            traj = per_step(traj, args.steps_per_epoch)
        except ValueError as err:
            raise UsageError(f"--steps-per-epoch: {err}") from err
        unit = "step"
    if args.format == "json":
        return _json(spec, args, traj, unit, warnings, ran)
    return _table(spec, args, traj, unit, warnings)


def _metric_driven(spec) -> bool:
    """Whether the LR schedule ``spec`` reads a metric; UsageError if it is no LR schedule."""
    from replay import spec_text
    from replay.trajectory import metric_driven

    try:
        return metric_driven(spec)
    except TypeError as err:
        raise UsageError(
            f"{spec_text(spec)} is neither an LR schedule nor a stopping rule: "
            "reporter replay cannot replay it",
            hint='e.g. "torch:StepLR(step_size=30)" or "keras:EarlyStopping(patience=3)"',
        ) from err


def _replay_stop(spec, args, metrics: list | None, unit: str) -> str:
    """A stopping rule replayed alone: when it stops training on the metrics."""
    from replay import early_stop, spec_text

    call = spec_text(spec)
    _check_stop_alone(call, args)
    if metrics is None:
        raise UsageError(
            f"{call} needs --metrics: the monitored value at each check",
            hint='e.g. --metrics "[1.0, 0.9, 0.95, 0.95]" or --metrics run/metrics.csv',
        )
    n = _length(args, metrics)
    if n > len(metrics):
        raise UsageError(
            f"--{unit}s {n} needs {n} metric values (one per check), got {len(metrics)}"
        )
    stop = early_stop(spec, metrics[:n])
    run_count = stop.index + 1 if stop else n
    if args.format == "json":
        doc = {"schedule": args.schedule, "spec": repr(spec), "call": call, "unit": unit,
               "checks": n, "stopped_after": stop.index if stop else None,
               f"{unit}s_run": run_count, "events": [stop.to_dict()] if stop else []}  # fmt: skip
        return json.dumps(doc, indent=2, allow_nan=False, default=str)
    lines = [f"stopping rule: {call}", f"{n} checks, one per {unit}", ""]
    if stop is None:
        lines.append(f"no stop: all {n} {unit}s run")
    else:
        lines += [f"stopped after {unit} {stop.index}: {stop.reason}",
                  f"{unit}s run: {run_count} of {n}"]  # fmt: skip
    return "\n".join(lines)


def _check_stop_alone(call: str, args) -> None:
    """Options that only an LR schedule uses are a usage error next to a stopping rule."""
    if getattr(args, "early_stopping", None):
        raise UsageError(
            f"{call} is a stopping rule, and --early-stopping gives another one",
            hint="give an LR schedule as the first argument, or drop --early-stopping",
        )
    given = {"--lr": args.lr is not None, "--stepping": args.stepping != "standard",
             "--steps-per-epoch": getattr(args, "steps_per_epoch", None) is not None}  # fmt: skip
    wrong = [flag for flag, used in given.items() if used]
    if wrong:
        lr = f"{args.lr:g}" if args.lr is not None else "LR"
        raise UsageError(
            f"{call} is a stopping rule, not an LR schedule: {', '.join(wrong)} does not apply",
            hint=f"drop {', '.join(wrong)} to replay the rule alone, or give it next to a "
            f'schedule: reporter replay "torch:ConstantSchedule" --lr {lr} --early-stopping '
            f'"{call}" --metrics ...',
        )


def _check_counts(args) -> None:
    """Reject a non-positive base LR and replay lengths below one."""
    import math

    if args.lr is not None and not (math.isfinite(args.lr) and args.lr > 0):
        raise UsageError(f"--lr must be a positive number, got {args.lr:g}")
    for flag in ("epochs", "steps", "steps_per_epoch"):
        value = getattr(args, flag, None)
        if value is not None and value < 1:
            raise UsageError(f"--{flag.replace('_', '-')} must be at least 1, got {value}")


def _run_infer(args) -> int:
    """``--infer LOG``: rank the schedules that reproduce the LR logged in LOG."""
    from replay import infer_schedule, spec_text
    from reporter.ingest import canonical_name, read_run

    run = read_run(Path(args.infer))
    lr_name, metric = canonical_name("lr"), canonical_name(args.metric)
    if not run.has(lr_name):
        raise UsageError(f"{args.infer} has no logged learning rate (metrics: "
                         f"{', '.join(run.metrics())})")  # fmt: skip
    per = "step" if args.steps is not None else "epoch" if args.epochs is not None else None
    series = _infer_series(run, lr_name, metric, per=per)
    logged, metrics, unit, note = series
    total = run.meta.get("max_steps")  # an HF schedule ends at the run's max_steps
    hf_steps = (run.meta.get("framework") == "hf" and unit == "step"
                and isinstance(total, int) and total >= logged.size)
    found = infer_schedule(logged, metrics, total_steps=total if hf_steps else None)
    found, own = _with_ultralytics(run, found)
    note = note or own
    count = int(np.isfinite(logged).sum())
    if args.format == "json":
        doc = [
            {"spec": repr(c.spec), "call": spec_text(c.spec), "base_lr": c.base_lr,
             "score": c.score, "alignment": c.alignment, "stepping": c.stepping,
             "first_mismatch": c.first_mismatch}
            for c in found
        ]  # fmt: skip
        sys.stdout.write(json.dumps({"log": args.infer, "unit": unit, "values": count,
                                     "length": int(logged.size), "note": note,
                                     "candidates": doc}, indent=2) + "\n")  # fmt: skip
        return 0
    if unit == "step" and count < logged.size:
        head = f"{count} logged LR values over {logged.size} optimizer steps"
    else:
        head = f"{count} logged LR values, one per {unit}"
    lines = [
        f"{args.infer}: {head}"
        + (f", metric {args.metric}" if metrics is not None else ", no metric"),
        *([note] if note else []),
        "",
    ]
    if not found:
        lines.append("no schedule reproduces this log")
    for rank, c in enumerate(found, 1):
        how = c.alignment + ("" if c.stepping == "standard" else f", {c.stepping}")
        line = f"{rank}. {c.score:6.1%}  base lr {c.base_lr:.6g}  ({how})  {spec_text(c.spec)}"
        if c.first_mismatch is not None and c.score >= 0.5:
            line += f"\n   first mismatch at {unit} {c.first_mismatch + (unit == 'step')}" \
                    if note else f"\n   first mismatch at {unit} {c.first_mismatch}"  # fmt: skip
        lines.append(line)
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def _with_ultralytics(run, found: list) -> tuple[list, str | None]:
    """An Ultralytics run's own trainer schedules ranked with the others (ties go to them),
    and a note on how they were scored."""
    from reporter.fidelity.ultralytics import group_names, is_ultralytics, lr_groups

    groups = lr_groups(run) if is_ultralytics(run) else None
    if groups is None:
        return found, None
    from replay.ultralytics_infer import infer_ultralytics, printed_digits_rtol

    weights, bias, name = groups
    rtol = printed_digits_rtol(weights if bias is None else np.concatenate([weights, bias]))
    own = infer_ultralytics(weights, bias, rtol=rtol)
    ranked = sorted(own + found, key=lambda c: -c.score)[:max(len(found), len(own))]
    return ranked, (f"ultralytics: candidates score {group_names(name)} together, to "
                    f"{rtol:.2g} (the digits results.csv printed)")


def _infer_series(run, lr_name: str, metric: str, *, per: str | None = None):
    """The LR series to infer from: ``(lr, metric or None, unit, note)``.

    A log whose LR is logged per optimizer step (HF trainer_state, Lightning) is inferred
    per step: the values go to an array indexed by scheduler step with NaN where nothing was
    logged, since a schedule is a function of the step, not of the row. HF's ``step`` is the
    1-based ``global_step`` of the update: index ``g - 1`` holds the value logged at ``g``
    (the LR that update used from transformers 4.51 on: the ``used`` alignment;
    ``after_step`` = the next update's LR, as logged before 4.51).
    """
    epochs = run.by_epoch()
    steps = run.by_step() if run.step_kind == "optimizer_step" or per == "step" else None
    per_epoch = epochs[lr_name].dropna() if lr_name in epochs else None
    per_update = steps[lr_name].dropna() if steps is not None and lr_name in steps else None
    hf = run.meta.get("framework") == "hf"  # the Trainer steps its scheduler per update
    use_steps = (
        bool(per_update is not None and per_update.size)
        and per != "epoch"
        and (per == "step" or hf or per_epoch is None or per_update.size > per_epoch.size)
    )
    if not use_steps:
        if per_epoch is None:
            raise UsageError("the log's learning rate has neither per-epoch nor per-step values")
        metrics = epochs[metric].to_numpy(dtype=float) if metric in epochs else None
        return epochs[lr_name].to_numpy(dtype=float), metrics, "epoch", ""
    index = per_update.index.to_numpy(dtype=np.int64)
    first = 1 if hf else 0
    if index.min() < first:
        raise UsageError(f"the log's LR has step {int(index.min())} < {first}")
    logged = np.full(int(index.max()) - first + 1, np.nan)
    logged[index - first] = per_update.to_numpy(dtype=float)
    note = ""
    if hf:
        note = (
            "steps are HF global_step (1-based): 'used' = the LR update g trained with "
            "(transformers >= 4.51 logs it), 'after_step' = the LR after it (before 4.51)"
        )
    return logged, None, "step", note


def _with_stop(traj, text: str, metrics, n: int):
    """The trajectory with the early stop (if any) among its events, and the stop."""
    from replay import EarlyStopping, Trajectory, early_stop

    stopper = parse_schedule(text, "--early-stopping")
    if not isinstance(stopper, EarlyStopping):
        raise UsageError(
            f"--early-stopping {text!r} is not an early-stopping callback",
            hint='e.g. "lightning:EarlyStopping(patience=3)"',
        )
    if metrics is None:
        raise UsageError("--early-stopping needs --metrics (the monitored value per check)")
    stop = early_stop(stopper, metrics[:n])
    if stop is None:
        return traj, None
    events = tuple(sorted((*traj.events, stop), key=lambda e: e.index))
    return Trajectory(lr=traj.lr, events=events), stop


def _json(spec, args, traj, unit: str, warnings: list[str], ran: dict) -> str:
    from replay import spec_text

    doc = {
        "schedule": args.schedule,
        "spec": repr(spec),
        "call": spec_text(spec),
        "warnings": warnings,
        "base_lr": args.lr,
        "unit": unit,
        "stepping": args.stepping,
        **ran,
        **traj.to_dict(),
    }
    return json.dumps(doc, indent=2, allow_nan=False, default=str)


def _table(spec, args, traj, unit: str, warnings: list[str]) -> str:
    from replay import spec_text

    lr = traj.lr
    lines = [
        f"schedule: {spec_text(spec)}",
        f"base lr {args.lr if args.lr is not None else '(set by the schedule)'}, "
        f"{lr.size} {unit}s, stepping {args.stepping}",
        *(f"warning: {w}" for w in warnings),
        "",
        f"{unit + 's':<15} lr",
    ]
    runs = _runs(lr)
    limit = args.max_rows if args.max_rows > 0 else len(runs)
    for start, stop in runs[:limit]:
        span = f"{start}" if stop == start else f"{start}-{stop}"
        lines.append(f"{span:<15} {float(lr[start]):.6g}")
    if len(runs) > limit:
        lines.append(f"... {len(runs) - limit} more rows (--max-rows 0 shows all)")
    if traj.events:
        lines += ["", "events:"]
        for ev in traj.events:
            change = f"{ev.before:.6g} -> {ev.after:.6g}" if ev.before is not None else ""
            kind = "LR rises again" if _periodic_rise(spec, ev) else ev.kind
            lines.append(
                f"  after {unit} {ev.index}: {kind} {change}"
                + (f" ({ev.reason})" if ev.reason else "")
            )
    return "\n".join(lines)


def _runs(lr) -> list[tuple[int, int]]:
    """(first, last) index of each run of equal consecutive values."""
    runs: list[tuple[int, int]] = []
    start = 0
    for i in range(1, len(lr) + 1):
        if i == len(lr) or lr[i] != lr[start]:
            runs.append((start, i - 1))
            start = i
    return runs


# --- presentation --------------------------------------------------------------------------


def _periodic_rise(spec, ev) -> bool:
    """A "restart" of torch's CosineAnnealingLR is the cosine climbing back past T_max."""
    from replay import CosineAnnealingLR

    return ev.kind == "restart" and isinstance(spec, CosineAnnealingLR)


def _explained(spec, traj):
    """The trajectory with event reasons that say what happened: a cosine "restart" past
    T_max is the periodic cosine rising again. (Plateau reductions already carry the
    library's reason: the bad epochs torch counted and the reset they were counted from.)"""
    import dataclasses

    from replay import CosineAnnealingLR, Trajectory

    if isinstance(spec, CosineAnnealingLR):
        why = (f"CosineAnnealingLR is periodic: past T_max={spec.T_max} it climbs back "
               "towards the base LR")  # fmt: skip
        events = tuple(
            dataclasses.replace(e, reason=why) if _periodic_rise(spec, e) else e
            for e in traj.events
        )
        return Trajectory(lr=traj.lr, events=events)
    return traj


def _warnings(spec, traj, unit: str) -> list[str]:
    from replay import CosineAnnealingLR

    if isinstance(spec, CosineAnnealingLR) and any(_periodic_rise(spec, e) for e in traj.events):
        return [
            f"the replay runs past T_max={spec.T_max} {unit}s: torch's CosineAnnealingLR does "
            f"not stay at eta_min={spec.eta_min:g} but rises again (set T_max to the "
            f"{unit}s of the run, or use CosineAnnealingWarmRestarts for deliberate restarts)"
        ]
    return []
