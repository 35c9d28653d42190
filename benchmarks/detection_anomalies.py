"""Anomalies injected into the synthetic curves of ``detection_curves``, with their true onset.

Each anomaly is sized on the noiseless curve at its onset and keeps the run's own noise, so an
injected spike is as noisy as the points around it. Sizes are graded (``SIZES``); a spike's
small grade is also at least 8 noise σ above the local level, so every injected spike is one a
person looking at the plot would call a spike.
"""

from __future__ import annotations

import numpy as np
from detection_curves import (
    FAMILIES,
    GENERATORS,
    Curves,
    grad_norm_curve,
    mult_noise,
    pinn_parts,
)
from detection_scoring import CLASSES, Label

GRADES = ("small", "medium", "large")
# which families an anomaly class makes sense in (a GAN has no constant-prediction level, a
# YOLO log no grad norm, ...)
ELIGIBLE = {
    "spike_recovered": FAMILIES,
    "spike_unrecovered": FAMILIES,
    "nonfinite_single": FAMILIES,
    "nan_sustained": FAMILIES,
    "collapse": ("lm_pretrain", "finetune", "ce_cls", "mse_reg"),
    "stall": ("lm_pretrain", "finetune", "ce_cls", "mse_reg"),
    "slow_divergence": ("lm_pretrain", "finetune", "ce_cls", "mse_reg", "pinn", "yolo"),
    "overfit": ("lm_pretrain", "finetune", "ce_cls", "mse_reg"),
    "grad_spike": ("lm_pretrain", "finetune", "ce_cls"),
}
SIZES = {
    "spike_recovered": {"small": 1.5, "medium": 3.0, "large": 10.0},  # peak / level
    "spike_unrecovered": {"small": 2.0, "medium": 3.0, "large": 10.0},  # jump / level
    "nonfinite_single": {"small": "NaN", "medium": "inf", "large": "NaN"},
    "nan_sustained": {"small": 8, "medium": 3, "large": 0},  # points of rise before the NaN
    "collapse": {"small": 0.65, "medium": 0.85, "large": 1.0},  # plateau / first value
    "stall": {"small": 1.6, "medium": 1.15, "large": 1.0},  # first value / plateau
    "slow_divergence": {"small": 1.3, "medium": 1.6, "large": 2.5},  # rise by the end
    "overfit": {"small": 1.15, "medium": 1.4, "large": 2.2},  # eval rise by the end
    "grad_spike": {"small": 5.0, "medium": 10.0, "large": 50.0},  # grad norm / its level
}
LEGEND = {
    "spike_recovered": "peak ×1.5 (and ≥ 8σ) / ×3 / ×10 the level, back within 1-10 points",
    "spike_unrecovered": "jump ×2 / ×3 / ×10, stays ≥ 1.6× to the end",
    "nonfinite_single": "one NaN / inf / NaN point",
    "nan_sustained": "NaN to the end after 8 / 3 / 0 points of rise",
    "collapse": "flat at 0.65 / 0.85 / 1.0× the first value",
    "stall": "falls 1.6 / 1.15 / 1.0× to the chance level, then flat (0.1-1% noise, ≤ 1% drift)",
    "slow_divergence": "rises ×1.3 / ×1.6 / ×2.5 by the end",
    "overfit": "one eval set of 2-4 rises ×1.15 / ×1.4 / ×2.2 by the end",
    "grad_spike": "grad norm ×5 / ×10 / ×50 for 1-2 points, loss untouched",
}


