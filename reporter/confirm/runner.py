"""Run every setting × seed of a confirmation: cached, batched, local or on Ray, within a budget.

Each seed of each setting is looked up in the trial cache first (:mod:`reporter.confirm.cache`);
the rest are trained as units (one setting, some seeds) by an executor
(:mod:`reporter.confirm.executors`): the built-in proxy trains a setting's seeds all at once
(:mod:`reporter.confirm.batched`), an entry point one seed per unit.

With a ``budget`` (seconds of wall time) the units are dispatched in priority order: the
settings in the order given (the current settings first, then the options, most promising
first), each first with its minimum seeds, extra seeds after. Once one unit has finished, the
cost of the next is estimated from the seconds per seed-epoch measured so far (every epoch
counted, so early stopping only makes it an overestimate); seeds beyond a setting's minimum
are cut first, while the minimum seeds of the settings still waiting are kept in reserve, and a
setting whose minimum no longer fits is cut. Every cut is said in the notes. The estimate is
linear in seeds; a batched unit shrunk to fewer seeds costs somewhat more than that (its
per-step overhead is shared by fewer seeds), so the budget can be overrun by a fraction of one
unit. The first unit is always trained: nothing is measured before it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from reporter.confirm.cache import TrialCache
from reporter.confirm.executors import Executor, Unit, make_executor
from reporter.confirm.spec import (
    ConfirmationResult,
    ProxyTask,
    SeedCurve,
    Task,
    TrialResult,
    TrialSpec,
)

ProgressCallback = Callable[[int, int, str], None]
Curves = dict[tuple[str, int], SeedCurve]  # (setting, seed) → its curve
MIN_SEEDS = 3  # seeds every setting gets before any setting gets more


@dataclass
class _Request:
    """Seeds of one setting waiting to be trained; ``keep`` of them are its minimum."""

    name: str
    spec: TrialSpec
    seeds: list[int]
    keep: int


@dataclass
class _Budget:
    """Wall-time bookkeeping: the deadline and the measured seconds per seed-epoch."""

    deadline: float
    slots: int
    seconds: float = 0.0
    seed_epochs: int = 0
    cut: dict[str, list[int]] = field(default_factory=dict)

    @property
    def rate(self) -> float | None:
        return self.seconds / self.seed_epochs if self.seed_epochs else None

    def record(self, seconds: float, curves: list[SeedCurve]) -> None:
        self.seconds += seconds
        self.seed_epochs += sum(max(c.epochs_trained, 1) for c in curves)

    def fit(self, req: _Request, queue: list[_Request]) -> tuple[list[int], list[int]]:
        """The seeds of ``req`` to train now and those left over."""
        rate = self.rate
        if rate is None or not math.isfinite(self.deadline):
            return req.seeds, []
        left = self.deadline - time.perf_counter()
        per_seed = rate * req.spec.epochs
        reserve = sum(r.keep * rate * r.spec.epochs for r in queue) / self.slots
        n = min(len(req.seeds), max(req.keep, int((left - reserve) // per_seed)))
        if n * per_seed > left:  # not even its minimum fits any more
            n = 0
        return req.seeds[:n], req.seeds[n:]


def run_confirmation(
    trials: Mapping[str, TrialSpec],
    seeds: int = 3,
    *,
    on_progress: ProgressCallback | None = None,
    workers: int = 1,
    task: Task | None = None,
    batched: bool | None = None,
    cache: TrialCache | None = None,
    budget: float | None = None,
    min_seeds: int = MIN_SEEDS,
    priority: Sequence[str] = (),
    executor: str = "local",
    ray_address: str | None = None,
    notes: list[str] | None = None,
) -> ConfirmationResult:
    """Train ``task`` under every trial with seeds ``0 … seeds-1``.

    ``task`` is the built-in proxy (a :class:`ProxyTask`, the default) or the user's model
    (an :class:`EntryTask` from :func:`reporter.confirm.load_entry`). ``batched`` (default:
    True for the proxy) trains a setting's seeds all at once. ``cache`` serves and stores
    finished seeds (None: none). ``budget`` caps the wall time in seconds (None: no cap;
    see the module docstring), ``min_seeds`` is what every setting gets first, and
    ``priority`` the order settings are trained in (names first to last; the others after,
    in the order given); the result keeps the order of ``trials``.
    ``executor`` is ``"local"`` (``workers`` processes; 1: this process) or ``"ray"`` (a
    cluster at ``ray_address``, else ``RAY_ADDRESS``, else a local Ray instance).
    ``notes`` receives what the report should say: cuts, cache use, where it ran.

    ``on_progress(done, total, label)`` is called after each seed trained, with ``label``
    like ``"current, seed 2"``; ``total`` counts the seeds to train (cached ones are not,
    and it shrinks when the budget cuts). Every trial runs on one thread, so its numbers do
    not depend on the process it ran in. When a trial raises, or on Ctrl-C, the trials not
    yet started are cancelled, the running ones stopped and the error propagates.
    """
    if seeds < 1:
        raise ValueError(f"run_confirmation needs seeds >= 1, got {seeds!r}")
    if workers < 1:
        raise ValueError(f"run_confirmation needs workers >= 1, got {workers!r}")
    import torch

    task = task or ProxyTask()
    batched = task.kind == "proxy" if batched is None else batched
    notes = notes if notes is not None else []
    start = time.perf_counter()
    lookup = _Lookup(cache, task, batched, torch.__version__)
    curves = lookup.cached(trials, seeds)
    order = [n for n in priority if n in trials] + [n for n in trials if n not in priority]
    queue = _requests({n: trials[n] for n in order}, seeds, curves, min(min_seeds, seeds),
                      batched)
    total = sum(len(r.seeds) for r in queue)
    pool = make_executor(executor if queue else "local",  # nothing to train: no pool
                         workers=min(workers, max(len(queue), 1)), address=ray_address)
    plan = _Budget(start + budget if budget else math.inf, 1)
    progress = _Progress(on_progress, total)
    with pool:
        plan.slots = pool.slots
        run = _Run(pool, plan, lookup, progress, curves, task, batched)
        run.dispatch(queue)
    progress.close()
    notes.extend(_notes(lookup, plan, budget, pool, seeds, trials, curves))
    results = {}
    for name, spec in trials.items():
        runs = tuple(curves[name, s] for s in range(seeds) if (name, s) in curves)
        if runs:
            results[name] = TrialResult(name, spec, runs)
    return ConfirmationResult(
        trials=results,
        seeds=tuple(range(seeds)),
        task=task,
        description=task.describe(max((s.epochs for s in trials.values()), default=None)),
        seconds=time.perf_counter() - start,
        workers=pool.slots,
        torch_version=torch.__version__,
    )


def _requests(trials: Mapping[str, TrialSpec], seeds: int, done: Curves, minimum: int,
              batched: bool) -> list[_Request]:
    """What is left to train, in priority order: each setting's minimum first, then more."""
    first, extra = [], []
    for name, spec in trials.items():
        missing = [s for s in range(seeds) if (name, s) not in done]
        keep = max(0, minimum - (seeds - len(missing)))
        if batched:  # one unit per setting, shrunk to its minimum if the budget says so
            if missing:
                first.append(_Request(name, spec, missing, keep))
            continue
        first += [_Request(name, spec, [s], 1) for s in missing[:keep]]
        extra += [_Request(name, spec, [s], 0) for s in missing[keep:]]
    return first + extra


