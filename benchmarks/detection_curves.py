"""Synthetic training curves with the shapes of real runs, for ``benchmarks/detection.py``.

Seven families, each logged per epoch or per step as its framework would log it:

- ``lm_pretrain``: a power law ``E + (ln V - E)(1 + P/τ)^-α`` in the cumulative LR ``P``
  (warm-up + cosine, or warm-up-stable-decay), large-batch noise, grad norm, a sparse val loss;
  nanoGPT (no epoch) or HF (epoch as progress) layout.
- ``finetune``: HF Trainer, loss averaged over the logging window and rounded to 4 decimals,
  warm-up + linear decay, a step down at each new epoch (memorisation); classification
  (starts near ``ln C``), SFT, or a train loss that reaches the 4-decimal floor (r01);
  one ``eval_loss`` or several ``eval_<set>_loss``.
- ``ce_cls``: cross-entropy over C classes (chance ``ln C``): Keras per epoch, or Lightning per
  logged step (single-batch loss, heavy tails) with an epoch column; step drops, cosine,
  warm restarts (healthy bumps at each restart) or plateau drops.
- ``mse_reg``: MSE with the target variance as the constant-prediction level, sometimes at its
  noise floor from a third of the run on (a healthy long flat tail).
- ``gan``: generator and discriminator losses (``G_loss``/``D_loss`` and other spellings), no
  trend to speak of, oscillating.
- ``pinn``: a physics-informed loss falling 2-6 decades, piecewise in log space, with its
  component losses.
- ``yolo``: Ultralytics box/cls/dfl losses per epoch, summed into ``train/loss`` and
  ``val/loss`` as the reader does, warm-up and the close-mosaic drop in the last 10 epochs.

``detection_anomalies.make_case`` draws a base and injects one anomaly into it. Everything is
drawn from the generator each function is given, so a seed fixes the whole set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

FAMILIES = ("lm_pretrain", "finetune", "ce_cls", "mse_reg", "gan", "pinn", "yolo")
EVAL_SETS = ("wiki", "code", "math", "chat", "news")


@dataclass
class Curves:
    """One synthetic run before it becomes a ``Run``.

    ``steps`` holds the step of each logged grid point, ``epochs`` its epoch (a 0-based index,
    or progress when ``epoch_kind`` is ``"progress"``; None when the log has no epoch).
    ``metrics`` maps a canonical metric name to (grid positions, values). ``main`` is the loss
    anomalies go into; ``sums`` maps a summed loss to its parts (recomputed by ``finish``).
    ``level`` is the constant-prediction loss (chance ``ln C``, the target variance, the unigram
    entropy) where the family has one.
    """

    family: str
    variant: str
    steps: np.ndarray
    epochs: np.ndarray | None
    epoch_kind: str
    step_kind: str
    metrics: dict[str, tuple[np.ndarray, np.ndarray]]
    main: str
    evals: tuple[str, ...] = ()
    sums: dict[str, tuple[str, ...]] = field(default_factory=dict)
    level: float | None = None
    noise: float = 0.02
    rounding: int | None = None
    meta: dict = field(default_factory=dict)
    #: the noiseless curve of each loss anomalies may go into (the level they are sized on)
    clean: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.steps)

    def values(self, metric: str) -> np.ndarray:
        return self.metrics[metric][1]

    def set(self, metric: str, values: np.ndarray) -> None:
        self.metrics[metric] = (self.metrics[metric][0], values)

    def finish(self) -> Curves:
        """Recompute the summed losses from their parts and round where the logger rounds."""
        for total, parts in self.sums.items():
            pos = self.metrics[parts[0]][0]
            self.metrics[total] = (pos, np.sum([self.values(p) for p in parts], axis=0))
        if self.rounding is not None:
            for name, (pos, y) in self.metrics.items():
                if "loss" in name:
                    self.metrics[name] = (pos, np.round(y, self.rounding))
        return self


# ---------------------------------------------------------------- schedules and noise


def warmup_cosine(u: np.ndarray, warm: float, floor: float = 0.1) -> np.ndarray:
    """LR / peak at run fraction ``u``: linear warm-up over ``warm``, cosine to ``floor``."""
    rise = np.clip(u / max(warm, 1e-9), 0, 1)
    t = np.clip((u - warm) / max(1 - warm, 1e-9), 0, 1)
    return np.where(u < warm, rise, floor + (1 - floor) * 0.5 * (1 + np.cos(np.pi * t)))


def _schedule(rng: np.random.Generator, u: np.ndarray, kind: str) -> np.ndarray:
    if kind == "cosine":
        return warmup_cosine(u, rng.uniform(0.0, 0.05), rng.uniform(0.0, 0.1))
    if kind == "wsd":  # warm-up, stable, linear decay over the last fifth
        warm = rng.uniform(0.01, 0.05)
        return np.where(u < warm, u / warm, np.clip((1 - u) / 0.2, 0.02, 1))
    if kind == "linear":
        warm = rng.choice([0.0, rng.uniform(0.03, 0.1)])
        return np.where(u < warm, u / max(warm, 1e-9), np.clip((1 - u) / (1 - warm), 0, 1))
    if kind == "steps":
        return 0.1 ** ((u >= 0.5).astype(float) + (u >= 0.75))
    if kind == "plateau":  # ReduceLROnPlateau: a few drops by 0.1-0.5 at irregular places
        lr = np.ones_like(u)
        for at in np.sort(rng.uniform(0.3, 0.9, rng.integers(1, 4))):
            lr[u >= at] *= rng.uniform(0.1, 0.5)
        return lr
    if kind == "restarts":  # SGDR: the loss rises after each restart, by design
        cycles = int(rng.integers(2, 5))
        return 0.02 + 0.98 * 0.5 * (1 + np.cos(np.pi * ((u * cycles) % 1.0)))
    return np.ones_like(u)


def _progress(lr: np.ndarray) -> np.ndarray:
    """Cumulative LR, 0 at the first point and 1 at the last."""
    p = np.cumsum(lr)
    return (p - p[0]) / max(p[-1] - p[0], 1e-12)


def mult_noise(rng: np.random.Generator, n: int, sigma: float, heavy: bool = False) -> np.ndarray:
    """Multiplicative noise ``exp(σ ε)``; ε Student-t(5) scaled to unit variance if ``heavy``."""
    e = rng.standard_t(5, n) * np.sqrt(3 / 5) if heavy else rng.standard_normal(n)
    return np.exp(sigma * e)


def _ar_noise(rng: np.random.Generator, n: int, sigma: float, rho: float = 0.6) -> np.ndarray:
    """Multiplicative AR(1) noise of stationary log-std ``σ`` (a val loss that wanders)."""
    e = rng.standard_normal(n) * sigma * np.sqrt(1 - rho**2)
    out = np.empty(n)
    acc = rng.standard_normal() * sigma
    for i in range(n):
        acc = rho * acc + e[i]
        out[i] = acc
    return np.exp(out)


def _every(n: int, k: int) -> np.ndarray:
    """Grid positions of a metric logged every ``k`` points, ending on the last one."""
    return np.arange(n - 1, -1, -max(k, 1))[::-1]


def grad_norm_curve(rng: np.random.Generator, n: int, level: float, sigma: float) -> np.ndarray:
    """High at the start, settling to ``level``, a slow late rise, log-normal noise."""
    t = np.arange(n) / n
    g0 = level * rng.uniform(3, 10)
    base = level + (g0 - level) * np.exp(-t / rng.uniform(0.01, 0.08))
    return base * (1 + rng.uniform(0, 0.5) * t) * mult_noise(rng, n, sigma)


# ---------------------------------------------------------------- the families


def _evals(rng: np.random.Generator, clean: np.ndarray, pos: np.ndarray, gap: float,
           multi: bool | None, p_multi: float) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Noiseless eval losses at grid positions ``pos``: one ``val/loss``, or (``multi``, else
    with probability ``p_multi``) 2-4 sets, HF ``eval_<set>_loss``, half of the time with a main
    ``val/loss`` among them."""
    if not (multi if multi is not None else rng.random() < p_multi):
        return {"val/loss": (pos, clean[pos] * gap)}
    k = int(rng.integers(2, 5))
    names = [f"eval_{s}_loss" for s in rng.choice(EVAL_SETS, k, replace=False)]
    if rng.random() < 0.5:
        names[0] = "val/loss"
    return {name: (pos, clean[pos] * gap * rng.uniform(0.8, 1.3)) for name in names}


