"""Time the proxy's seeds trained one at a time against all seeds of a setting at once.

One setting (Adam at the given LR, ReduceLROnPlateau, clip_grad_norm_ 1.0) of the built-in
proxy (default size) is trained for every seed: first one seed after another with
``reporter.confirm.proxy.train_trial`` (the one-seed path, an ``nn.LSTM`` per seed), then all
seeds at once with ``reporter.confirm.batched.train_seeds``. Both run on one CPU thread in
this process. The table gives both wall times and CPU times (the CPU time is less disturbed
by other processes on a shared machine) with their ratios (one at a time = 1.00x), and the
largest difference between the two paths' validation curves, which should be float rounding.

Run: ``.venv/bin/python benchmarks/confirm.py [--seeds 8] [--epochs 3] [--lr 0.01]``
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

# keep this folder off the import path (its file names shadow nothing today, but stay safe)
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import numpy as np  # noqa: E402
import torch  # noqa: E402

from replay import ReduceLROnPlateau  # noqa: E402
from reporter.confirm import ProxyTask, TrialSpec  # noqa: E402
from reporter.confirm.batched import train_seeds  # noqa: E402
from reporter.confirm.proxy import train_trial  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=0.01)
    args = parser.parse_args()
    task = ProxyTask()
    spec = TrialSpec(args.lr, ReduceLROnPlateau(patience=1, factor=0.5), None, 1.0,
                     epochs=args.epochs)
    seeds = list(range(args.seeds))

    start, cpu = time.perf_counter(), time.process_time()
    serial = [train_trial(spec, seed, task=task) for seed in seeds]
    t_serial, c_serial = time.perf_counter() - start, time.process_time() - cpu
    start, cpu = time.perf_counter(), time.process_time()
    batched = train_seeds(spec, seeds, task=task)
    t_batched, c_batched = time.perf_counter() - start, time.process_time() - cpu

    pairs = list(zip(serial, batched, strict=True))
    diff = max(float(np.max(np.abs(a.val_loss - b.val_loss))) for a, b in pairs)
    same_lr = all(np.array_equal(a.lr, b.lr) for a, b in pairs)
    print(f"proxy {task.hidden_size}-unit LSTM, {task.n_train} windows, batch "
          f"{task.batch_size}; {len(seeds)} seeds x {args.epochs} epochs, one thread; "
          f"torch {torch.__version__}, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs (load average {os.getloadavg()[0]:.1f})")
    print(f"{'path':<24}{'wall s':>9}{'ratio':>9}{'CPU s':>9}{'ratio':>9}")
    print(f"{'one seed at a time':<24}{t_serial:>9.2f}{1.0:>8.2f}x{c_serial:>9.2f}{1.0:>8.2f}x")
    print(f"{'all seeds at once':<24}{t_batched:>9.2f}{t_serial / t_batched:>8.2f}x"
          f"{c_batched:>9.2f}{c_serial / c_batched:>8.2f}x")
    print(f"largest |val loss difference| between the paths: {diff:.2e}; "
          f"LR curves identical: {same_lr}")


if __name__ == "__main__":
    main()
