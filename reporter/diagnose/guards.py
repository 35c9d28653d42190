"""The live guards people run during training, replayed over the logged loss (issue 8, item 7).

Each guard is the published rule of a callback or optimizer, with its defaults, read point by
point over the logged training loss as the callback reads each batch's loss:

- Lightning ``SpikeDetection`` (``lightning.fabric.utilities.spike``; ``window=10``,
  ``warmup=1``, ``rtol=2``, ``atol=None``, ``finite_only=True``, ``mode="min"``): a batch
  is a spike when its loss is non-finite, or when it rose from the last accepted loss and lies
  at least ``rtol ×`` the running mean of the last ``window`` accepted losses away from that
  mean (so ≥ 3× the mean); a spike is not added to the running mean; the callback then stops
  the run (``TrainingSpikeException``).
- llm-foundry ``KillLossSpike`` (``patience=4``, ``outlier_multiplier=2``, window ``max(100,
  5 % of the run)``, ``loss_cap = min(max of the first window, 10)``): once the window is
  full, a loss ≥ 2× the window's mean is an outlier; the 5th outlier in a row fires; so does a
  window in which half the losses exceed the cap, from step ``2 × window`` on. Every loss
  enters the window, and a NaN makes the window's mean NaN, so this guard never fires on a
  NaN (the rule as written). It logs by default (``log_only=True``), stops with
  ``log_only=False``.
- OLMo-core skip-step (``SkipStepOptimizer``, ``rolling_interval_length=128``,
  ``sigma_factor=6``): from the 64th loss on, the step is skipped when ``|loss − mean| / std``
  over the previous (up to) 128 losses exceeds 6 (torch ``std_mean``, Bessel-corrected; a NaN
  in the window or in the loss skips too). It skips that update and goes on.
- W&B z-score alert (``wandb.automations.MetricZScoreFilter`` defaults ``window=30``,
  ``threshold=3``, ``change_dir=ANY``): ``|z| ≥ 3`` against the mean and standard deviation of
  the previous 30 logged values. W&B computes it on its server and does not publish the exact
  formula; this replay uses the population standard deviation of the 30 values before the
  point. It alerts.
- Megatron-LM (``check_for_nan_in_loss``, and ``check_for_spiky_loss`` through
  ``RerunStateMachine.is_unexpectedly_large(threshold=10)``): a non-finite loss, or ``|loss|
  ≥ 10 ×`` the largest ``|loss|`` among its first 100 finite values (the notes call it "10× the
  largest loss seen"; the code fixes the reference after 100 values). It stops the run.

The callbacks see every batch; a log that keeps one point per ``k`` steps gives them one value
per ``k`` batches, so on such a log their windows span ``k ×`` more steps than in the run and
the replay is approximate (:func:`replay_guards` says so).

Every rule here is a numpy computation over the whole series (the Lightning rule, whose state
depends on its own verdicts, advances in chunks from one firing to the next), so a
million-point log is replayed in well under a second per guard.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "GUARDS",
    "Guard",
    "GuardReplay",
    "firing_episodes",
    "killlossspike",
    "lightning_spike_detection",
    "megatron_spiky_loss",
    "olmo_skip_step",
    "replay_guards",
    "wandb_zscore",
]


def lightning_spike_detection(y: np.ndarray, window: int = 10, warmup: int = 1,
                              rtol: float = 2.0) -> np.ndarray:
    """Points where Lightning's ``SpikeDetection`` (defaults, ``mode="min"``) flags a spike.

    State: the last ``window`` accepted losses and the last accepted loss (0.0 before any).
    A flagged point is not accepted. Evaluated chunk by chunk: within a chunk every point is
    first assumed accepted, which is exact up to the chunk's first flag; the state is then
    rebuilt without that point and the next chunk starts after it.

    >>> lightning_spike_detection(np.array([1.0, 1.0, 0.9, 4.0, 1.0, np.nan, 0.8])).nonzero()[0]
    array([3, 5])
    """
    y = np.asarray(y, dtype=float)
    n = len(y)
    fired = np.zeros(n, dtype=bool)
    accepted: list[float] = []  # the last `window` accepted values
    last = 0.0
    i, chunk = 0, 64
    while i < n:
        stop = min(n, i + chunk)
        seg = y[i:stop]
        # the history each point of the chunk sees if every earlier point in it is accepted
        hist = np.concatenate([np.asarray(accepted[-window:], dtype=float), seg])
        k = len(hist) - len(seg)
        csum = np.concatenate([[0.0], np.cumsum(hist)])
        idx = np.arange(len(seg)) + k  # position of each point in hist
        lo = np.maximum(idx - window, 0)
        count = idx - lo
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(count > 0, (csum[idx] - csum[lo]) / np.maximum(count, 1), np.nan)
            prev = np.concatenate([[last], seg[:-1]])
            rose = ~(seg - prev <= 0.0)
            far = np.abs(seg - mean) >= np.abs(rtol * mean)
        flag = ~np.isfinite(seg) | (rose & far)
        flag &= (np.arange(i, stop) >= warmup)
        hits = np.nonzero(flag)[0]
        end = stop if not len(hits) else i + int(hits[0])
        accepted.extend(y[i:end].tolist())
        del accepted[:-window]
        if end > i:
            last = float(y[end - 1])
        if len(hits):
            fired[end] = True
            i, chunk = end + 1, 64
        else:
            i, chunk = stop, min(chunk * 2, 1 << 16)
    return fired


def _rolling_before(y: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sum, sum of squares and count of the (up to) ``window`` values before each point, NaN
    values included in the count and making the sums NaN (as a mean over them would be)."""
    y = np.asarray(y, dtype=float)
    bad = ~np.isfinite(y)
    clean = np.where(bad, 0.0, y)
    # sums of the shifted values relative to a reference, to keep the squares well conditioned
    ref = float(np.median(clean[~bad])) if (~bad).any() else 0.0
    c = clean - ref
    s1 = np.concatenate([[0.0], np.cumsum(c)])
    s2 = np.concatenate([[0.0], np.cumsum(c * c)])
    nb = np.concatenate([[0], np.cumsum(bad)])
    n = len(y)
    count = np.minimum(np.arange(n), window).astype(float)
    d1 = s1[:n] - _at_start(s1, window, n)  # the window's sum of c: y[max(i - window, 0):i]
    sum1 = d1 + ref * count
    sum2_c = s2[:n] - _at_start(s2, window, n)
    has_bad = (nb[:n] - _at_start(nb, window, n)) > 0
    sum1[has_bad] = np.nan
    sum2_c[has_bad] = np.nan
    # mean of c and of c², from which the variance is taken (shift-invariant)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_c = d1 / count
        var_pop = np.maximum(sum2_c / count - mean_c ** 2, 0.0)
    # a window of equal values has a variance of exactly 0 and that value as its mean, which
    # the running sums give only up to rounding
    flat, value = _flat_before(y, window)
    var_pop[flat] = 0.0
    sum1[flat] = value[flat] * count[flat]
    return sum1, var_pop, count


