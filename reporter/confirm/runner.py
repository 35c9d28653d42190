"""Run every trial × seed of a confirmation, in this process or in worker processes."""

from __future__ import annotations

import contextlib
import signal
import time
from collections.abc import Callable, Iterator, Mapping

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
    in. When a trial raises, or on Ctrl-C, the trials not yet started are cancelled, the
    running ones are stopped (their worker processes ended) and the error propagates; the
    workers ignore SIGINT themselves, so a Ctrl-C prints no traceback from them.
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
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=context,
                             initializer=_ignore_interrupts) as pool:
        try:
            with _interrupts_blocked():  # the workers start (on submit) with SIGINT blocked
                futures = {
                    pool.submit(_run_one, name, spec, seed, task): (name, seed)
                    for name, spec, seed in jobs
                }
            for done, future in enumerate(as_completed(futures), start=1):
                name, seed = futures[future]
                curves[name, seed] = future.result()
                if on_progress is not None:
                    on_progress(done, len(jobs), _label(name, seed))
        except BaseException:  # a Ctrl-C or a failed trial: stop every trial now
            _stop(pool)
            raise
    return curves


# A Ctrl-C in a terminal sends SIGINT to the whole process group, workers included. The parent
# alone handles it (it stops the workers); a worker that got it too would print a
# KeyboardInterrupt traceback, even while still importing torch. So the parent blocks SIGINT
# while it starts them (a spawned child inherits the blocked mask, as multiprocessing's own
# resource tracker does it), and each worker then ignores SIGINT for good.


@contextlib.contextmanager
def _interrupts_blocked() -> Iterator[None]:
    """Block SIGINT in this thread for the block; one that arrives meanwhile comes after it."""
    if not hasattr(signal, "pthread_sigmask"):  # Windows: no signal masks
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _ignore_interrupts() -> None:
    """Worker initializer: ignore SIGINT (dropping one pending), then unblock it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _stop(pool) -> None:
    """Cancel the queued trials and end the running ones, without waiting for them."""
    # ProcessPoolExecutor has no public way to end its workers before Python 3.14
    # (terminate_workers); shutdown() forgets them, so take the list first.
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
