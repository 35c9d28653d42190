"""Replay gradient-norm clipping from a logged pre-clip gradient-norm series."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["CLIP_RULES", "ClipReplay", "clip_scale"]


@dataclass(frozen=True)
class ClipReplay:
    """What clipping did at each step.

    ``scale[t]`` multiplies the gradient of step ``t`` (float32 values stored in float64);
    ``clipped[t]`` is True where ``scale[t] < 1``; ``fraction`` is the share of finite steps
    that were clipped (NaN when there are none).
    """

    scale: np.ndarray
    clipped: np.ndarray
    fraction: float

    norm: np.ndarray | None = None

    @property
    def post_norm(self) -> np.ndarray | None:
        """The gradient norm after clipping (``norm * scale``), when the norms were kept."""
        return None if self.norm is None else self.norm * self.scale


def _torch_scale(g: np.ndarray, max_norm: float) -> np.ndarray:
    # torch.nn.utils.clip_grads_with_norm_: clip_coef = max_norm / (total_norm + 1e-6), where
    # ``float / tensor`` is Tensor.__rdiv__ = ``reciprocal() * max_norm``, all float32, then
    # clamp(max=1.0).
    f32 = np.float32
    denom = g + f32(1e-6)
    coef = (f32(1.0) / denom) * f32(max_norm)
    return np.minimum(coef, f32(1.0))


def _keras_global_scale(g: np.ndarray, max_norm: float) -> np.ndarray:
    # keras clip_by_global_norm: scale = c * minimum(1 / N, 1 / c) + (N - N), float32.
    f32 = np.float32
    c = f32(max_norm)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = c * np.minimum(f32(1.0) / g, f32(1.0) / c)
        return scale + (g - g)


#: rule -> ``(grad_norm float32 array, max_norm) -> scale float32 array``.
CLIP_RULES: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
    "torch": _torch_scale,
    "keras_global": _keras_global_scale,
}


def clip_scale(grad_norm, max_norm: float, *, rule: str = "torch") -> ClipReplay:
    """Replay norm clipping: the factor each step's gradient was multiplied by.

    .. math::
        s_t = \\min\\left(1, \\frac{c}{g_t + 10^{-6}}\\right) \\ \\text{(torch)}, \\qquad
        s_t = c \\min(1/g_t, 1/c) \\ \\text{(Keras global\\_clipnorm)}

    where :math:`g_t` is the pre-clip total norm logged at step :math:`t` and :math:`c` =
    ``max_norm``. Computed in float32 like the frameworks (torch evaluates
    ``reciprocal(g + 1e-6) * c``), so a norm equal to ``max_norm`` is still scaled by
    ``0.9999998`` under torch. A NaN/inf norm gives a NaN scale (torch lets it poison the
    gradients), counted as neither clipped nor unclipped in ``fraction``.

    Timing: index ``t`` is the optimizer step the norm was logged at (HF logs only every
    ``logging_steps``; the fraction is then over logged steps).

    Args:
        grad_norm: pre-clip gradient norms, one per step.
        max_norm (float): the clipping threshold (``max_grad_norm``, ``gradient_clip_val``,
            ``global_clipnorm``), > 0.
        rule (str): ``"torch"`` (torch/HF/Lightning ``clip_grad_norm_``) or
            ``"keras_global"``. Default: ``"torch"``.

    Example:
        >>> from replay import clip_scale
        >>> r = clip_scale([0.5, 1.0, 4.0], 1.0)
        >>> for t, (s, c) in enumerate(zip(r.scale, r.clipped)):
        ...     print(t, f"{s:.7f}", bool(c))
        0 1.0000000 False
        1 0.9999990 True
        2 0.2499999 True
        >>> round(r.fraction, 3)
        0.667
    """
    if not max_norm > 0:
        raise ValueError(f"max_norm must be > 0, got {max_norm!r}")
    try:
        fn = CLIP_RULES[rule]
    except KeyError:
        raise ValueError(
            f"rule must be one of {', '.join(map(repr, CLIP_RULES))}, got {rule!r}"
        ) from None
    g = np.asarray(grad_norm, dtype=np.float32).ravel()
    scale = fn(g, max_norm).astype(np.float64)
    finite = np.isfinite(scale)
    clipped = finite & (scale < 1.0)
    n_finite = int(finite.sum())
    fraction = float(clipped.sum() / n_finite) if n_finite else float("nan")
    scale.setflags(write=False)
    clipped.setflags(write=False)
    return ClipReplay(scale=scale, clipped=clipped, fraction=fraction, norm=g.astype(np.float64))
