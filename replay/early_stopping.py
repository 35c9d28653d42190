"""Early-stopping specs and their exact replays (Lightning, Keras 3, HF transformers)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from replay.types import Event

__all__ = ["SEMANTICS", "EarlyStopping", "early_stop"]


@dataclass(frozen=True)
class EarlyStopping:
    """Stop after ``patience`` checks without an improvement larger than ``min_delta``.

    ``semantics`` picks whose counting rule applies: ``"lightning"`` (the common hand-written
    loop: ``wait += 1`` on a non-improving check, stop when ``wait >= patience``),
    ``"keras"`` or ``"hf"``. A setting of another framework's callback (``baseline`` with
    ``"lightning"``, say) raises ValueError, so every spec is one real callback.

    .. math::
        \\text{improved}(a) = \\begin{cases} a - \\delta < b & \\text{min} \\\\
        a - \\delta > b & \\text{max} \\end{cases}

    where :math:`b` is the best value so far and :math:`\\delta` is ``-min_delta`` in min mode
    and ``min_delta`` in max mode (Lightning keeps the sign as given; Keras uses
    ``abs(min_delta)``; HF requires a strict improvement with ``|a - b| > min_delta``).

    Timing: best at check ``k`` and no improvement after ⇒ the stop comes after check
    ``k + max(patience, 1)`` under every semantics (patience 0 and 1 coincide). Checks are
    0-based: one per validation (Lightning), epoch (Keras) or evaluation (HF).

    Args:
        patience (int): non-improving checks tolerated. Default: 3 (Lightning's default;
            Keras uses 0, HF 1).
        min_delta (float): the improvement threshold (HF: ``early_stopping_threshold``).
            Default: 0.0.
        mode (str): ``"min"`` or ``"max"`` (HF: ``greater_is_better``). Default: ``"min"``.
        semantics (str): ``"lightning"``, ``"keras"`` or ``"hf"``. Default: ``"lightning"``.
        check_finite (bool): Lightning: stop at the first NaN/inf value. Default: True.
        stopping_threshold (float | None): Lightning: stop once the value beats it.
            Default: None.
        divergence_threshold (float | None): Lightning: stop once the value is worse than it.
            Default: None.
        baseline (float | None): Keras: improvements that do not beat it keep ``wait``
            growing. Default: None.
        start_from_epoch (int): Keras: epochs before it are ignored entirely. Default: 0.

    Example:
        >>> from replay import EarlyStopping, early_stop
        >>> # check: 0    1    2     3     4     5
        >>> loss = [1.0, 0.9, 0.95, 0.95, 0.95, 0.95]
        >>> early_stop(EarlyStopping(patience=3), loss).index
        4
        >>> early_stop(EarlyStopping(patience=3, semantics="keras"), loss).index
        4
    """

    patience: int = 3
    min_delta: float = 0.0
    mode: str = "min"
    semantics: str = "lightning"
    check_finite: bool = True
    stopping_threshold: float | None = None
    divergence_threshold: float | None = None
    baseline: float | None = None
    start_from_epoch: int = 0

    def __post_init__(self) -> None:
        if self.mode not in ("min", "max"):
            raise ValueError(f"EarlyStopping mode must be 'min' or 'max', got {self.mode!r}")
        if self.semantics not in ("lightning", "keras", "hf"):
            raise ValueError(
                "EarlyStopping semantics must be 'lightning', 'keras' or 'hf', "
                f"got {self.semantics!r}"
            )
        if self.patience < 0:
            raise ValueError(f"EarlyStopping patience must be >= 0, got {self.patience!r}")
        for name, owner in _OWN_FIELDS.items():
            value = getattr(self, name)
            if owner != self.semantics and value != _DEFAULTS[name]:
                raise ValueError(
                    f"EarlyStopping {name}={value!r} is a {owner} argument; "
                    f"semantics={self.semantics!r} has no such setting"
                )
        if self.semantics == "keras":  # keras MonitorCallback: self.min_delta = abs(min_delta)
            object.__setattr__(self, "min_delta", abs(self.min_delta))


#: fields that only one semantics reads -> that semantics.
_OWN_FIELDS = {
    "check_finite": "lightning",
    "stopping_threshold": "lightning",
    "divergence_threshold": "lightning",
    "baseline": "keras",
    "start_from_epoch": "keras",
}
_DEFAULTS = {name: EarlyStopping.__dataclass_fields__[name].default for name in _OWN_FIELDS}


def _lightning(spec: EarlyStopping, values: list[float]) -> Event | None:
    # lightning.pytorch.callbacks.EarlyStopping._evaluate_stopping_criteria, float32 tensors.
    f32 = np.float32
    is_min = spec.mode == "min"
    op = np.less if is_min else np.greater
    sign = -1.0 if is_min else 1.0
    delta = f32(spec.min_delta * sign)
    best = f32(math.inf if is_min else -math.inf)
    wait = 0
    for k, value in enumerate(values):
        cur = f32(value)
        if spec.check_finite and not np.isfinite(cur):
            return Event(k, "stop", reason=f"metric {float(cur)} is not finite")
        if spec.stopping_threshold is not None and op(cur, f32(spec.stopping_threshold)):
            return Event(k, "stop", reason=f"stopping threshold {spec.stopping_threshold} reached")
        if spec.divergence_threshold is not None and op(-cur, -f32(spec.divergence_threshold)):
            return Event(
                k, "stop", reason=f"divergence threshold {spec.divergence_threshold} reached"
            )
        if op(f32(cur - delta), best):
            best, wait = cur, 0
            continue
        wait += 1
        if wait >= spec.patience:
            return Event(
                k, "stop", reason=f"no improvement in the last {wait} checks (best {best:.6g})"
            )
    return None


def _keras_improved(spec: EarlyStopping, current: float, reference: float | None) -> bool:
    # keras MonitorCallback._is_improvement: ops.less(current - min_delta, reference), where
    # min_delta = -abs(min_delta) in min mode; keras.ops compares as float32 tensors.
    if reference is None:
        return True
    delta = abs(spec.min_delta) * (-1.0 if spec.mode == "min" else 1.0)
    a, b = np.float32(current - delta), np.float32(reference)
    return bool(a < b) if spec.mode == "min" else bool(a > b)


def _keras(spec: EarlyStopping, values: list[float]) -> Event | None:
    # keras.callbacks.EarlyStopping.on_epoch_end (Keras 3.10+/3.15 semantics, best=None start).
    wait, best = 0, None
    for epoch, current in enumerate(values):
        if epoch < spec.start_from_epoch:
            continue
        wait += 1
        if _keras_improved(spec, current, best):
            best = current
            if spec.baseline is None or _keras_improved(spec, current, spec.baseline):
                wait = 0
            continue
        if wait >= spec.patience and epoch > 0:
            reason = f"no improvement for {wait} epochs (best {best:.6g})"
            return Event(epoch, "stop", reason=reason)
    return None


def _hf(spec: EarlyStopping, values: list[float]) -> Event | None:
    # transformers EarlyStoppingCallback.check_metric_value, then Trainer's best_metric update
    # on any strict improvement (threshold ignored there), both in float64 numpy.
    op = np.less if spec.mode == "min" else np.greater
    counter, best = 0, None
    for k, value in enumerate(values):
        if best is None or (op(value, best) and abs(value - best) > spec.min_delta):
            counter = 0
        else:
            counter += 1
        if counter >= spec.patience:
            return Event(k, "stop", reason=f"{counter} evaluations without improvement")
        if best is None:  # Trainer._determine_best_metric starts from -inf/+inf
            best = math.inf if spec.mode == "min" else -math.inf
        if op(value, best):
            best = value
    return None


#: semantics name -> replay of one early-stopping callback.
SEMANTICS: dict[str, Callable[[EarlyStopping, list[float]], Event | None]] = {
    "lightning": _lightning,
    "keras": _keras,
    "hf": _hf,
}


def early_stop(spec: EarlyStopping, metrics: ArrayLike) -> Event | None:
    """Replay an early-stopping callback over a metric series; return its stop, or None.

    The event's ``index`` is the last check whose epoch trains: training ends right after
    check ``index`` (so ``index + 1`` epochs run when there is one check per epoch).

    Timing: ``metrics[k]`` is the value seen at check ``k`` (0-based). Lightning compares in
    float32 (``torch.lt(cur - min_delta, best)``), Keras 3 compares float32 tensors, HF
    compares float64 with numpy.

    Args:
        spec (EarlyStopping): the callback and whose semantics to use.
        metrics: the monitored value at each check; NaN allowed.

    Example:
        >>> from replay import EarlyStopping, early_stop
        >>> early_stop(EarlyStopping(patience=1, semantics="hf"), [1.0, 0.9, 0.9]).index
        2
        >>> early_stop(EarlyStopping(), [1.0, float("nan")]).reason
        'metric nan is not finite'
    """
    values = [float(v) for v in np.asarray(metrics, dtype=np.float64).ravel()]
    return SEMANTICS[spec.semantics](spec, values)
