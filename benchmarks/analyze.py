"""Time ``reporter analyze`` on synthetic per-step histories of growing length (issue 8, item 8).

Each size (default 10,000, 100,000 and 1,000,000 steps) is one run written to a temporary
folder: a language-model loss falling as a power law with 3 % multiplicative noise, one 8x
loss spike at 60 % of the run that recovers, a gradient norm and the LR cut ×0.1 at 50 % and
75 % of the run (a step schedule, so the plateau rules are among the candidates the schedule
inference must rule out), every point logged per step and no validation loss (the worst case
of the schedule inference: the plateau rules are replayed on the per-step training loss);
``--val-every K`` adds a validation loss every K steps. ``--log tfevents`` (default) writes a
TensorBoard event file (torch ``SummaryWriter`` layout), ``--log csv`` a W&B CSV export
(``_step,loss,learning_rate,grad_norm[,val_loss]``), whose reader parses row by row in Python.
``reporter analyze --confirm off`` (md, html and json) runs on it in a child process; its wall
time, CPU time (user + system) and peak RSS (``resource.getrusage(RUSAGE_CHILDREN)`` read in
a wrapper process that runs only that child) are printed per size, with the growth exponent:
the least-squares slope of log(CPU time) and of log(RSS) against log(points). CPU time is the
figure to compare on a shared machine, where the wall time includes waiting for a core: the
header and the last line give the load average (runnable processes, 1-minute mean) around the
runs.

Target (issue 8): the 1,000,000-step run in ≤ 10 s and ≤ 1 GB, exponent about 1 or below.

Usage::

    .venv/bin/python benchmarks/analyze.py [--sizes 10000,100000,1000000] [--timeout 600]
                                           [--log tfevents|csv] [--val-every K] [--profile SIZE]

``--profile SIZE`` runs the analysis of one size in this process under cProfile and prints the
25 functions with the most cumulative time instead. The inputs are seeded (the same file for
the same size) and are written under ``$TMPDIR/reporter-bench-analyze``, never the repository.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

CACHE = Path(tempfile.gettempdir()) / "reporter-bench-analyze"
ROOT = Path(__file__).resolve().parents[1]
COLUMNS = ("loss", "learning_rate", "grad_norm", "val_loss")
# runs the analysis in a grandchild and reports that child's peak RSS (KiB on Linux)
_WRAPPER = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
    "t = time.perf_counter() - t\n"
    "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "print(rc, t, u.ru_utime + u.ru_stime, u.ru_maxrss)\n"
)


def history(points: int, val_every: int = 0, seed: int = 8) -> dict[str, np.ndarray]:
    """The synthetic history's columns (NaN where a column is not logged at a step)."""
    rng = np.random.default_rng(seed)
    step = np.arange(points, dtype=np.int64)
    loss = 2.0 + 8.0 * (1.0 + step / max(points / 100, 1)) ** -0.5
    loss *= np.exp(rng.normal(0.0, 0.03, points))
    spike = int(0.6 * points)
    loss[spike:spike + 3] *= 8.0
    lr = np.full(points, 3e-4)
    lr[points // 2:] *= 0.1
    lr[3 * points // 4:] *= 0.1
    grad = 1.0 + 0.2 * rng.random(points)
    cols = {"_step": step, "loss": loss, "learning_rate": lr, "grad_norm": grad}
    if val_every:
        val = np.full(points, np.nan)
        val[val_every - 1::val_every] = loss[val_every - 1::val_every] * 1.05
        cols["val_loss"] = val
    return cols


def write_history(points: int, log: str = "tfevents", val_every: int = 0) -> Path:
    """The run of ``history(points)`` in the cache folder (written once per size and kind)."""
    folder = CACHE / f"{log}_{points}_val{val_every}"
    name = "wandb_export.csv" if log == "csv" else "events.out.tfevents.1700000000.bench.1.0"
    path = folder / name
    if path.exists():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    cols = history(points, val_every)
    names = [c for c in COLUMNS if c in cols]
    tmp = path.with_suffix(".tmp")
    if log == "csv":
        with open(tmp, "w", encoding="utf-8") as out:
            out.write(",".join(["_step", *names]) + "\n")
            for i in range(points):
                cells = ["" if math.isnan(v := float(cols[c][i])) else f"{v:.6g}" for c in names]
                out.write(f"{i}," + ",".join(cells) + "\n")
    else:
        _write_events(tmp, cols, names)
    tmp.rename(path)
    return path


def _write_events(path: Path, cols: dict[str, np.ndarray], names: list[str]) -> None:
    """The torch ``SummaryWriter`` layout with zero CRCs (the pure-Python CRC-32C would take
    minutes for 3 million records; reporter checks CRCs only when asked, ``verify_crc``)."""
    from reporter.ingest._tfwriter import record, scalar_event

    tags = {"loss": "train/loss", "learning_rate": "lr", "grad_norm": "grad_norm",
            "val_loss": "val/loss"}
    values = {c: cols[c].tolist() for c in names}
    with open(path, "wb") as out:
        out.write(record(b"\x09" + struct.pack("<d", 1.7e9) + b"\x1a\x0dbrain.Event:2",
                         crc=_no_crc))
        for i in range(len(cols["_step"])):
            out.write(b"".join(record(scalar_event(1.7e9 + i * 0.01, i, tags[c], values[c][i]),
                                      crc=_no_crc)
                               for c in names if not math.isnan(values[c][i])))


def _no_crc(_data: bytes) -> int:
    return 0


def measure(path: Path, timeout: float, root: Path = ROOT, formats: str = "md,html,json"
            ) -> tuple[float, float, float, int, int] | None:
    """``(wall s, CPU s, peak RSS MiB, report.json bytes, exit code)`` of one analysis by the
    ``reporter`` package under ``root``, or None on timeout."""
    out = Path(tempfile.mkdtemp(prefix="reporter-bench-out-"))
    cmd = [sys.executable, "-c", _WRAPPER, sys.executable, "-m", "reporter", "analyze",
           "--confirm", "off", "--format", formats, "-q", "-o", str(out), str(path)]
    env = {**os.environ, "PYTHONPATH": str(root)}
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env,
                              check=False, cwd=root)
    except subprocess.TimeoutExpired:
        return None
    rc, seconds, cpu, rss_kib = done.stdout.split()
    report = out / "report.json"
    size = report.stat().st_size if report.exists() else 0
    return float(seconds), float(cpu), int(rss_kib) / 1024, size, int(rc)


def slope(sizes: list[int], values: list[float]) -> float:
    """Least-squares slope of log(value) against log(size): the growth exponent."""
    return float(np.polyfit(np.log(sizes), np.log(values), 1)[0])


def profile(points: int, log: str, val_every: int) -> None:
    """Run one analysis under cProfile in this process and print the hot spots."""
    import cProfile
    import pstats

    # import the project from its root, never a benchmarks/ module of the same name
    here = Path(__file__).resolve().parent
    sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != here]
    from reporter.analysis.pipeline import analyze

    path = write_history(points, log, val_every)
    prof = cProfile.Profile()
    prof.enable()
    analysis = analyze(path, confirm="off")
    text = json.dumps(analysis.to_dict(), allow_nan=True, default=str)
    prof.disable()
    print(f"{points} points, report.json about {len(text) / 1e6:.1f} MB")
    pstats.Stats(prof).sort_stats("cumulative").print_stats(25)