def _at_start(prefix: np.ndarray, window: int, n: int) -> np.ndarray:
    """``prefix[max(i - window, 0)]`` for each point ``i < n`` (slices, no gather)."""
    head = np.full(min(window, n), prefix[0])
    return np.concatenate([head, prefix[:max(n - window, 0)]])


def _flat_before(y: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Where the (up to) ``window`` values before a point are all equal (and finite), and that
    value: no non-finite value and no change between neighbours inside the window."""
    y = np.asarray(y, dtype=float)
    n = len(y)
    if n == 0:
        return np.zeros(0, dtype=bool), np.zeros(0)
    bad = np.concatenate([[0], np.cumsum(~np.isfinite(y))])
    # changes[j]: neighbours that differ among y[0..j]; the window is y[lo..i-1]
    changes = np.concatenate([[0], np.cumsum(y[1:] != y[:-1])])
    last = np.concatenate([[0], changes[:-1]])  # changes[max(i - 1, 0)]
    flat = (bad[:n] == _at_start(bad, window, n)) & (last == _at_start(changes, window, n))
    flat[0] = False  # nothing before the first point
    value = np.full(n, np.nan)
    value[1:][flat[1:]] = y[:-1][flat[1:]]
    return flat, value


def killlossspike(y: np.ndarray, patience: int = 4, multiplier: float = 2.0,
                  window: int | None = None, loss_cap: float = 10.0) -> np.ndarray:
    """Points where llm-foundry's ``KillLossSpike`` fires (spike or persistently high loss).

    ``window`` defaults to ``max(100, round(0.05 × len(y)))``, the callback's own choice for a
    run of ``len(y)`` batches.

    >>> y = np.r_[np.ones(100), np.full(6, 5.0), np.ones(5)]
    >>> killlossspike(y).nonzero()[0]
    array([104, 105])
    """
    y = np.asarray(y, dtype=float)
    n = len(y)
    w = window if window is not None else max(100, round(0.05 * n))
    sum1, _var, count = _rolling_before(y, w)
    full = count == w
    with np.errstate(invalid="ignore"):
        mean = sum1 / np.maximum(count, 1)
        outlier = full & (y >= mean * multiplier)  # NaN compares False: no outlier
    # length of the run of consecutive outliers ending at each point
    run = _run_lengths(outlier)
    spike = run > patience
    first = y[:w][np.isfinite(y[:w])]
    cap = min(float(first.max()) if n >= w and len(first) else np.inf, loss_cap)
    high = np.zeros(n, dtype=bool)
    if n > 2 * w:
        over = np.concatenate([[0], np.cumsum(y > cap)])
        idx = np.arange(n)
        in_window = over[idx] - over[np.maximum(idx - w, 0)]
        high = full & (idx >= 2 * w) & (in_window >= w / 2) & ~spike
    return spike | high


def _run_lengths(mask: np.ndarray) -> np.ndarray:
    """For each point, how many consecutive True values end there (0 where False)."""
    mask = np.asarray(mask, dtype=bool)
    idx = np.arange(len(mask))
    last_false = np.maximum.accumulate(np.where(~mask, idx, -1))
    return np.where(mask, idx - last_false, 0)


def olmo_skip_step(y: np.ndarray, window: int = 128, sigma: float = 6.0,
                   grad_norm: np.ndarray | None = None) -> np.ndarray:
    """Steps OLMo-core's ``SkipStepOptimizer`` would skip (loss, and grad norm when given).

    >>> y = np.r_[np.tile([1.0, 1.1], 40), 3.0, 1.0]
    >>> olmo_skip_step(y).nonzero()[0]
    array([80])
    """
    y = np.asarray(y, dtype=float)
    skip = _zscore_over(y, window, sigma, start=max(20, window // 2) - 1, ddof=1)
    if grad_norm is not None and len(grad_norm) == len(y):
        skip |= _zscore_over(np.asarray(grad_norm, dtype=float), window, sigma,
                             start=max(20, window // 2) - 1, ddof=1)
    return skip


def _zscore_over(y: np.ndarray, window: int, k: float, *, start: int, ddof: int,
                 strict: bool = True, flat_fires: bool = True) -> np.ndarray:
    """``|z| > k`` (``≥ k`` when not ``strict``) against the previous ``window`` values, from
    position ``start`` on; a NaN anywhere in the window or at the point fires. A point equal to
    a flat window's mean (z = 0/0) fires only with ``flat_fires`` (torch's ``0/0 <= k`` is
    False, so OLMo-core skips it)."""
    _sum1, var_pop, count = _rolling_before(y, window)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = _sum1 / count
        var = var_pop * count / np.maximum(count - ddof, 1)
        z = np.abs(y - mean) / np.sqrt(var)
        within = (z <= k) if strict else (z < k)
        if not flat_fires:
            within |= (var == 0) & (y == mean)
    fired = ~within  # NaN z (NaN loss, NaN in the window, or 0/0) is not within
    fired[: max(start, 1)] = False
    return fired


def wandb_zscore(y: np.ndarray, window: int = 30, threshold: float = 3.0) -> np.ndarray:
    """Points a W&B z-score alert (defaults) would fire on, as replayed here.

    >>> y = np.r_[np.tile([1.0, 1.1], 20), 2.0]
    >>> wandb_zscore(y).nonzero()[0]
    array([40])
    """
    y = np.asarray(y, dtype=float)
    fired = _zscore_over(y, window, threshold, start=window, ddof=0, strict=False,
                         flat_fires=False)
    return fired & np.isfinite(y)  # a metric alert compares logged numbers only


def megatron_spiky_loss(y: np.ndarray, threshold: float = 10.0, samples: int = 100) -> np.ndarray:
    """Points Megatron-LM stops on: a non-finite loss, or ``|loss| ≥ threshold ×`` the largest
    ``|loss|`` of the first ``samples`` finite values.

    >>> megatron_spiky_loss(np.r_[np.ones(100), 5.0, 12.0, np.nan]).nonzero()[0]
    array([101, 102])
    """
    y = np.asarray(y, dtype=float)
    finite = np.isfinite(y)
    fired = ~finite
    positions = np.nonzero(finite)[0]
    if len(positions) > samples:
        ref = float(np.max(np.abs(y[positions[:samples]])))
        later = positions[samples:]
        fired[later] = np.abs(y[later]) >= ref * threshold
    return fired


@dataclass(frozen=True)
class Guard:
    """A live guard: its name, where the rule comes from, the rule, and what it does."""

    name: str
    source: str
    rule: str
    action: str
    fires: Callable[..., np.ndarray]
    reads_grad_norm: bool = False


GUARDS: tuple[Guard, ...] = (
    Guard("Lightning SpikeDetection", "lightning.fabric.utilities.spike.SpikeDetection defaults",
          "a non-finite loss, or a rise to ≥ 3× the mean of the last 10 accepted losses "
          "(rtol 2, window 10)", "stops the run", lightning_spike_detection),
    Guard("llm-foundry KillLossSpike", "llmfoundry.callbacks.KillLossSpike defaults",
          "5 losses in a row ≥ 2× the mean of the previous window (100 steps or 5 % of the "
          "run), or half a window above min(first window's max, 10)",
          "logs a warning (log_only=True) or stops", killlossspike),
    Guard("OLMo-core skip step", "olmo_core.optim.SkipStepOptimizer defaults",
          "|z| > 6 against the previous 128 losses (and grad norms), from the 64th step on",
          "skips the update", olmo_skip_step, reads_grad_norm=True),
    Guard("W&B z-score alert", "wandb.automations.MetricZScoreFilter defaults",
          "|z| ≥ 3 against the previous 30 logged values", "alerts", wandb_zscore),
    Guard("Megatron-LM loss checks", "check_for_nan_in_loss, check_for_spiky_loss (threshold 10)",
          "a non-finite loss, or |loss| ≥ 10× the largest of its first 100 finite values",
          "stops the run", megatron_spiky_loss),
)


def firing_episodes(mask: np.ndarray) -> np.ndarray:
    """Positions where a run of consecutive firing points starts (one alarm each)."""
    mask = np.asarray(mask, dtype=bool)
    return np.nonzero(mask & ~np.r_[False, mask[:-1]])[0]


@dataclass(frozen=True)
class GuardReplay:
    """One guard over this run's training loss: when it would have fired, and how often.

    ``first_fire`` is the step or epoch of its first firing point; ``alarms`` counts firing
    episodes (consecutive firing points are one); ``on_findings`` of them fall within a
    finding's window (warning or critical), ``on_healthy`` elsewhere; ``lead`` is, for the
    first finding it caught, how far before that finding's worst point (first non-finite value,
    or the spike's peak) it fired, in the log's own units (negative: after it).
    """

    name: str
    source: str
    rule: str
    action: str
    metric: str
    axis: str
    first_fire: float | None
    alarms: int
    on_findings: int
    on_healthy: int
    lead: float | None
    lead_points: int | None


@dataclass(frozen=True)
class Window:
    """A finding's span on the curve, by position: ``start`` ≤ ``worst`` ≤ ``end``."""

    start: int
    worst: int
    end: int


