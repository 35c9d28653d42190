"""Time ``replay.lr_trajectory`` against stepping torch's own scheduler objects.

Each scenario replays 1,000,000 scheduler steps over the same metric series in one process:
torch's scheduler is stepped the canonical way (``scheduler.step()`` / ``step(metric)``,
reading ``param_groups[0]["lr"]`` each step) and our replay computes the whole array. The
best of several repeats is kept; the table puts torch at 1.00x and checks that every LR is
bit-identical.

Run: ``.venv/bin/python benchmarks/replay_speed.py [--steps N] [--repeats R]``
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import warnings
from functools import partial
from pathlib import Path

# This file is named like the package it times: keep its folder off the import path.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import numpy as np  # noqa: E402
import torch  # noqa: E402

from replay import (  # noqa: E402
    CosineAnnealingLR,
    HFScheduler,
    LinearLR,
    ReduceLROnPlateau,
    SequentialLR,
    lr_trajectory,
)


def _loss_series(steps: int, seed: int = 0) -> np.ndarray:
    """A noisy training loss: exponential decay to a floor, Gaussian noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(steps)
    return 0.3 + 2.0 * np.exp(-t / (steps * 0.15)) + 0.02 * rng.standard_normal(steps)


def _torch_scheduler(spec, opt):
    if isinstance(spec, ReduceLROnPlateau):
        return torch.optim.lr_scheduler.ReduceLROnPlateau(
            opt, mode=spec.mode, factor=spec.factor, patience=spec.patience,
            threshold=spec.threshold, threshold_mode=spec.threshold_mode,
            cooldown=spec.cooldown, min_lr=spec.min_lr, eps=spec.eps,
        )  # fmt: skip
    if isinstance(spec, HFScheduler):  # what transformers.get_scheduler builds
        return torch.optim.lr_scheduler.LambdaLR(opt, spec.lr_lambda(opt.defaults["lr"]))
    warm, cos = spec.schedulers
    return torch.optim.lr_scheduler.SequentialLR(
        opt,
        [
            torch.optim.lr_scheduler.LinearLR(
                opt, start_factor=warm.start_factor, total_iters=warm.total_iters
            ),
            torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cos.T_max, eta_min=cos.eta_min),
        ],
        milestones=list(spec.milestones),
    )


def _run_torch(spec, base_lr: float, steps: int, metrics: list[float] | None) -> list[float]:
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=base_lr)
    sched = _torch_scheduler(spec, opt)
    group = opt.param_groups[0]
    out = []
    append = out.append
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # step() without optimizer.step(): warns once
        if metrics is None:
            for _ in range(steps):
                append(group["lr"])
                sched.step()
        else:
            for k in range(steps):
                append(group["lr"])
                sched.step(metrics[k])
    return out


def _best_of(repeats: int, fn):
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3, help="torch repeats (ours: 3x more)")
    args = parser.parse_args(argv)
    n = args.steps
    loss = _loss_series(n)
    loss_list = loss.tolist()
    warm = max(n // 100, 1)
    scenarios = [
        ("ReduceLROnPlateau(patience=1000, factor=0.5)",
         ReduceLROnPlateau(patience=1000, factor=0.5), 0.1, loss),
        ("ReduceLROnPlateau() defaults", ReduceLROnPlateau(), 0.1, loss),
        (f"warm-up {warm} + cosine (SequentialLR)",
         SequentialLR((LinearLR(start_factor=0.01, total_iters=warm),
                       CosineAnnealingLR(T_max=n - warm)), milestones=(warm,)), 3e-4, None),
        (f"HF cosine, {warm} warm-up steps (LambdaLR)",
         HFScheduler("cosine", warm, n), 3e-4, None),
    ]  # fmt: skip

    print(f"# replay benchmark: {n:,} scheduler steps, best of {args.repeats} (torch) runs")
    print(
        f"# {platform.machine()} {platform.processor() or 'cpu'}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, numpy {np.__version__}, torch {torch.__version__}"
    )
    print(f"{'scenario':<46} {'engine':<8} {'seconds':>9} {'ratio':>9}  bit-identical")
    worst = float("inf")
    for name, spec, base_lr, metrics in scenarios:
        m_list = None if metrics is None else loss_list
        t_torch, theirs = _best_of(args.repeats, partial(_run_torch, spec, base_lr, n, m_list))
        t_ours, traj = _best_of(3 * args.repeats, partial(lr_trajectory, spec, base_lr, n, metrics))
        ours = traj.lr
        identical = bool(np.array_equal(ours, np.array(theirs)))
        events = len(traj.events)
        print(f"{name:<46} {'torch':<8} {t_torch:9.4f} {1.0:8.2f}x")
        print(
            f"{'':<46} {'replay':<8} {t_ours:9.4f} {t_torch / t_ours:8.1f}x  "
            f"{'yes' if identical else 'NO'} ({events} events)"
        )
        worst = min(worst, t_torch / t_ours if identical else 0.0)
    print(f"# slowest ratio {worst:.1f}x (target >= 50x)")
    # Adversarial for the run-based plateau replay: a steady drift that beats the relative
    # threshold every ~20 steps, so runs stay short and much of it is stepped one by one.
    drift = np.linspace(1.0, 0.0, n)
    spec = ReduceLROnPlateau(patience=2)
    t_torch, theirs = _best_of(1, partial(_run_torch, spec, 0.1, n, drift.tolist()))
    t_ours, traj = _best_of(3, partial(lr_trajectory, spec, 0.1, n, drift))
    same = bool(np.array_equal(traj.lr, np.array(theirs)))
    print(
        f"# adversarial (not in the target): slow drift, ReduceLROnPlateau(patience=2): "
        f"torch {t_torch:.3f}s, replay {t_ours:.3f}s, {t_torch / t_ours:.1f}x, "
        f"bit-identical {'yes' if same else 'NO'}"
    )
    return 0 if worst > 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