@dataclass
class _Run:
    """One confirmation's moving parts while its units train."""

    pool: Executor
    plan: _Budget
    lookup: _Lookup
    progress: _Progress
    curves: Curves
    task: Task
    batched: bool

    def dispatch(self, queue: list[_Request]) -> None:
        """Submit units while slots are free, collect them as they finish, until none is left."""
        submitted: dict[int, float] = {}
        while queue or submitted:
            while queue and len(submitted) < self.pool.slots:
                unit = self._next(queue)
                if unit is not None:
                    submitted[id(unit)] = time.perf_counter()
                    self.pool.submit(unit)
            if not submitted:
                break
            unit, got = self.pool.next_done()
            self.plan.record(time.perf_counter() - submitted.pop(id(unit)), got)
            self.curves.update({(c.trial, c.seed): c for c in got})
            self.lookup.store(unit, got)
            self.progress.done(got)

    def _next(self, queue: list[_Request]) -> Unit | None:
        """The next request as a unit, shrunk (or cut) to what the budget leaves."""
        req = queue.pop(0)
        now, later = self.plan.fit(req, queue)
        if later and req.keep and now:  # its extra seeds wait at the end of the queue
            queue.append(_Request(req.name, req.spec, later, 0))
        elif later:
            self.plan.cut.setdefault(req.name, []).extend(later)
            self.progress.cut(len(later))
        return Unit(req.name, req.spec, tuple(now), self.task, self.batched) if now else None