def make_case(kind: str, index: int, seed: int) -> tuple[Curves, Label]:
    """The ``index``-th case of ``kind`` (an anomaly class or ``"healthy"``), fixed by ``seed``.

    Families and grades are dealt in turn (the grade shifts by one after each round of
    families), so a short prefix of the indices already mixes both.
    """
    families = ELIGIBLE.get(kind, FAMILIES)
    family = families[index % len(families)]
    grade = GRADES[(index + index // len(families)) % len(GRADES)]
    code = CLASSES.index(kind) if kind in CLASSES else len(CLASSES)
    rng = np.random.default_rng([seed, code, index])
    c = GENERATORS[family](rng, multi=True if kind == "overfit" else None)
    label = Label("healthy", ()) if kind == "healthy" else INJECT[kind](c, rng, grade)
    pinn_parts(c, rng)
    c.finish()
    return c, label


# ---------------------------------------------------------------- helpers


def _level(c: Curves, metric: str) -> np.ndarray:
    """The noiseless curve of ``metric`` (a centred median of 5 when there is none)."""
    if metric in c.clean:
        return c.clean[metric]
    import pandas as pd

    y = c.values(metric)
    return pd.Series(y).rolling(5, center=True, min_periods=1).median().to_numpy()


def _shows_in(c: Curves, metric: str) -> tuple[str, ...]:
    """``metric`` and the losses it shows in: the sums it is part of, a PINN total's parts."""
    out = [metric, *(t for t, parts in c.sums.items() if metric in parts)]
    if "pinn_shares" in c.meta and metric == "train/loss":
        out += ["pde_loss", "bc_loss", "ic_loss"]
    return tuple(out)


def _target(c: Curves, rng: np.random.Generator) -> str:
    """The loss a spike or a non-finite point goes into: the main one, a quarter of the time the
    val loss of a per-epoch run."""
    per_epoch = c.step_kind == "epoch" and "val/loss" in c.metrics and not c.sums
    return "val/loss" if per_epoch and rng.random() < 0.25 else c.main


def _onset(rng: np.random.Generator, n: int, lo: float, hi: float, *, room: int = 1) -> int:
    """A position in ``[lo n, hi n]``, at least 3 from the start and ``room`` from the end."""
    a = max(int(lo * n), 3)
    b = max(min(int(hi * n), n - 1 - room), a)
    return int(rng.integers(a, b + 1))


def _step(c: Curves, metric: str, q: int) -> float:
    return float(c.steps[c.metrics[metric][0][q]])


def _after(c: Curves, metric: str, step: float) -> np.ndarray:
    """Mask of ``metric``'s points at or after ``step``."""
    return c.steps[c.metrics[metric][0]] >= step


def _losses(c: Curves) -> list[str]:
    return [m for m in c.metrics if "loss" in m.lower() and m not in c.sums]


# ---------------------------------------------------------------- the classes


def spike(c: Curves, rng: np.random.Generator, grade: str, *, recovered: bool = True) -> Label:
    """A jump at the onset, keeping the run's noise: ``recovered``, back on the curve within
    1-10 points (1-2 per epoch); otherwise the run relearns slowly from ≥ 1.6× its level."""
    m = _target(c, rng)
    y, base = c.values(m).copy(), _level(c, m)
    n = len(y)
    sigma = c.noise if m == c.main else 0.05
    few = n < 60 or c.step_kind == "epoch"
    if recovered:
        g = SIZES["spike_recovered"][grade]
        g = max(g, 1 + 8 * sigma) if grade == "small" else max(g, 1 + 16 * sigma)
        width = 1 if few else int(rng.integers(1, 4))
        back = int(rng.integers(1, 3)) if few else int(rng.integers(1, 11))
        q = _onset(rng, n, 0.15, 0.85, room=width + back)
        j = np.arange(n - q)
        factor = 1 + (g - 1) * np.exp(-np.maximum(j - width + 1, 0) * 3 / back)
        factor[j >= width + back] = 1.0
        y[q:] *= factor
    else:
        g = SIZES["spike_unrecovered"][grade]
        q = _onset(rng, n, 0.3, 0.7, room=5)
        j = np.arange(n - q)
        lift = 1 + (g - 1) * (0.6 + 0.4 * np.exp(-j / max(0.3 * (n - q), 1)))
        y[q:] = y[q:] / base[q:] * base[q] * lift  # relearning slowly from a higher level
    c.set(m, y)
    kind = "spike_recovered" if recovered else "spike_unrecovered"
    return Label(kind, _shows_in(c, m), _step(c, m, q), grade=grade)


def unrecovered(c: Curves, rng: np.random.Generator, grade: str) -> Label:
    return spike(c, rng, grade, recovered=False)


def nonfinite_single(c: Curves, rng: np.random.Generator, grade: str) -> Label:
    m = _target(c, rng)
    y = c.values(m).copy()
    q = _onset(rng, len(y), 0.1, 0.9)
    y[q] = np.inf if SIZES["nonfinite_single"][grade] == "inf" else np.nan
    c.set(m, y)
    return Label("nonfinite_single", _shows_in(c, m), _step(c, m, q), grade=grade)


def nan_sustained(c: Curves, rng: np.random.Generator, grade: str) -> Label:
    """Every loss and the grad norm NaN from the onset on, after ``SIZES`` points of rise to
    10× the level on the main loss (and the grad norm)."""
    m = c.main
    y = c.values(m).copy()
    ramp = SIZES["nan_sustained"][grade]
    q = _onset(rng, len(y), 0.3, 0.9, room=6)
    q = max(q, ramp + 3)
    rise = 10 ** (np.arange(1, ramp + 1) / max(ramp, 1))
    y[q - ramp:q] *= rise
    c.set(m, y)
    if "grad_norm" in c.metrics and ramp:
        g = c.values("grad_norm").copy()
        g[q - ramp:q] *= rise ** 2
        c.set("grad_norm", g)
    step = _step(c, m, q)
    hit = []
    for metric in [*_losses(c), "grad_norm"]:
        if metric in c.metrics:
            v = c.values(metric).copy()
            v[_after(c, metric, step)] = np.nan
            c.set(metric, v)
            hit.append(metric)
    return Label("nan_sustained", tuple(dict.fromkeys([*_shows_in(c, m), *hit])), step,
                 grade=grade)


def collapse(c: Curves, rng: np.random.Generator, grade: str) -> Label:
    """The losses go flat at a constant-prediction level (a fraction of the first value); the
    grad norm drops (the gradients that would lead out are small)."""
    m = c.main
    y = c.values(m).copy()
    n = len(y)
    q = _onset(rng, n, 0.3, 0.7, room=6)
    level = y[0] * SIZES["collapse"][grade]
    d = int(rng.integers(1, 6))
    sigma = rng.uniform(0.0, 0.01) if c.step_kind == "epoch" else rng.uniform(0.002, 0.02)
    ramp = np.exp(np.linspace(np.log(y[q - 1]), np.log(level), d + 1)[1:])
    flat = level * mult_noise(rng, n - q, sigma)
    flat[:d] = ramp[: n - q]
    y[q:] = flat
    c.set(m, y)
    step = _step(c, m, q)
    for e in c.evals:
        v = c.values(e).copy()
        after = _after(c, e, step)
        v[after] = level * rng.uniform(1.0, 1.05) * mult_noise(rng, int(after.sum()), sigma)
        c.set(e, v)
    if "grad_norm" in c.metrics:
        g = c.values("grad_norm").copy()
        g[_after(c, "grad_norm", step)] *= rng.uniform(0.05, 0.3)
        c.set("grad_norm", g)
    return Label("collapse", (*_shows_in(c, m), *c.evals), step, grade=grade)


def stall(c: Curves, rng: np.random.Generator, grade: str) -> Label:
    """The run never learns: from ``SIZES``× the chance level it falls to it within a tenth of
    the run, then stays flat (noise of 0.1-1%, a downward drift of at most 1%) to the end; so
    do the evals."""
    m = c.main
    n = len(c.values(m))
    level = c.level if c.level is not None else float(c.values(m)[0])
    ratio = SIZES["stall"][grade]
    d = 0 if ratio == 1.0 else int(rng.integers(2, max(3, n // 10) + 1))
    sigma = rng.uniform(0.001, 0.004) if c.step_kind == "epoch" else rng.uniform(0.002, 0.01)
    t = np.arange(n)
    drift = 1 - rng.uniform(0, 0.01) * np.clip(t - d, 0, None) / max(n - d, 1)
    shape = np.where(t < d, ratio ** (1 - t / max(d, 1)), 1.0) * drift
    c.set(m, level * shape * mult_noise(rng, n, sigma))
    for e in c.evals:
        pos = c.metrics[e][0]
        c.set(e, level * rng.uniform(1.0, 1.03) * shape[pos] * mult_noise(rng, len(pos), sigma))
    return Label("stall", (*_shows_in(c, m), *c.evals), _step(c, m, d), grade=grade)


def _rise(c: Curves, metric: str, step: float, g: float, power: float) -> None:
    """From ``step`` on, ``metric`` turns up from its level there to ``g``× by the end."""
    y, base = c.values(metric).copy(), _level(c, metric)
    after = np.nonzero(_after(c, metric, step))[0]
    if len(after) < 2:
        return
    q = after[0]
    frac = (after - q) / (after[-1] - q)
    y[after] = y[after] / base[after] * base[q] * (1 + (g - 1) * frac ** power)
    c.set(metric, y)


def slow_divergence(c: Curves, rng: np.random.Generator, grade: str) -> Label:
    m = c.main
    n = len(c.values(m))
    q = _onset(rng, n, 0.3, 0.6, room=10)
    g, power = SIZES["slow_divergence"][grade], float(rng.choice([1.0, 1.5, 2.0]))
    step = _step(c, m, q)
    for metric in (m, *c.evals):
        _rise(c, metric, step, g, power)
    return Label("slow_divergence", (*_shows_in(c, m), *c.evals), step, grade=grade)


def overfit(c: Curves, rng: np.random.Generator, grade: str) -> Label:
    """One of the eval sets turns up at its onset; the train loss and the other sets go on."""
    e = c.evals[int(rng.integers(len(c.evals)))]
    k = len(c.metrics[e][0])
    q = int(rng.integers(max(int(0.3 * k), 1), max(int(0.6 * k), 1) + 1))
    q = min(q, k - 3)
    step = _step(c, e, q)
    _rise(c, e, step, SIZES["overfit"][grade], float(rng.choice([1.0, 1.5, 2.0])))
    return Label("overfit", (e,), step, grade=grade)


def grad_spike(c: Curves, rng: np.random.Generator, grade: str) -> Label:
    """The grad norm jumps for 1-2 points, the loss does not react. A family whose logger has
    no grad norm (Keras per epoch) gets one."""
    n = c.n
    if "grad_norm" not in c.metrics:
        c.metrics["grad_norm"] = (np.arange(n), grad_norm_curve(rng, n, rng.uniform(0.5, 5.0),
                                                           rng.uniform(0.1, 0.3)))
    g = c.values("grad_norm").copy()
    import pandas as pd

    level = pd.Series(g).rolling(9, center=True, min_periods=1).median().to_numpy()
    width = int(rng.integers(1, 3))
    q = _onset(rng, n, 0.15, 0.9, room=width)
    peak = SIZES["grad_spike"][grade] * mult_noise(rng, width, 0.1)
    g[q:q + width] = level[q:q + width] * peak
    c.set("grad_norm", g)
    return Label("grad_spike", ("grad_norm",), _step(c, "grad_norm", q), grade=grade)


INJECT = {"spike_recovered": spike, "spike_unrecovered": unrecovered,
          "nonfinite_single": nonfinite_single, "nan_sustained": nan_sustained,
          "collapse": collapse, "stall": stall, "slow_divergence": slow_divergence,
          "overfit": overfit, "grad_spike": grad_spike}
