"""Time our readers against the usual baseline in one process, print ratios (issue 4).

1. TensorBoard: a 1,000,000-point event file (4 tags x 250,000 steps, the torch
   ``SummaryWriter`` layout) read by tbparse 0.0.9 (the baseline, 1.00x) and by
   ``reporter.ingest.read_run``; both must return the same values. Target: ours >= 20x.
2. Text logs, Hugging Face style (a tqdm bar rewritten with ``\\r`` every step, a dict line
   every 50 steps), nanoGPT style (an ``iter N: loss X`` line every step, the densest case)
   and mlx-lm style (``Iter N: Train loss X, Learning Rate …`` with seven numbers a line, read
   through the line templates mined from the file): ``read_run`` in a child process whose
   time and peak RSS are printed, first on a ``--baseline-mb`` log with the line-by-line
   reader (``REPORTER_TEXT_SLOW=1``, the baseline, 1.00x) then the bulk reader, then the bulk
   reader on the ``--text-mb`` / ``--dense-mb`` / ``--template-mb`` log. Targets (HF and
   nanoGPT): >= 100 MB/s, peak RSS <= 300 MB at 1 GB. The log is read once before the
   timing, so the page cache holds it: the reader is timed, not the disk. The ratio column
   also gives the CPU-time ratio (``cpu``), less sensitive to other load on the machine.

Run it where tbparse is installed (it is not a runtime dependency; without it the TensorBoard
table has no baseline), e.g. in a folder of its own, outside the project's environment::

    .venv/bin/pip install --target "${TMPDIR:-/tmp}/tbparse" --no-deps tbparse==0.0.9 \\
        tensorboard protobuf six absl-py   # the baseline, not a dependency of ours
    PYTHONPATH="${TMPDIR:-/tmp}/tbparse" .venv/bin/python benchmarks/ingest.py \\
        [--points N] [--text-mb N] [--dense-mb N] [--template-mb N] [--baseline-mb N]

Inputs are generated once into ``$TMPDIR/reporter-bench`` (never into the repository).
Timings are the min of ``--repeat`` runs for ours and one run of tbparse (about 30 s).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CACHE = Path(tempfile.gettempdir()) / "reporter-bench"
TAGS = ("bench/loss_a", "bench/loss_b", "bench/lr", "bench/grad")


def make_event_file(points: int) -> Path:
    """The torch SummaryWriter layout, byte for byte (file_version record first)."""
    folder = CACHE / f"tb_{points}"
    path = folder / "events.out.tfevents.1700000000.bench.1.0"
    if path.exists():
        return folder
    from reporter.ingest._tfwriter import write_scalars

    folder.mkdir(parents=True, exist_ok=True)
    steps = points // len(TAGS)
    write_scalars(path.with_suffix(".tmp"), ((1.7e9 + step * 0.01, step, tag, 1.0 / (step + 1 + k))
                                             for step in range(steps)
                                             for k, tag in enumerate(TAGS)))
    path.with_suffix(".tmp").rename(path)
    return folder


def make_text_log(megabytes: int, kind: str) -> Path:
    """A console log of about ``megabytes`` MB.

    ``hf``: transformers v4 stdout as a terminal captures it: a tqdm bar refreshed every step
    (``\\r`` fragments), a dict line every 50 steps, an eval dict every 1000 steps.
    ``nanogpt``: only ``iter N: loss X`` lines, one point per 45 bytes (the densest case).
    ``mlx``: mlx-lm LoRA lines (``mlx_lm/tuner/trainer.py``'s train report every 10
    iterations, a validation line every 200), read through mined templates.
    """
    path = CACHE / f"{kind}_{megabytes}mb.log"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    target = megabytes * 1_000_000
    with open(path.with_suffix(".tmp"), "w") as out:
        written, step = 0, 0
        while written < target:
            chunk = "".join(_text_lines(kind, step, 10_000))
            step += 10_000
            out.write(chunk)
            written += len(chunk)
    path.with_suffix(".tmp").rename(path)
    return path


def _text_lines(kind: str, first: int, count: int):
    total = 10_000_000
    for step in range(first, first + count):
        loss = 3.0 / (1 + step / 1e5)
        if kind == "mlx":
            yield (f"Iter {10 * step}: Train loss {loss:.3f}, Learning Rate {1e-5:.3e}, "
                   f"It/sec {1 + step % 7 / 10:.3f}, Tokens/sec {700 + step % 13:.3f}, "
                   f"Trained Tokens {1000 * step}, Peak mem {7.5 + step % 3 / 10:.3f} GB\n")
            if step % 20 == 0:
                yield f"Iter {10 * step}: Val loss {1.05 * loss:.3f}, Val took {2.5:.3f}s\n"
            continue
        if kind == "nanogpt":
            yield f"iter {step}: loss {loss:.4f}, time 45.67ms, mfu 12.34%\n"
            if step % 2000 == 0:
                yield f"step {step}: train loss {loss:.4f}, val loss {1.05 * loss:.4f}\n"
            continue
        pct = step * 100 // total
        yield (f"\r {pct:3d}%|{'#' * (pct // 10):<10}| {step}/{total} [1:02:03<12:34:56, "
               f" 12.34it/s]")
        if step % 50 == 0:
            yield (f"\n{{'loss': {loss:.4f}, 'grad_norm': {1 + step % 7 / 10:.4f}, "
                   f"'learning_rate': {5e-5 * (1 - step / total):.4e}, "
                   f"'epoch': {step / 1e5:.2f}}}\n")
        if step % 1000 == 0:
            yield (f"\n{{'eval_loss': {1.05 * loss:.4f}, 'eval_runtime': 12.3456, "
                   f"'eval_samples_per_second': 81.0, 'epoch': {step / 1e5:.2f}}}\n")


def _versions() -> str:
    import numpy
    import pandas

    parts = [f"python {platform.python_version()}", f"numpy {numpy.__version__}",
             f"pandas {pandas.__version__}"]
    for name in ("tbparse", "tensorboard", "google_crc32c"):
        try:
            module = __import__(name)
            parts.append(f"{name} {getattr(module, '__version__', '?')}")
        except ImportError:
            parts.append(f"{name} absent")
    return ", ".join(parts)


def _ours(folder: Path):
    from reporter.ingest import read_run

    return read_run(folder).scalars


def _tbparse(folder: Path):
    from tbparse import SummaryReader

    return SummaryReader(str(folder)).scalars


def _timed(fn, repeat: int):
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def _same_values(ours, theirs) -> bool:
    import numpy as np

    a = ours.sort_values(["metric", "step"])
    b = theirs.sort_values(["tag", "step"])
    return (len(a) == len(b) and a["metric"].tolist() == b["tag"].tolist()
            and np.array_equal(a["step"].to_numpy(dtype=np.int64), b["step"].to_numpy())
            and np.array_equal(a["value"].to_numpy(), b["value"].to_numpy(dtype=np.float64)))


def bench_tensorboard(points: int, repeat: int, with_tbparse: bool) -> None:
    folder = make_event_file(points)
    size = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
    print(f"\n## TensorBoard: {points:,} scalars, {size:.1f} MB, one file")
    rows = []
    theirs = None
    if with_tbparse:
        seconds, theirs = _timed(lambda: _tbparse(folder), 1)
        rows.append(("tbparse SummaryReader(dir).scalars", seconds, len(theirs)))
    seconds, ours = _timed(lambda: _ours(folder), repeat)
    rows.append(("reporter read_run(dir)", seconds, len(ours)))
    base = rows[0][1]
    print("| reader | time (s) | points | points/s | ratio |\n|---|---|---|---|---|")
    for name, secs, count in rows:
        print(f"| {name} | {secs:.2f} | {count:,} | {count / secs:,.0f} | {base / secs:.2f}x |")
    if theirs is not None:
        print(f"same values as tbparse: {_same_values(ours, theirs)}")


# VmHWM, not ru_maxrss: ru_maxrss survives exec, so a child would report its parent's peak
_CHILD = ("import re, sys, time\n"
          "def hwm():\n"
          "    text = open('/proc/self/status').read()\n"
          "    return int(re.search(r'VmHWM:\\s+(\\d+)', text)[1])\n"
          "import pandas, numpy\n"
          "from reporter.ingest import read_run\n"
          "read_run(sys.argv[2])  # the readers' imports, not timed\n"
          "with open(sys.argv[1], 'rb') as f:  # the page cache: time the reader, not the disk\n"
          "    while f.read(1 << 24):\n"
          "        pass\n"
          "base = hwm()\n"
          "t, c = time.perf_counter(), time.process_time(); run = read_run(sys.argv[1])\n"
          "t, c = time.perf_counter() - t, time.process_time() - c\n"
          "print(len(run.scalars), t, c, base / 1024, hwm() / 1024)\n")


def _read_text(path: Path, slow: bool) -> tuple[int, float, float, float, float]:
    """(points, seconds, CPU seconds, RSS after imports, peak RSS) of ``read_run(path)`` in
    a child."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("REPORTER_TEXT_SLOW", None)
    if slow:
        env["REPORTER_TEXT_SLOW"] = "1"
    warmup = CACHE / "warmup.log"
    warmup.write_text("".join(f"iter {i}: loss 1.0\n" for i in range(100)))
    out = subprocess.run([sys.executable, "-c", _CHILD, str(path), str(warmup)],
                         capture_output=True, text=True, check=True, env=env)
    count, secs, cpu, base, peak = out.stdout.split()
    return int(count), float(secs), float(cpu), float(base), float(peak)


