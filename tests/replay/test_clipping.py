"""Clipping replay against torch ``clip_grads_with_norm_`` / ``clip_grad_norm_``."""

from __future__ import annotations

import math

import numpy as np
import pytest

from replay import clip_scale

NORMS = [
    pytest.param([0.5, 1.0, 4.0, 1.0000001, 0.999999, 0.9999990463], 1.0, id="around_one"),
    pytest.param(list(np.geomspace(1e-4, 1e4, 200)), 1.0, id="geomspace"),
    pytest.param(list(np.geomspace(1e-3, 1e3, 200)), 5.0, id="max_norm_5"),
    pytest.param(list(np.random.default_rng(0).lognormal(0, 2, 300)), 0.3, id="lognormal"),
    pytest.param(list(np.random.default_rng(1).lognormal(0, 2, 2000)), 0.3, id="lognormal_2000"),
    pytest.param([0.0, 5.0, 4.999999, 5.000001, 80.99, 108.1, 263.0], 5.0, id="at_threshold"),
]


def _torch_coef(norm: float, max_norm: float) -> float:
    torch = pytest.importorskip("torch")
    param = torch.nn.Parameter(torch.zeros(1))
    param.grad = torch.ones(1)
    total = torch.tensor(norm, dtype=torch.float32)  # grad norms of fp32 grads are fp32
    torch.nn.utils.clip_grads_with_norm_([param], max_norm, total)
    return float(param.grad[0])


@pytest.mark.parametrize(("norms", "max_norm"), NORMS)
def test_clip_scale_torch_rule_matches_torch_bitwise(norms, max_norm):
    ours = clip_scale(norms, max_norm).scale
    for t, g in enumerate(norms):
        assert ours[t] == _torch_coef(g, max_norm), f"step {t}: norm {g!r}"


def test_clip_scale_matches_clip_grad_norm_on_a_real_gradient():
    torch = pytest.importorskip("torch")
    param = torch.nn.Parameter(torch.zeros(3))
    param.grad = torch.tensor([3.0, 4.0, 12.0])
    total = float(torch.nn.utils.clip_grad_norm_([param], 2.0))
    assert float(param.grad[0]) / 3.0 == pytest.approx(clip_scale([total], 2.0).scale[0])
    coef = torch.tensor(clip_scale([total], 2.0).scale[0], dtype=torch.float32)
    assert float(param.grad[0]) == float(torch.tensor([3.0]) * coef)


def test_clip_scale_norm_equal_to_max_norm_is_still_scaled():
    r = clip_scale([5.0], 5.0)
    assert r.clipped[0]
    assert r.scale[0] == pytest.approx(0.9999998, abs=1e-7)


@pytest.mark.parametrize(
    ("norms", "fraction"),
    [([0.5, 2.0, 3.0, 0.1], 0.5), ([math.nan, 2.0, 0.5], 0.5), ([0.1, 0.2], 0.0)],
)
def test_clip_scale_fraction_counts_finite_steps(norms, fraction):
    assert clip_scale(norms, 1.0).fraction == fraction


def test_clip_scale_nan_norm_gives_nan_scale():
    r = clip_scale([math.nan, math.inf], 1.0)
    assert math.isnan(r.scale[0])
    assert r.scale[1] == 0.0
    assert not r.clipped[0]


def test_clip_scale_all_nan_fraction_is_nan():
    assert math.isnan(clip_scale([math.nan], 1.0).fraction)


@pytest.mark.parametrize(
    ("norms", "expected"),
    [([0.5, 1.0, 2.0, 4.0], [1.0, 1.0, 0.5, 0.25]), ([0.0], [1.0])],
)
def test_clip_scale_keras_global_has_no_epsilon(norms, expected):
    r = clip_scale(norms, 1.0, rule="keras_global")
    np.testing.assert_array_equal(r.scale, expected)
    assert r.clipped.tolist() == [e < 1 for e in expected]


def test_clip_scale_keras_global_nan_norm_poisons_scale():
    assert math.isnan(clip_scale([math.nan], 1.0, rule="keras_global").scale[0])


def test_clip_scale_post_norm_is_norm_times_scale():
    r = clip_scale([4.0], 1.0)
    assert r.post_norm[0] == pytest.approx(1.0, rel=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"max_norm": 0.0}, "max_norm must be > 0, got 0.0"),
        ({"max_norm": 1.0, "rule": "keras"}, "rule must be one of 'torch', 'keras_global', got"),
    ],
)
def test_clip_scale_bad_arguments_raise_value_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        clip_scale([1.0], **kwargs)


def test_zclip_scale_worked_spike_is_clipped_to_adaptive_threshold():
    from replay import ZClip, zclip_scale

    r = zclip_scale([1.0, 1.1, 0.9, 1.0, 5.0], ZClip(warmup_steps=4, max_grad_norm=None))
    mean, std = 1.0, 0.005**0.5
    z = (5.0 - mean) / (std + 1e-6)
    threshold = mean + (2.5 * std) / (z / 2.5)
    assert r.scale[4] == threshold / (5.0 + 1e-6)
    assert r.clipped.tolist() == [False] * 4 + [True]


def test_zclip_scale_warmup_uses_max_grad_norm_like_torch():
    from replay import ZClip, zclip_scale

    r = zclip_scale([4.0, 0.5], ZClip(warmup_steps=5, max_grad_norm=1.0))
    assert r.scale[0] == clip_scale([4.0], 1.0).scale[0]
    assert r.scale[1] == 1.0


@pytest.mark.parametrize(("skip", "same_as_no_spike"), [(False, False), (True, True)])
def test_zclip_scale_spike_updates_ema_unless_skipped(skip, same_as_no_spike):
    from replay import ZClip, zclip_scale

    spec = ZClip(warmup_steps=4, max_grad_norm=None, skip_update_on_spike=skip)
    base = [1.0, 1.1, 0.9, 1.0]
    after_spike = zclip_scale([*base, 5.0, 1.5], spec).scale[5]
    without_spike = zclip_scale([*base, 1.5], spec).scale[4]
    assert bool(after_spike == without_spike) is same_as_no_spike


def test_zclip_scale_mean_option_clips_to_the_mean():
    from replay import ZClip, zclip_scale

    r = zclip_scale([1.0, 1.1, 0.9, 1.0, 5.0], ZClip(warmup_steps=4, max_grad_norm=None,
                                                   clip_option="mean"))  # fmt: skip
    assert r.scale[4] == 1.0 / (5.0 + 1e-6)


def test_zclip_bad_option_raises():
    from replay import ZClip

    with pytest.raises(ValueError, match="clip_option must be 'adaptive_scaling' or 'mean'"):
        ZClip(clip_option="median")


@pytest.mark.parametrize("max_norm", [1.0, 0.3, 5.0, 0.7])
def test_clip_scale_keras_global_matches_keras_ops(max_norm):
    """keras clip_by_global_norm's expression evaluated with keras.ops (torch backend)."""
    import os

    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    ops = keras.ops
    norms = np.geomspace(1e-3, 1e3, 300).astype(np.float32)
    theirs = []
    for n in norms:
        use_norm = ops.convert_to_tensor(n)
        scale = max_norm * ops.minimum(1.0 / use_norm, 1.0 / max_norm) + (use_norm - use_norm)
        theirs.append(float(ops.convert_to_numpy(scale)))
    ours = clip_scale(norms, max_norm, rule="keras_global").scale
    assert ours.tolist() == theirs
