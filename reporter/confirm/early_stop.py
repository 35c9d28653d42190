"""Early stopping inside a confirmation trial, counted by the framework the spec names."""

from __future__ import annotations

import math

from replay import EarlyStopping


class EarlyStopper:
    """Feed one validation value per epoch; :meth:`update` returns True when to stop.

    ``"lightning"`` and ``"keras"`` count alike: a check improves when
    ``value + min_delta < best`` (mode ``"min"``; ``value - min_delta > best`` for ``"max"``),
    which resets ``wait`` to 0 and makes ``value`` the best; otherwise ``wait += 1``, and
    training stops when a non-improving check brings ``wait`` to ``patience`` (Lightning
    ``EarlyStopping._evaluate_stopping_criteria``, Keras ``EarlyStopping.on_epoch_end``).
    ``"hf"`` (``EarlyStoppingCallback``) resets the counter only when the value beats the
    best by more than ``min_delta`` in absolute terms, while the best itself moves on any
    strict improvement (the Trainer's ``best_metric``).
    """

    def __init__(self, spec: EarlyStopping) -> None:
        self.spec = spec
        self.best = math.inf if spec.mode == "min" else -math.inf
        self.wait = 0

    def _better(self, value: float, margin: float) -> bool:
        if self.spec.mode == "min":
            return value + margin < self.best
        return value - margin > self.best

    def update(self, value: float) -> bool:
        """Count one check of ``value``; True when training should stop after it."""
        spec = self.spec
        if spec.semantics == "hf":
            beats = self._better(value, 0.0)
            improved = math.isinf(self.best) or (beats and abs(value - self.best) > spec.min_delta)
            if beats:
                self.best = value
        else:
            improved = self._better(value, spec.min_delta)
            if improved:
                self.best = value
        self.wait = 0 if improved else self.wait + 1
        if spec.semantics == "hf":
            # HF checks the counter after every evaluation, so patience 0 stops at once.
            return self.wait >= spec.patience
        return not improved and self.wait >= spec.patience
