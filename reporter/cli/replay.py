"""``reporter replay``: preview or replay an LR schedule without a report.

    reporter replay "torch:ReduceLROnPlateau(patience=5, factor=0.5)" --lr 0.1 \\
        --metrics run/metrics.csv
    reporter replay "hf:cosine(num_warmup_steps=100, num_training_steps=1000)" --lr 3e-4 \\
        --steps 1000 --format json

The schedule is written like the framework's own constructor call (without the optimizer),
with an optional ``framework:`` prefix (``torch`` by default; ``keras``, ``hf``). Composites
take nested calls: ``torch:SequentialLR([LinearLR(start_factor=0.1, total_iters=5),
CosineAnnealingLR(T_max=95)], milestones=[5])``.
"""

from __future__ import annotations

import argparse
import ast
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
        help='the schedule as a constructor call, e.g. "torch:StepLR(step_size=30, gamma=0.1)", '
        '"keras:ReduceLROnPlateau(patience=3)", "hf:linear(num_warmup_steps=10, '
        'num_training_steps=100)"',
    )
    parser.add_argument("--lr", type=float, help="the optimizer's base learning rate")
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
        help="metric series for plateau schedules: a JSON list, a .json file holding one, "
        "or a training log that reporter reads",
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


# --- parsing the schedule ------------------------------------------------------------------


def _spec_names() -> dict:
    from replay.names import SPEC_NAMES

    return SPEC_NAMES


def parse_schedule(text: str):
    """Build the spec a ``framework:Name(args)`` string describes; UsageError if it cannot."""
    names = _spec_names()
    framework, sep, call = text.partition(":")
    if not sep or "(" in framework:
        framework, call = "torch", text
    framework = framework.strip().lower()
    if framework not in names:
        raise UsageError(
            f"unknown framework {framework!r} in schedule {text!r} "
            f"(choose from {', '.join(names)})",
            hint=suggest(framework, names),
        )
    try:
        node = ast.parse(call.strip(), mode="eval").body
    except SyntaxError as err:
        raise UsageError(
            f"cannot read schedule {text!r}: {err.msg}",
            hint='write it like a constructor call, e.g. "StepLR(step_size=30)"',
        ) from err
    if isinstance(node, ast.Name):  # a bare name: all defaults
        node = ast.Call(func=node, args=[], keywords=[])
    return _build(node, framework, names, text)


def _build(node: ast.AST, framework: str, names: dict, text: str):
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
        raise UsageError(
            f"cannot read schedule {text!r}: expected a call like Name(arg=value)",
            hint='e.g. "torch:ReduceLROnPlateau(patience=5, factor=0.5)"',
        )
    name = node.func.id
    table = names[framework]
    if name not in table:
        raise UsageError(
            f"unknown {framework} schedule {name!r} (choose from {', '.join(table)})",
            hint=suggest(name, table),
        )
    if name in ("LambdaLR", "MultiplicativeLR"):
        raise UsageError(f"{name} needs a Python function; it cannot be given on the command line")
    args = [_value(a, framework, names, text) for a in node.args]
    kwargs = {k.arg: _value(k.value, framework, names, text) for k in node.keywords}
    return _construct(table[name], name, framework, args, kwargs)


def _value(node: ast.AST, framework: str, names: dict, text: str):
    if isinstance(node, ast.Call):
        return _build(node, framework, names, text)
    if isinstance(node, (ast.List, ast.Tuple)):
        return tuple(_value(e, framework, names, text) for e in node.elts)
    try:
        return ast.literal_eval(node)
    except ValueError as err:
        raise UsageError(
            f"cannot read schedule {text!r}: {ast.unparse(node)!r} is not a number, string or list",
        ) from err


