"""The linear warm-up against the frameworks' own warm-ups (torch LinearLR, HF's ramp)."""

from __future__ import annotations

import numpy as np
import pytest

from replay import linear_warmup, warmup_factor

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("length", [1, 2, 5, 8])
def test_torch_rule_matches_linear_lr(length):
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=0.1)
    sched = torch.optim.lr_scheduler.LinearLR(
        opt, start_factor=1 / length, total_iters=max(length - 1, 0))
    lrs = []
    for _ in range(length + 4):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    np.testing.assert_allclose(0.1 * warmup_factor(length + 4, length), lrs, rtol=1e-6)


def test_hf_rule_matches_the_trainers_constant_schedule_with_warmup():
    transformers = pytest.importorskip("transformers")
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=0.1)
    sched = transformers.get_constant_schedule_with_warmup(opt, num_warmup_steps=4)
    lrs = []
    for _ in range(7):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    np.testing.assert_allclose(0.1 * warmup_factor(7, 4, rule="hf"), lrs, rtol=1e-9)


def test_linear_warmup_multiplies_the_path_and_zero_is_identity():
    path = [1.0, 0.5, 0.25, 0.125]
    assert linear_warmup(path, 0).tolist() == path
    assert linear_warmup(path, 2).tolist() == [0.5, 0.5, 0.25, 0.125]


@pytest.mark.parametrize(("warmup", "rule", "match"), [
    (-1, "torch", "warmup must be an int >= 0, got -1"),
    (1.5, "torch", "warmup must be an int >= 0, got 1.5"),
    (2, "jax", "rule must be one of 'torch', 'hf', 'keras', got 'jax'"),
])
def test_bad_arguments_name_the_value(warmup, rule, match):
    with pytest.raises(ValueError, match=match):
        warmup_factor(3, warmup, rule)
