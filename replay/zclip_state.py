"""ZClip one step at a time: the rule a training loop applies to each step's gradient norm."""

from __future__ import annotations

import numpy as np

from replay.clipping import ZClip, _torch_scale, _zclip_threshold

__all__ = ["ZClipState"]


class ZClipState:
    """The running state of :class:`replay.ZClip` for a live training loop.

    ``step(norm)`` takes the step's pre-clip total gradient norm and returns the factor to
    multiply the gradients by (1.0: leave them), updating the averages exactly as
    :func:`replay.zclip_scale` does over a whole series; feeding it a series gives the same
    scales.

    Args:
        spec (ZClip | None): the settings. Default: ``ZClip()``.

    Example:
        >>> from replay import ZClip
        >>> from replay.zclip_state import ZClipState
        >>> state = ZClipState(ZClip(warmup_steps=4, max_grad_norm=None))
        >>> [round(state.step(g), 3) for g in [1.0, 1.1, 0.9, 1.0, 5.0, 1.0]]
        [1.0, 1.0, 1.0, 1.0, 0.202, 1.0]
    """

    def __init__(self, spec: ZClip | None = None) -> None:
        self.spec = spec or ZClip()
        self.buffer: list[float] = []
        self.mean = 0.0
        self.var = 0.0

    def step(self, norm: float) -> float:
        """The gradient scale for a step whose pre-clip norm is ``norm``."""
        spec, norm = self.spec, float(norm)
        if len(self.buffer) < spec.warmup_steps:
            self.buffer.append(norm)
            if len(self.buffer) == spec.warmup_steps:
                self.mean = sum(self.buffer) / len(self.buffer)
                self.var = sum((x - self.mean) ** 2 for x in self.buffer) / len(self.buffer)
            if spec.max_grad_norm is None:
                return 1.0
            return float(_torch_scale(np.array([norm], dtype=np.float32), spec.max_grad_norm)[0])
        clip = _zclip_threshold(spec, norm, self.mean, self.var)
        effective = clip if clip is not None else norm
        if spec.max_grad_norm is not None:
            effective = min(effective, spec.max_grad_norm)
        scale = effective / (norm + 1e-6) if norm > effective else 1.0
        if clip is None or not spec.skip_update_on_spike:
            value = clip if clip is not None else norm
            self.mean = spec.alpha * self.mean + (1 - spec.alpha) * value
            self.var = spec.alpha * self.var + (1 - spec.alpha) * (value - self.mean) ** 2
        return scale
