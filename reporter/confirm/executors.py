"""Where confirmation trainings run: this process, local worker processes, or a Ray cluster.

The runner hands an executor :class:`Unit` s (one setting, some seeds) one at a time with
:meth:`submit` and collects them with :meth:`next_done`, which blocks until one finishes and
returns it with its curves (or raises the unit's error). ``slots`` is how many units run at
once. Every unit runs :func:`run_unit`, whatever the executor, on one CPU thread, so a seed's
numbers do not depend on where it ran. Leaving the ``with`` block after an error or a Ctrl-C
stops what is still running.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from reporter.confirm.spec import ProxyTask, SeedCurve, Task, TrialSpec
from reporter.errors import MissingDependencyError, UsageError

EXECUTORS = ("local", "ray")


@dataclass(frozen=True)
class Unit:
    """One setting's seeds, trained together (``batched``) or one after another."""

    name: str
    spec: TrialSpec
    seeds: tuple[int, ...]
    task: Task
    batched: bool


class Executor(Protocol):
    """What the runner needs of an executor (a context manager)."""

    slots: int
    kind: str

    def __enter__(self) -> Any: ...
    def __exit__(self, exc_type: object, *exc: object) -> None: ...
    def submit(self, unit: Unit) -> None: ...
    def next_done(self) -> tuple[Unit, list[SeedCurve]]: ...


def run_unit(unit: Unit) -> list[SeedCurve]:
    """Train ``unit`` (imports torch): all its seeds at once when batched, else in turn."""
    if unit.batched and isinstance(unit.task, ProxyTask):
        from reporter.confirm.batched import Unbatchable, train_seeds

        with contextlib.suppress(Unbatchable):  # a proxy it cannot stack: one seed at a time
            return train_seeds(unit.spec, unit.seeds, task=unit.task, name=unit.name)
    return [unit.task.train(unit.spec, seed, name=unit.name) for seed in unit.seeds]


class InlineExecutor:
    """Runs each unit in this process when it is collected."""

    slots = 1
    kind = "local"

    def __init__(self) -> None:
        self._queue: list[Unit] = []

    def __enter__(self) -> InlineExecutor:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self._queue.clear()

    def submit(self, unit: Unit) -> None:
        self._queue.append(unit)

    def next_done(self) -> tuple[Unit, list[SeedCurve]]:
        unit = self._queue.pop(0)
        return unit, run_unit(unit)


class ProcessExecutor:
    """Runs units in ``workers`` spawned processes (each imports torch once, about a second).

    As with any ``spawn`` pool, a script that uses it must guard its top level with
    ``if __name__ == "__main__":``. The workers ignore SIGINT: a Ctrl-C reaches the parent
    alone, which ends them, so none prints a traceback.
    """

    kind = "local"

    def __init__(self, workers: int) -> None:
        self.slots = workers
        self._pool: Any = None
        self._running: dict[Any, Unit] = {}

    def __enter__(self) -> ProcessExecutor:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # spawn, not fork: forking a process whose torch thread pools are running can hang.
        self._pool = ProcessPoolExecutor(max_workers=self.slots,
                                         mp_context=multiprocessing.get_context("spawn"),
                                         initializer=_ignore_interrupts)
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is None:
            self._pool.shutdown(wait=True)
        else:  # a Ctrl-C or a failed trial: stop every trial now
            _stop(self._pool)

    def submit(self, unit: Unit) -> None:
        with _interrupts_blocked():  # a worker starts (on submit) with SIGINT blocked
            self._running[self._pool.submit(run_unit, unit)] = unit

    def next_done(self) -> tuple[Unit, list[SeedCurve]]:
        from concurrent.futures import FIRST_COMPLETED, wait

        done, _ = wait(list(self._running), return_when=FIRST_COMPLETED)
        future = next(iter(done))
        unit = self._running.pop(future)
        return unit, future.result()


class RayExecutor:
    """Runs each unit as a Ray task (one CPU each) on a cluster or a local Ray instance.

    ``address`` is passed to ``ray.init`` (``--ray-address``, else ``RAY_ADDRESS``, else a
    new local instance). The cluster's workers must be able to import ``reporter`` (and,
    for an entry point, read its file at the same path). ``slots`` is the cluster's CPU count.
    """

    kind = "ray"

    def __init__(self, address: str | None = None) -> None:
        self.address = address or os.environ.get("RAY_ADDRESS") or None
        self.slots = 1
        self._running: dict[Any, Unit] = {}
        self._started = False

    def __enter__(self) -> RayExecutor:
        ray = _import_ray()
        if not ray.is_initialized():
            ray.init(address=self.address, include_dashboard=False, log_to_driver=False)
            self._started = True
        self.slots = max(1, int(ray.cluster_resources().get("CPU", 1)))
        self._remote = ray.remote(num_cpus=1)(run_unit)
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        ray = _import_ray()
        if exc_type is not None:
            for ref in self._running:
                ray.cancel(ref, force=True)
        if self._started:
            ray.shutdown()

    def submit(self, unit: Unit) -> None:
        self._running[self._remote.remote(unit)] = unit

    def next_done(self) -> tuple[Unit, list[SeedCurve]]:
        ray = _import_ray()
        (ref,), _ = ray.wait(list(self._running), num_returns=1)
        unit = self._running.pop(ref)
        try:
            return unit, ray.get(ref)
        except ray.exceptions.RayTaskError as error:  # the trial's own exception, unwrapped
            raise error.as_instanceof_cause() from None


def make_executor(kind: str = "local", *, workers: int = 1,
                  address: str | None = None) -> Executor:
    """The executor named by ``--executor``: ``local`` (``workers`` processes) or ``ray``."""
    if kind == "ray":
        return RayExecutor(address)
    if kind != "local":
        raise UsageError(f"--executor must be one of {', '.join(EXECUTORS)}, got {kind!r}")
    return InlineExecutor() if workers <= 1 else ProcessExecutor(workers)


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise MissingDependencyError("ray", "--executor ray", extra="ray") from None
    return ray


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


def _stop(pool: Any) -> None:
    """Cancel the queued trials and end the running ones, without waiting for them."""
    # ProcessPoolExecutor has no public way to end its workers before Python 3.14
    # (terminate_workers); shutdown() forgets them, so take the list first.
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
