"""Replay gradient-norm clipping from a logged pre-clip gradient-norm series."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from replay.types import BoolArray, Float32Array, FloatArray

__all__ = ["CLIP_RULES", "ClipReplay", "ZClip", "clip_scale", "zclip_scale"]


@dataclass(frozen=True)
class ClipReplay:
    """What clipping did at each step.

    ``scale[t]`` multiplies the gradient of step ``t`` (float32 values stored in float64);
    ``clipped[t]`` is True where ``scale[t] < 1``; ``fraction`` is the share of finite steps
    that were clipped (NaN when there are none).
    """

    scale: FloatArray
    clipped: BoolArray
    fraction: float

    norm: FloatArray | None = None

    @property
    def post_norm(self) -> FloatArray | None:
        """The gradient norm after clipping (``norm * scale``), when the norms were kept."""
        return None if self.norm is None else self.norm * self.scale


def _result(scale: FloatArray, norm: FloatArray) -> ClipReplay:
    """Freeze a scale series into a ClipReplay (clipped = finite and below 1)."""
    finite = np.isfinite(scale)
    clipped = finite & (scale < 1.0)
    n_finite = int(finite.sum())
    fraction = float(clipped.sum() / n_finite) if n_finite else float("nan")
    scale.setflags(write=False)
    clipped.setflags(write=False)
    return ClipReplay(scale=scale, clipped=clipped, fraction=fraction, norm=norm)


# numpy's stubs type ``np.float32(x)`` and arithmetic with it as Any: the float32 results are
# annotated where they are returned.


def _torch_scale(g: Float32Array, max_norm: float) -> Float32Array:
    # torch.nn.utils.clip_grads_with_norm_: clip_coef = max_norm / (total_norm + 1e-6), where
    # ``float / tensor`` is Tensor.__rdiv__ = ``reciprocal() * max_norm``, all float32, then
    # clamp(max=1.0).
    f32 = np.float32
    denom = g + f32(1e-6)
    coef = (f32(1.0) / denom) * f32(max_norm)
    scale: Float32Array = np.minimum(coef, f32(1.0))
    return scale


def _keras_global_scale(g: Float32Array, max_norm: float) -> Float32Array:
    # keras clip_by_global_norm: scale = c * minimum(1 / N, 1 / c) + (N - N), float32.
    f32 = np.float32
    # ``1.0 / clip_norm`` is a Python (float64) division, rounded to float32 by ops.minimum.
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = f32(max_norm) * np.minimum(f32(1.0) / g, f32(1.0 / max_norm))
        out: Float32Array = scale + (g - g)
        return out


#: rule -> ``(grad_norm float32 array, max_norm) -> scale float32 array``.
CLIP_RULES: dict[str, Callable[[Float32Array, float], Float32Array]] = {
    "torch": _torch_scale,
    "keras_global": _keras_global_scale,
}


def clip_scale(grad_norm: npt.ArrayLike, max_norm: float, *, rule: str = "torch") -> ClipReplay:
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
    return _result(fn(g, max_norm).astype(np.float64), g.astype(np.float64))


@dataclass(frozen=True)
class ZClip:
    """ZClip adaptive clipping (Kumar et al. 2025, bluorion-com/ZClip ``mode="zscore"``).

    An EMA of the gradient norm's mean and variance flags spikes by z-score and clips them to
    an adaptive threshold; the EMA then absorbs the clipped norm, not the spike.

    .. math::
        z_t = \frac{g_t - \\mu}{\\sigma + \\epsilon}, \\quad
        c_t = \begin{cases} (\\mu + z_{th}\\sigma / (z_t / z_{th})) \\cdot k &
        z_t > z_{th} \text{ (adaptive\\_scaling)} \\ \\mu & z_t > z_{th} \text{ (mean)}
        \\ g_t & \text{otherwise} \\end{cases}

    then :math:`\\mu \\leftarrow \alpha\\mu + (1-\alpha)c_t`,
    :math:`\\sigma^2 \\leftarrow \alpha\\sigma^2 + (1-\alpha)(c_t - \\mu)^2` (with the new
    :math:`\\mu`); the first ``warmup_steps`` norms only initialise :math:`\\mu, \\sigma^2`
    (population mean and variance) and are clipped at ``max_grad_norm`` like torch. The
    gradient is scaled by :math:`\\min(c_t, \text{max\\_grad\\_norm}) / (g_t + 10^{-6})` when
    :math:`g_t` exceeds that, in float64 like the reference.

    Args:
        alpha (float): EMA factor. Default: 0.97.
        z_thresh (float): z-score threshold :math:`z_{th}`. Default: 2.5.
        max_grad_norm (float | None): hard cap as well; None = no cap. Default: 1.0.
        eps (float): Default: 1e-6.
        warmup_steps (int): norms used to initialise the EMA. Default: 25.
        clip_option (str): ``"adaptive_scaling"`` or ``"mean"``. Default: adaptive_scaling.
        clip_factor (float): k. Default: 1.0.
        skip_update_on_spike (bool): leave the EMA untouched on clipped steps. Default: False.
    """

    alpha: float = 0.97
    z_thresh: float = 2.5
    max_grad_norm: float | None = 1.0
    eps: float = 1e-6
    warmup_steps: int = 25
    clip_option: str = "adaptive_scaling"
    clip_factor: float = 1.0
    skip_update_on_spike: bool = False

    def __post_init__(self) -> None:
        if self.clip_option not in ("adaptive_scaling", "mean"):
            raise ValueError(
                f"ZClip clip_option must be 'adaptive_scaling' or 'mean', got {self.clip_option!r}"
            )
        if self.warmup_steps < 1:
            raise ValueError(f"ZClip warmup_steps must be >= 1, got {self.warmup_steps!r}")


def _zclip_threshold(spec: ZClip, g: float, mean: float, var: float) -> float | None:
    std: float = var**0.5  # float ** float is typed Any (a complex if var < 0); var >= 0
    z = (g - mean) / (std + spec.eps)
    if not z > spec.z_thresh:
        return None
    if spec.clip_option == "mean":
        return mean
    eta = z / spec.z_thresh
    return (mean + (spec.z_thresh * std) / eta) * spec.clip_factor


def zclip_scale(grad_norm: npt.ArrayLike, spec: ZClip | None = None) -> ClipReplay:
    """Replay ZClip over a logged pre-clip gradient-norm series (a remedy preview).

    Conditional on the recorded norms: once ZClip would have clipped a step the run would have
    continued differently, so later norms are the observed run's, not the remedy's.

    Args:
        grad_norm: pre-clip gradient norms, one per optimizer step.
        spec (ZClip | None): the settings. Default: ``ZClip()``.

    Example:
        >>> from replay import ZClip, zclip_scale
        >>> norms = [1.0, 1.1, 0.9, 1.0, 5.0, 1.0]
        >>> r = zclip_scale(norms, ZClip(warmup_steps=4, max_grad_norm=None))
        >>> [round(float(s), 3) for s in r.scale]
        [1.0, 1.0, 1.0, 1.0, 0.202, 1.0]
    """
    spec = spec or ZClip()
    g = np.asarray(grad_norm, dtype=np.float64).ravel()
    scale = np.ones(g.size, dtype=np.float64)
    norms = g.tolist()
    warm = norms[: spec.warmup_steps]
    if spec.max_grad_norm is not None and warm:
        scale[: len(warm)] = _torch_scale(np.array(warm, dtype=np.float32), spec.max_grad_norm)
    if len(warm) < spec.warmup_steps:
        return _result(scale, g)
    mean = sum(warm) / len(warm)
    var = sum((x - mean) ** 2 for x in warm) / len(warm)
    scaled = _zclip_after_warmup(spec, norms, mean, var)
    if scaled:
        at, values = zip(*scaled, strict=True)
        scale[list(at)] = values
    return _result(scale, g)


def _zclip_after_warmup(spec: ZClip, norms: list[float], mean: float,
                        var: float) -> list[tuple[int, float]]:
    """``(step, scale)`` of every step ZClip scales after its warm-up: the operations of
    ``_zclip_threshold`` and the EMA update, in the same order, on Python floats, with the
    settings read once (a million steps in about a second)."""
    alpha, z_thresh, eps, factor = spec.alpha, spec.z_thresh, spec.eps, spec.clip_factor
    cap, skip, to_mean = spec.max_grad_norm, spec.skip_update_on_spike, \
        spec.clip_option == "mean"
    out: list[tuple[int, float]] = []
    for t in range(spec.warmup_steps, len(norms)):
        norm = norms[t]
        std: float = var**0.5
        z = (norm - mean) / (std + eps)
        clip = None
        if z > z_thresh:
            clip = mean if to_mean else (mean + (z_thresh * std) / (z / z_thresh)) * factor
        effective = clip if clip is not None else norm
        if cap is not None:
            effective = min(effective, cap)
        if norm > effective:
            out.append((t, effective / (norm + 1e-6)))
        if clip is not None and skip:
            continue
        value = clip if clip is not None else norm
        mean = alpha * mean + (1 - alpha) * value
        var = alpha * var + (1 - alpha) * (value - mean) ** 2
    return out