def _load() -> str:
    """The 1-minute load average (how many processes wanted a core), or "unknown"."""
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--timeout", type=float, default=600.0,
                        help="seconds per analysis before it counts as not finished")
    parser.add_argument("--log", choices=("tfevents", "csv"), default="tfevents")
    parser.add_argument("--val-every", type=int, default=0, metavar="K",
                        help="log a validation loss every K steps (default: none)")
    parser.add_argument("--root", type=Path, default=ROOT,
                        help="analyse with the reporter package in this folder, e.g. a git "
                             "worktree of an older commit (a before/after table)")
    parser.add_argument("--formats", default="md,html,json",
                        help="the report formats written (an older commit's renderers may "
                             "not run with today's templates: json alone then)")
    parser.add_argument("--profile", type=int, default=None, metavar="SIZE")
    args = parser.parse_args(argv)
    if args.profile:
        profile(args.profile, args.log, args.val_every)
        return 0
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"# reporter analyze --confirm off --format {args.formats} on a {args.log} log"
          + (f" with a validation loss every {args.val_every} steps" if args.val_every else "")
          + f"; reporter from {args.root}; {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, load average {_load()}")
    print(f"{'points':>10} {'wall s':>8} {'CPU s':>8} {'peak RSS MiB':>13} "
          f"{'report.json KB':>15}")
    done: list[tuple[int, float, float, float]] = []
    for n in sizes:
        got = measure(write_history(n, args.log, args.val_every), args.timeout, args.root,
                      args.formats)
        if got is None:
            print(f"{n:>10} {'> ' + format(args.timeout, 'g'):>8}")
            continue
        wall, cpu, rss, size, rc = got
        flag = "" if rc == 0 else f"  (exit code {rc})"
        print(f"{n:>10} {wall:>8.2f} {cpu:>8.2f} {rss:>13.0f} {size / 1024:>15.0f}{flag}")
        done.append((n, wall, cpu, rss))
    if len(done) >= 2:
        ns = [d[0] for d in done]
        print(f"growth exponent (log-log slope): CPU time {slope(ns, [d[2] for d in done]):.2f}, "
              f"wall time {slope(ns, [d[1] for d in done]):.2f}, "
              f"peak RSS {slope(ns, [d[3] for d in done]):.2f}")
    big = [d for d in done if d[0] >= 1_000_000]
    if big:
        n, wall, cpu, rss = big[-1]
        ok = max(wall, cpu) <= 10 and rss <= 1024
        print(f"analyze: {n} points in {wall:.1f} s wall, {cpu:.1f} s CPU, {rss:.0f} MiB peak "
              f"RSS (target ≤ 10 s, ≤ 1024 MiB: {'met' if ok else 'not met'}; load average "
              f"{_load()} on {os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
