"""Run every trial × seed of a confirmation, in this process or in worker processes."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from reporter.confirm.spec import (
    ConfirmationResult,
    ProxyTask,
    SeedCurve,
    Task,
    TrialResult,
    TrialSpec,
)

ProgressCallback = Callable[[int, int, str], None]


def _run_one(name: str, spec: TrialSpec, seed: int, task: Task) -> SeedCurve:
    return task.train(spec, seed, name=name)  # torch is imported here, not before


def run_confirmation(
    trials: Mapping[str, TrialSpec],
    seeds: int = 3,
    *,
    on_progress: ProgressCallback | None = None,
    workers: int = 1,
    task: Task | None = None,
) -> ConfirmationResult:
    """Train ``task`` under every trial with seeds ``0 … seeds-1``.

    ``task`` is the built-in proxy (a :class:`ProxyTask`, the default) or the user's model
    (an :class:`EntryTask` from :func:`reporter.confirm.load_entry`).

    ``on_progress(done, total, label)`` is called after each trial × seed finishes, with
    ``label`` like ``"current, seed 2"``. ``workers`` > 1 runs them in that many ``spawn``ed
    processes (each imports torch once, about a second, and re-loads an entry point from its
    text); every trial runs on one thread and its numbers do not depend on the process it ran
    in. When a trial raises, the trials not yet started are cancelled and the error propagates.
    As with any ``spawn`` pool, a script that calls this with ``workers`` > 1 must guard its
    top level with ``if __name__ == "__main__":``.
    """
    if seeds < 1:
        raise ValueError(f"run_confirmation needs seeds >= 1, got {seeds!r}")
    if workers < 1:
        raise ValueError(f"run_confirmation needs workers >= 1, got {workers!r}")
    task = task or ProxyTask()
    jobs = [(name, spec, seed) for name, spec in trials.items() for seed in range(seeds)]
    start = time.perf_counter()
    if workers == 1 or len(jobs) <= 1:
        curves = _run_serial(jobs, task, on_progress)
        workers = 1
    else:
        curves = _run_parallel(jobs, task, on_progress, workers)
    results = {
        name: TrialResult(name, spec, tuple(curves[name, seed] for seed in range(seeds)))
        for name, spec in trials.items()
    }
    import torch  # already loaded by the trials

    return ConfirmationResult(
        trials=results,
        seeds=tuple(range(seeds)),
        task=task,
        description=task.describe(max((s.epochs for s in trials.values()), default=None)),
        seconds=time.perf_counter() - start,
        workers=workers,
        torch_version=torch.__version__,
    )


def _label(name: str, seed: int) -> str:
    return f"{name}, seed {seed}"


def _run_serial(jobs, task, on_progress) -> dict[tuple[str, int], SeedCurve]:
    curves = {}
    for done, (name, spec, seed) in enumerate(jobs, start=1):
        curves[name, seed] = _run_one(name, spec, seed, task)
        if on_progress is not None:
            on_progress(done, len(jobs), _label(name, seed))
    return curves


def _run_parallel(jobs, task, on_progress, workers) -> dict[tuple[str, int], SeedCurve]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # spawn, not fork: forking a process whose torch thread pools are running can hang.
    context = multiprocessing.get_context("spawn")
    curves = {}
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=context) as pool:
        futures = {
            pool.submit(_run_one, name, spec, seed, task): (name, seed) for name, spec, seed in jobs
        }
        try:
            for done, future in enumerate(as_completed(futures), start=1):
                name, seed = futures[future]
                curves[name, seed] = future.result()
                if on_progress is not None:
                    on_progress(done, len(jobs), _label(name, seed))
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)  # do not wait for the queued trials
            raise
    return curves