def replay_guards(x: np.ndarray, y: np.ndarray, windows: Sequence[Window], *,
                  metric: str = "train/loss", axis: str = "step",
                  grad_norm: np.ndarray | None = None,
                  guards: Sequence[Guard] = GUARDS) -> tuple[GuardReplay, ...]:
    """Every guard over the loss ``y`` logged at ``x``, scored against the findings' windows.

    A firing episode that starts within ``[start - 1, end]`` of a window counts for that
    finding (one point of slack: a guard that reads the point before the onset rise still
    caught it); others count on healthy stretches.
    """
    x = np.asarray(x, dtype=float)
    out = []
    for guard in guards:
        mask = guard.fires(y, grad_norm=grad_norm) if guard.reads_grad_norm else guard.fires(y)
        starts = firing_episodes(mask)
        inside = np.zeros(len(starts), dtype=bool)
        for w in windows:
            inside |= (starts >= w.start - 1) & (starts <= w.end)
        lead, lead_points = _lead(starts, windows, x)
        out.append(GuardReplay(
            name=guard.name, source=guard.source, rule=guard.rule, action=guard.action,
            metric=metric, axis=axis,
            first_fire=float(x[starts[0]]) if len(starts) else None,
            alarms=len(starts), on_findings=int(inside.sum()),
            on_healthy=int((~inside).sum()), lead=lead, lead_points=lead_points,
        ))
    return tuple(out)


def _lead(starts: np.ndarray, windows: Sequence[Window], x: np.ndarray
          ) -> tuple[float | None, int | None]:
    """Lead before the worst point of the first window the guard fired in."""
    for w in sorted(windows, key=lambda w: w.start):
        hit = starts[(starts >= w.start - 1) & (starts <= w.end)]
        if len(hit):
            first = int(hit[0])
            return float(x[w.worst] - x[first]), w.worst - first
    return None, None