def _with_evals(c: Curves, rng: np.random.Generator,
                evals: dict[str, tuple[np.ndarray, np.ndarray]], sigma: float) -> Curves:
    """``c`` with the eval losses of ``_evals``, each with AR(1) noise of log-std ``σ``."""
    for name, (pos, clean) in evals.items():
        c.metrics[name] = (pos, clean * _ar_noise(rng, len(pos), sigma))
        c.clean[name] = clean
    c.evals = tuple(evals)
    return c


def _epoch_ends(epochs: np.ndarray) -> np.ndarray:
    """Grid positions of the last point of each epoch (where a per-epoch eval is logged)."""
    return np.nonzero(np.r_[epochs[1:] != epochs[:-1], True])[0]


def lm_pretrain(rng: np.random.Generator, multi: bool | None = None) -> Curves:
    n = int(rng.integers(400, 1500))
    every = int(rng.choice([1, 10, 20, 50]))
    steps = (np.arange(n) + 1) * every
    sched = str(rng.choice(["cosine", "wsd"]))
    lr = _schedule(rng, np.arange(n) / (n - 1), sched)
    start, floor = np.log(rng.choice([32000, 50257, 128256])), rng.uniform(1.8, 3.2)
    decay = (1 + _progress(lr) / rng.uniform(0.002, 0.02)) ** -rng.uniform(0.3, 0.6)
    clean = floor + (start - floor) * decay + rng.uniform(0.02, 0.08) * floor * lr
    sigma = rng.uniform(0.005, 0.03)
    hf = rng.random() < 0.5  # HF logs the epoch as progress; nanoGPT logs none
    epochs = steps / (steps[-1] / rng.uniform(0.3, 0.99)) if hf else None
    c = Curves("lm_pretrain", f"per step, {sched}", steps, epochs, "progress", "optimizer_step",
               {"train/loss": (np.arange(n), clean * mult_noise(rng, n, sigma)),
                "lr": (np.arange(n), 3e-4 * lr),
                "grad_norm": (np.arange(n), grad_norm_curve(rng, n, rng.uniform(0.2, 1.0),
                                                       rng.uniform(0.05, 0.2)))},
               "train/loss", level=start * rng.uniform(0.65, 0.75), noise=sigma,
               clean={"train/loss": clean})
    pos = _every(n, int(rng.integers(n // 40, n // 15)))
    return _with_evals(c, rng, _evals(rng, clean, pos, rng.uniform(1.0, 1.05), multi, 0.3),
                       0.004)


def finetune(rng: np.random.Generator, multi: bool | None = None) -> Curves:
    n = int(rng.integers(60, 600))
    every = int(rng.choice([5, 10, 25, 50]))
    n_epochs = int(rng.choice([1, 2, 3, 5]))
    steps = (np.arange(n) + 1) * every
    epochs = steps / (steps[-1] / n_epochs)
    lr = _schedule(rng, np.arange(n) / (n - 1), "linear")
    task = str(rng.choice(["cls", "sft", "memorise"], p=[0.4, 0.45, 0.15]))
    chance = float(np.log(rng.choice([2, 3, 5])))
    if task == "cls":
        start, floor = chance * rng.uniform(1.0, 1.3), chance * rng.uniform(0.05, 0.4)
    elif task == "sft":
        start = rng.uniform(1.2, 3.5)
        floor = start * rng.uniform(0.2, 0.5)
    else:  # the train loss reaches the 4-decimal floor (r01: 0.0001 and 0.0002 alternate)
        start, floor = rng.uniform(0.3, 2.0), rng.uniform(1e-4, 5e-4)
    clean = floor + (start - floor) * np.exp(-_progress(lr) / rng.uniform(0.05, 0.3))
    if task != "cls":  # each new epoch starts lower (the model has seen the data)
        clean = clean * rng.uniform(0.75, 0.95) ** np.floor(np.minimum(epochs, n_epochs - 1e-9))
    sigma = rng.uniform(0.15, 0.5) / np.sqrt(every) * (0.5 if task == "memorise" else 1.0)
    c = Curves("finetune", f"HF per step, {task}", steps, epochs, "progress", "optimizer_step",
               {"train/loss": (np.arange(n), clean * mult_noise(rng, n, sigma,
                                                            heavy=rng.random() < 0.5)),
                "lr": (np.arange(n), 2e-5 * lr),
                "grad_norm": (np.arange(n), grad_norm_curve(rng, n, rng.uniform(0.5, 3.0),
                                                       rng.uniform(0.15, 0.3)))},
               "train/loss", level=chance if task == "cls" else None, noise=sigma, rounding=4,
               meta={"framework": "hf", "smoothing": "window mean"},
               clean={"train/loss": clean})
    pos = _every(n, max(n // int(rng.integers(8, 20)), 1))
    base = np.maximum(clean, floor + 0.2 * (start - floor))  # eval losses stop falling earlier
    return _with_evals(c, rng, _evals(rng, base, pos, rng.uniform(1.02, 1.3), multi, 0.4), 0.01)


def ce_cls(rng: np.random.Generator, multi: bool | None = None) -> Curves:
    classes = int(rng.choice([2, 10, 100, 1000]))
    chance = float(np.log(classes))
    per_step = rng.random() < 0.4
    if per_step:  # Lightning: a single batch's loss every 50 steps, an epoch column
        n_epochs = int(rng.choice([rng.integers(5, 16), rng.integers(25, 51)]))
        per_epoch = min(int(rng.integers(10, 41)), 1500 // n_epochs)
        n = n_epochs * per_epoch
        steps = (np.arange(n) + 1) * 50
        epochs = (np.arange(n) // per_epoch).astype(float)
        start, sigma = chance * rng.uniform(1.0, 1.15), rng.uniform(0.08, 0.25)
    else:  # Keras CSVLogger: the epoch mean, already well below chance after epoch 0
        n = int(rng.integers(20, 200))
        steps, epochs = np.arange(n), np.arange(n, dtype=float)
        start, sigma = chance * rng.uniform(0.5, 0.95), rng.uniform(0.005, 0.03)
    sched = str(rng.choice(["steps", "cosine", "restarts", "plateau"]))
    lr = _schedule(rng, np.arange(n) / (n - 1), sched)
    floor = chance * rng.uniform(0.02, 0.3)
    clean = (floor + (start - floor) * np.exp(-_progress(lr) / rng.uniform(0.1, 0.4))
             + rng.uniform(0.05, 0.2) * floor * lr)
    metrics = {"train/loss": (np.arange(n), clean * mult_noise(rng, n, sigma, heavy=per_step)),
               "lr": (np.arange(n), 0.1 * lr)}
    if per_step:
        metrics["grad_norm"] = (np.arange(n), grad_norm_curve(rng, n, rng.uniform(0.5, 5.0),
                                                         rng.uniform(0.15, 0.35)))
    c = Curves("ce_cls", f"{'Lightning per step' if per_step else 'Keras per epoch'}, "
               f"C={classes}, {sched}", steps, epochs, "index",
               "optimizer_step" if per_step else "epoch", metrics, "train/loss", level=chance,
               noise=sigma, clean={"train/loss": clean})
    val = clean + chance * rng.uniform(0.02, 0.1)
    return _with_evals(c, rng, _evals(rng, val, _epoch_ends(epochs), rng.uniform(1.05, 1.6),
                                      multi, 0.3), rng.uniform(0.02, 0.06))


def mse_reg(rng: np.random.Generator, multi: bool | None = None) -> Curves:
    variance = 10 ** rng.uniform(-2, 4)
    per_step = rng.random() < 0.3
    if per_step:
        n = int(rng.integers(200, 1200))
        steps = (np.arange(n) + 1) * 10
        epochs = (np.arange(n) // max(n // int(rng.integers(3, 12)), 1)).astype(float)
        start, sigma = variance * rng.uniform(1.0, 3.0), rng.uniform(0.05, 0.2)
    else:
        n = int(rng.integers(30, 300))
        steps, epochs = np.arange(n), np.arange(n, dtype=float)
        start, sigma = variance * rng.uniform(0.6, 1.5), rng.uniform(0.01, 0.06)
    sched = str(rng.choice(["constant", "steps", "cosine", "plateau"]))
    lr = _schedule(rng, np.arange(n) / (n - 1), sched)
    early = rng.random() < 0.3  # at the noise floor from about a third of the run on
    floor = variance * rng.uniform(0.01, 0.3)
    tau = rng.uniform(0.03, 0.08) if early else rng.uniform(0.08, 0.3)
    clean = floor + (start - floor) * np.exp(-_progress(lr) / tau)
    c = Curves("mse_reg", f"{'per step' if per_step else 'per epoch'}, {sched}"
               f"{', early floor' if early else ''}", steps, epochs, "index",
               "optimizer_step" if per_step else "epoch",
               {"train/loss": (np.arange(n), clean * mult_noise(rng, n, sigma)),
                "lr": (np.arange(n), 1e-3 * lr)},
               "train/loss", level=variance, noise=sigma, clean={"train/loss": clean})
    return _with_evals(c, rng, _evals(rng, clean, _epoch_ends(epochs), rng.uniform(1.05, 1.4),
                                      multi, 0.3), rng.uniform(0.02, 0.05))


GAN_NAMES = (("G_loss", "D_loss"), ("loss_G", "loss_D"), ("generator_loss", "discriminator_loss"))


def gan(rng: np.random.Generator, multi: bool | None = None) -> Curves:
    per_step = rng.random() < 0.4
    n = int(rng.integers(300, 1200)) if per_step else int(rng.integers(50, 300))
    steps = (np.arange(n) + 1) * 100 if per_step else np.arange(n)
    g_name, d_name = GAN_NAMES[int(rng.integers(len(GAN_NAMES)))]
    t = np.arange(n) / (n - 1)

    def wave(amp: float) -> np.ndarray:
        return 1 + amp * np.sin(2 * np.pi * t * rng.uniform(3, 10) + rng.uniform(0, 6))

    d = rng.uniform(0.3, 1.2) * (1 + rng.uniform(-0.3, 0.3) * t) * wave(rng.uniform(0.05, 0.15))
    g0 = rng.uniform(0.7, 5.0) if rng.random() < 0.7 else rng.uniform(20, 50)  # + L1 term
    trend = rng.uniform(0.2, 0.8) if rng.random() < 0.5 else rng.uniform(-0.4, -0.1)
    g = g0 * (1 + trend * t) * wave(rng.uniform(0.03, 0.1))
    s_d = rng.uniform(0.15, 0.35) if per_step else rng.uniform(0.05, 0.2)
    s_g = rng.uniform(0.05, 0.15) if per_step else rng.uniform(0.02, 0.08)
    main = g_name if rng.random() < 0.5 else d_name
    return Curves("gan", f"{'per step' if per_step else 'per epoch'}, {g_name}/{d_name}", steps,
                  None if per_step else np.arange(n, dtype=float), "index",
                  "iteration" if per_step else "epoch",
                  {g_name: (np.arange(n), g * mult_noise(rng, n, s_g)),
                   d_name: (np.arange(n), d * mult_noise(rng, n, s_d))},
                  main, noise=s_g if main == g_name else s_d, clean={g_name: g, d_name: d})


PINN_PARTS = ("pde_loss", "bc_loss", "ic_loss")


def pinn(rng: np.random.Generator, multi: bool | None = None) -> Curves:
    per_step = rng.random() < 0.4
    n = int(rng.integers(300, 1500)) if per_step else int(rng.integers(200, 1000))
    k = int(rng.integers(4, 20))
    steps = np.arange(n) + 1 if per_step else np.arange(n) * k + k - 1
    start, decades = 10 ** rng.uniform(0, 4), rng.uniform(2, 6)
    # piecewise linear in log space, fast early and slower by phase
    edges = np.r_[0.0, np.sort(rng.uniform(0.02, 0.6, int(rng.integers(1, 4)))), 1.0]
    slopes = np.sort(rng.uniform(0.2, 3.0, len(edges) - 1))[::-1]
    u = np.arange(n) / (n - 1)
    dlog = sum(s * np.clip(u - a, 0, b - a) for a, b, s in zip(edges[:-1], edges[1:], slopes,
                                                                 strict=True))
    clean = start * 10 ** (-decades * dlog / dlog[-1])
    sigma = rng.uniform(0.05, 0.25) if per_step else rng.uniform(0.03, 0.1)
    return Curves("pinn", f"{'per step' if per_step else 'Lightning per epoch'}, "
                  f"{decades:.1f} decades", steps, None if per_step else np.arange(n, dtype=float),
                  "index", "iteration" if per_step else "optimizer_step",
                  {"train/loss": (np.arange(n), clean * _ar_noise(rng, n, sigma, rho=0.5))},
                  "train/loss", noise=sigma, clean={"train/loss": clean},
                  meta={"pinn_shares": rng.dirichlet(np.ones(3) * 0.7)})


def pinn_parts(c: Curves, rng: np.random.Generator) -> None:
    """The PDE, boundary and initial-condition terms of a PINN total, split after injection
    (so an anomaly of the total shows in its parts)."""
    shares = c.meta.pop("pinn_shares", None)
    if shares is None:
        return
    pos, total = c.metrics["train/loss"]
    for name, share in zip(PINN_PARTS, shares, strict=True):
        c.metrics[name] = (pos, total * share * mult_noise(rng, len(total), 0.05))


YOLO_PARTS = {"box": ((1.2, 2.0), (0.5, 1.1)), "cls": ((1.5, 4.0), (0.3, 0.9)),
              "dfl": ((1.2, 1.8), (0.85, 1.1))}  # (start range, end range)


def yolo(rng: np.random.Generator, multi: bool | None = None) -> Curves:
    n = int(rng.integers(30, 300))
    i = np.arange(n)
    lr = np.where(i < 3, (i + 1) / 3, 1 - 0.99 * i / (n - 1))  # 3 warm-up epochs, linear
    p, tau = _progress(lr), rng.uniform(0.1, 0.4)
    mosaic = np.where(i >= n - 10, rng.uniform(0.8, 0.92), 1.0) if n >= 50 else np.ones(n)
    metrics: dict[str, tuple[np.ndarray, np.ndarray]] = {"lr": (i, 0.01 * lr)}
    clean = {}
    for part, ((a0, a1), (f0, f1)) in YOLO_PARTS.items():
        s, f = rng.uniform(a0, a1), rng.uniform(f0, f1)
        curve = f + (s - f) * np.exp(-p / tau)
        clean[f"train/{part}_loss"] = curve * mosaic
        metrics[f"train/{part}_loss"] = (i, curve * mosaic * mult_noise(rng, n, rng.uniform(0.005,
                                                                                       0.02)))
        metrics[f"val/{part}_loss"] = (i, curve * rng.uniform(1.05, 1.4)
                                       * _ar_noise(rng, n, rng.uniform(0.01, 0.03)))
    return Curves("yolo", "Ultralytics per epoch", i, i.astype(float), "index", "epoch", metrics,
                  "train/cls_loss" if rng.random() < 0.6 else "train/box_loss",
                  sums={"train/loss": tuple(f"train/{p}_loss" for p in YOLO_PARTS),
                        "val/loss": tuple(f"val/{p}_loss" for p in YOLO_PARTS)},
                  noise=0.02, clean=clean)


GENERATORS = {"lm_pretrain": lm_pretrain, "finetune": finetune, "ce_cls": ce_cls,
              "mse_reg": mse_reg, "gan": gan, "pinn": pinn, "yolo": yolo}


def canonical(names) -> tuple[str, ...]:
    """The names a reader gives these metrics (``reporter.ingest.aliases``: HF
    ``eval_<set>_loss`` and the like), so the synthetic runs follow the readers as they change."""
    from reporter.ingest.aliases import canonical_name

    return tuple(canonical_name(n) for n in names)


def to_run(c: Curves, name: str):
    """The ``Run`` a reader would build from this log (canonical names, NaN kept)."""
    import pandas as pd

    from reporter.ingest.run import SCALAR_COLUMNS, Run

    parts = []
    for metric, (pos, y) in zip(canonical(c.metrics), c.metrics.values(), strict=True):
        epoch = c.epochs[pos] if c.epochs is not None else np.full(len(pos), np.nan)
        parts.append(pd.DataFrame({"metric": metric, "step": c.steps[pos], "epoch": epoch,
                                   "wall_time": np.nan, "value": y, "segment": 0}))
    frame = pd.concat(parts, ignore_index=True).astype({"step": "Int64"})[list(SCALAR_COLUMNS)]
    meta = dict(c.meta)
    if c.sums:  # the parts of a summed loss, as the Ultralytics reader records them
        meta["loss_parts"] = {total: list(canonical(parts)) for total, parts in c.sums.items()}
    if c.epochs is not None:
        meta["epoch_kind"] = c.epoch_kind
    return Run(name=name, source=Path(name), format="synthetic", scalars=frame,
               step_kind=c.step_kind, meta=meta)