def _construct(factory, name: str, framework: str, args: list, kwargs: dict):
    import dataclasses
    import inspect

    cls = getattr(factory, "func", factory)
    if dataclasses.is_dataclass(cls):
        fields = [f.name for f in dataclasses.fields(cls)]
    else:
        fields = list(inspect.signature(cls).parameters)
    for key in kwargs:
        if fields and key not in fields:
            raise UsageError(
                f"{framework}:{name} has no parameter {key!r} "
                f"(parameters: {', '.join(f for f in fields if f != 'lr_scheduler_type')})",
                hint=suggest(key, fields),
            )
    try:
        return factory(*args, **kwargs)
    except (TypeError, ValueError) as err:
        raise UsageError(f"{framework}:{name}: {err}") from err


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
    """Replay the schedule and print the LR per epoch/step and the events."""
    from replay import lr_trajectory, per_step
    from replay.trajectory import metric_driven

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
    n = args.steps if args.steps is not None else args.epochs
    if n is None:
        if metrics is None:
            raise UsageError("say how long to replay: --epochs N or --steps N")
        n = len(metrics)  # the epochs the metrics describe
    if n < 1:
        raise UsageError(f"--metrics {args.metrics!r} holds no values: nothing to replay")
    needs_lr = type(spec).__name__ not in _NO_BASE_LR
    if args.lr is None and needs_lr:
        raise UsageError(f"{type(spec).__name__} needs the base learning rate: --lr VALUE")
    if metric_driven(spec) and metrics is None:
        raise UsageError(
            f"{type(spec).__name__} is driven by a metric: give --metrics (a JSON list or a log)"
        )
    try:
        traj = lr_trajectory(spec, args.lr or 0.0, n, metrics, stepping=args.stepping)
    except ValueError as err:
        raise UsageError(str(err)) from err
    traj = _explained(spec, traj)
    warnings = _warnings(spec, traj, unit)
    if getattr(args, "early_stopping", None):
        traj = _with_stop(traj, args.early_stopping, metrics, n)
    if getattr(args, "steps_per_epoch", None):
        if unit != "epoch":
            raise UsageError("--steps-per-epoch expands an epoch schedule: use it with --epochs")
        try:
            traj = per_step(traj, args.steps_per_epoch)
        except ValueError as err:
            raise UsageError(f"--steps-per-epoch: {err}") from err
        unit = "step"
    if args.format == "json":
        out = _json(spec, args, traj, unit, warnings)
    else:
        out = _table(spec, args, traj, unit, warnings)
    sys.stdout.write(out + "\n")
    return 0


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
    from replay import infer_schedule
    from reporter.ingest import canonical_name, read_run

    run = read_run(Path(args.infer))
    lr_name, metric = canonical_name("lr"), canonical_name(args.metric)
    if not run.has(lr_name):
        raise UsageError(f"{args.infer} has no logged learning rate (metrics: "
                         f"{', '.join(run.metrics())})")  # fmt: skip
    per = "step" if args.steps is not None else "epoch" if args.epochs is not None else None
    series = _infer_series(run, lr_name, metric, per=per)
    logged, metrics, unit, note = series
    found = infer_schedule(logged, metrics)
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
    """The trajectory with the early stop (if any) among its events."""
    from replay import EarlyStopping, Trajectory, early_stop

    stopper = parse_schedule(text)
    if not isinstance(stopper, EarlyStopping):
        raise UsageError(
            f"--early-stopping {text!r} is not an early-stopping callback",
            hint='e.g. "lightning:EarlyStopping(patience=3)"',
        )
    if metrics is None:
        raise UsageError("--early-stopping needs --metrics (the monitored value per check)")
    stop = early_stop(stopper, metrics[:n])
    if stop is None:
        return traj
    events = tuple(sorted((*traj.events, stop), key=lambda e: e.index))
    return Trajectory(lr=traj.lr, events=events)


def _json(spec, args, traj, unit: str, warnings: list[str]) -> str:
    doc = {
        "schedule": args.schedule,
        "spec": repr(spec),
        "call": spec_text(spec),
        "warnings": warnings,
        "base_lr": args.lr,
        "unit": unit,
        "stepping": args.stepping,
        **traj.to_dict(),
    }
    return json.dumps(doc, indent=2, allow_nan=False, default=str)


def _table(spec, args, traj, unit: str, warnings: list[str]) -> str:
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


def spec_text(spec) -> str:
    """The spec written like the constructor call: HF schedules as ``hf:type(...)`` with
    only the arguments that differ from the defaults (the warm-up always, when it applies);
    other specs as their repr, which already reads like the call."""
    import dataclasses

    from replay import HFScheduler

    if not isinstance(spec, HFScheduler):
        return repr(spec)
    args = []
    for f in dataclasses.fields(spec):
        if f.name == "lr_scheduler_type":
            continue
        value = getattr(spec, f.name)
        warmup = f.name == "num_warmup_steps" and spec.lr_scheduler_type != "constant"
        if value != f.default or warmup:
            args.append(f"{f.name}={value!r}")
    return f"hf:{spec.lr_scheduler_type}({', '.join(args)})"


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