def bench_text(sizes: dict[str, int], baseline_mb: int) -> None:
    """Each style: ours on the big log, and both paths on a ``baseline_mb`` log one after the
    other (the ratio: the machine's load changes less within a pair)."""
    print(f"\n## Text logs: bulk reader vs the line-by-line reader (REPORTER_TEXT_SLOW=1) on "
          f"{baseline_mb} MB, then the bulk reader alone on the big log. Target (hf, nanogpt): "
          ">= 100 MB/s, peak RSS <= 300 MB at 1 GB")
    print("| style | log (MB) | reader | time (s) | points | MB/s | ratio (cpu) | "
          "peak RSS (MB) | RSS after imports (MB) |\n|---|---|---|---|---|---|---|---|---|")
    for kind, megabytes in sizes.items():
        small = make_text_log(baseline_mb, kind)
        runs = [("line by line", small, _read_text(small, slow=True)),
                ("bulk", small, _read_text(small, slow=False))]
        if megabytes != baseline_mb:
            big = make_text_log(megabytes, kind)
            runs.append(("bulk", big, _read_text(big, slow=False)))
        base_rate = base_cpu = None
        for name, path, (count, secs, cpu, base, peak) in runs:
            size = path.stat().st_size / 1e6
            rate, cpu_rate = size / secs, size / cpu
            base_rate, base_cpu = base_rate or rate, base_cpu or cpu_rate
            print(f"| {kind} | {size:,.0f} | {name} | {secs:.1f} | {count:,} | {rate:,.1f} | "
                  f"{rate / base_rate:.1f}x ({cpu_rate / base_cpu:.1f}x) | {peak:.0f} | "
                  f"{base:.0f} |")


ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--text-mb", type=int, default=1000)
    parser.add_argument("--dense-mb", type=int, default=1000,
                        help="size of the dense nanoGPT log (one point per line)")
    parser.add_argument("--template-mb", type=int, default=200,
                        help="size of the mlx-lm log read through mined templates")
    parser.add_argument("--baseline-mb", type=int, default=50,
                        help="size of the logs read by both text paths (the ratio)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-tbparse", action="store_true")
    parser.add_argument("--skip-text", action="store_true")
    parser.add_argument("--skip-tensorboard", action="store_true")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    print(f"# benchmarks/ingest.py: {platform.machine()}, {os.cpu_count()} CPUs, "
          f"{platform.system()} {platform.release()}")
    print(f"# {_versions()}")
    print(f"# max RSS of this process so far: "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    if not args.skip_tensorboard:
        with_tbparse = not args.skip_tbparse and importlib.util.find_spec("tbparse") is not None
        if not with_tbparse and not args.skip_tbparse:
            print("# tbparse is not installed: no TensorBoard baseline (see the install line "
                  "at the top of this file)")
        bench_tensorboard(args.points, args.repeat, with_tbparse)
    if not args.skip_text:
        bench_text({"hf": args.text_mb, "nanogpt": args.dense_mb, "mlx": args.template_mb},
                   args.baseline_mb)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