@dataclass
class _Progress:
    callback: ProgressCallback | None
    total: int
    count: int = 0
    cuts: int = 0

    def done(self, curves: list[SeedCurve]) -> None:
        for curve in curves:
            self.count += 1
            if self.callback is not None:
                self.callback(self.count, self.total, f"{curve.trial}, seed {curve.seed}")

    def cut(self, n: int) -> None:
        self.total -= n
        self.cuts += n

    def close(self) -> None:
        """After cuts decided last (no seed trained since), say so once with the final count."""
        if self.callback is not None and self.cuts and self.count:
            self.callback(self.count, self.total, f"time budget reached, {self.cuts} seeds cut")


class Eta:
    """Seconds left, from the pace since the first progress call (None before a second one).

    The first call comes when the first unit finishes, after any calibration and worker
    start-up, so those do not distort the pace; a batched unit reports all its seeds at once.
    """

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self.clock = clock
        self.first: tuple[float, int] | None = None

    def __call__(self, done: int, total: int) -> float | None:
        now = self.clock()
        if self.first is None:
            self.first = (now, done)
        start, first_done = self.first
        if done <= first_done or now <= start:
            return None
        return (now - start) / (done - first_done) * max(total - done, 0)


class _Lookup:
    """The cache, seen from one confirmation: keys, hits and stores."""

    def __init__(self, cache: TrialCache | None, task: Task, batched: bool, torch_version: str):
        self.cache, self.task, self.batched, self.torch = cache, task, batched, torch_version
        self.hits = 0

    def _key(self, spec: TrialSpec, seed: int) -> str:
        assert self.cache is not None
        return self.cache.key(self.task, spec, seed, batched=self.batched,
                              torch_version=self.torch)

    def cached(self, trials: Mapping[str, TrialSpec], seeds: int) -> Curves:
        found: Curves = {}
        if self.cache is None:
            return found
        for name, spec in trials.items():
            for seed in range(seeds):
                curve = self.cache.get(self._key(spec, seed), name)
                if curve is not None:
                    found[name, seed] = curve
        self.hits = len(found)
        return found

    def store(self, unit: Unit, curves: list[SeedCurve]) -> None:
        if self.cache is not None:
            for curve in curves:
                self.cache.put(self._key(unit.spec, curve.seed), curve)


def _notes(lookup: _Lookup, plan: _Budget, budget: float | None, pool: Executor, seeds: int,
           trials: Mapping[str, TrialSpec], curves: Curves) -> list[str]:
    out = []
    if lookup.cache is not None:
        out += [f"cache: {n}" for n in lookup.cache.notes]
        if lookup.hits:
            out.append(f"{lookup.hits} of {len(trials) * seeds} trainings were read from the "
                       "trial cache (--no-cache retrains them)")
    for name, cut in plan.cut.items():
        kept = sum((name, s) in curves for s in range(seeds))
        what = (f"{name} was not trained" if not kept else
                f"{name} trained {kept} of {seeds} seeds (seeds {_ranges(sorted(cut))} cut)")
        out.append(f"time budget ({budget:g} s for these trainings): {what}; raise --budget "
                   "to measure it fully")
    if pool.kind == "ray":
        where = getattr(pool, "address", None) or "a local Ray instance"
        out.append(f"trainings ran as Ray tasks on {where} ({pool.slots} CPUs)")
    return out


def _ranges(values: list[int]) -> str:
    """``[3, 4, 5, 7]`` → ``"3-5, 7"``."""
    parts, start = [], None
    for i, v in enumerate(values):
        if start is None:
            start = v
        if i + 1 == len(values) or values[i + 1] != v + 1:
            parts.append(str(start) if start == v else f"{start}-{v}")
            start = None
    return ", ".join(parts)
