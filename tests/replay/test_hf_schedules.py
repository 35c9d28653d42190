"""HF transformers schedules: against the real ``transformers.get_scheduler`` when installed
(bit-identical), and against the upstream ``ScheduleInitTest`` table otherwise."""

from __future__ import annotations

import numpy as np
import pytest

from replay import HFScheduler, hf_logged_learning_rate, lr_trajectory

W, T = 2, 10

CASES = [
    pytest.param(HFScheduler("linear", W, T), {}, id="linear"),
    pytest.param(HFScheduler("cosine", W, T), {}, id="cosine"),
    pytest.param(HFScheduler("cosine", 5, 40, num_cycles=1.5), {"num_cycles": 1.5}, id="cos_1.5"),
    pytest.param(HFScheduler("cosine_with_restarts", W, T, num_cycles=2), {"num_cycles": 2},
                 id="cosine_with_restarts"),
    pytest.param(HFScheduler("polynomial", W, T, lr_end=1e-7, power=2.0),
                 {"lr_end": 1e-7, "power": 2.0}, id="polynomial"),
    pytest.param(HFScheduler("constant"), {}, id="constant"),
    pytest.param(HFScheduler("constant_with_warmup", 4), {}, id="constant_with_warmup"),
    pytest.param(HFScheduler("inverse_sqrt", W), {}, id="inverse_sqrt"),
    pytest.param(HFScheduler("inverse_sqrt", 0, timescale=7), {"timescale": 7}, id="inv_sqrt_ts"),
    pytest.param(HFScheduler("cosine_with_min_lr", W, T, min_lr=1e-3), {"min_lr": 1e-3},
                 id="cosine_with_min_lr"),
    pytest.param(HFScheduler("cosine_with_min_lr", W, T, min_lr_rate=0.1), {"min_lr_rate": 0.1},
                 id="cosine_with_min_lr_rate"),
    pytest.param(HFScheduler("cosine_warmup_with_min_lr", 3, T, min_lr_rate=0.05),
                 {"min_lr_rate": 0.05}, id="cosine_warmup_with_min_lr"),
    pytest.param(HFScheduler("cosine_warmup_with_min_lr", 3, T, min_lr_rate=0.05,
                             warmup_lr_rate=0.2),
                 {"min_lr_rate": 0.05, "warmup_lr_rate": 0.2}, id="cos_warmup_min_lr_rate"),
    pytest.param(HFScheduler("warmup_stable_decay", 3, 20, num_decay_steps=6),
                 {"num_decay_steps": 6}, id="wsd"),
    pytest.param(
        HFScheduler("warmup_stable_decay", 4, num_decay_steps=5, num_stable_steps=3,
                    warmup_type="1-sqrt", decay_type="linear", min_lr_ratio=0.1),
        {"num_decay_steps": 5, "num_stable_steps": 3, "warmup_type": "1-sqrt",
         "decay_type": "linear", "min_lr_ratio": 0.1}, id="wsd_1sqrt_linear"),
    pytest.param(
        HFScheduler("warmup_stable_decay", 4, 30, num_decay_steps=10, warmup_type="cosine",
                    decay_type="1-sqrt"),
        {"num_decay_steps": 10, "warmup_type": "cosine", "decay_type": "1-sqrt"},
        id="wsd_cosine_1sqrt"),
]  # fmt: skip


@pytest.mark.parametrize(("spec", "kwargs"), CASES)
@pytest.mark.parametrize("base_lr", [10.0, 3e-4])
def test_lr_trajectory_hf_matches_transformers_bitwise(spec, kwargs, base_lr, same):
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=base_lr)
    sched = transformers.get_scheduler(
        spec.lr_scheduler_type,
        opt,
        num_warmup_steps=spec.num_warmup_steps,
        num_training_steps=spec.num_training_steps,
        scheduler_specific_kwargs=kwargs,
    )
    n = (spec.num_training_steps or 30) + 5
    theirs = []
    for _ in range(n):
        theirs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    same(lr_trajectory(spec, base_lr, n).lr, theirs)


# upstream tests/optimization/test_optimization.py ScheduleInitTest (lr=10, W=2, T=10)
UPSTREAM = [
    ("linear", {}, [0.0, 5.0, 10.0, 8.75, 7.5, 6.25, 5.0, 3.75, 2.5, 1.25]),
    ("cosine", {}, [0.0, 5.0, 10.0, 9.61, 8.53, 6.91, 5.0, 3.08, 1.46, 0.38]),
    ("cosine_with_restarts", {"num_cycles": 2},
     [0.0, 5.0, 10.0, 8.53, 5.0, 1.46, 10.0, 8.53, 5.0, 1.46]),
    ("polynomial", {"power": 2.0, "lr_end": 1e-7},
     [0.0, 5.0, 10.0, 7.656, 5.625, 3.906, 2.5, 1.406, 0.625, 0.156]),
    ("constant", {}, [10.0] * 10),
    ("constant_with_warmup", {}, [0.0, 5.0, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0]),
    ("inverse_sqrt", {}, [0.0, 5.0, 10.0, 8.165, 7.071, 6.325, 5.774, 5.345, 5.0, 4.714]),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "kwargs", "expected"), UPSTREAM)
def test_lr_trajectory_hf_upstream_table(kind, kwargs, expected):
    spec = HFScheduler(kind, W, None if kind in ("constant", "constant_with_warmup",
                                                  "inverse_sqrt") else T, **kwargs)  # fmt: skip
    np.testing.assert_allclose(lr_trajectory(spec, 10.0, 10).lr, expected, atol=1e-2)


@pytest.mark.parametrize(
    ("version", "expected"),
    [("4.51.0", [0.0, 5.0, 10.0]), ("5.24.0", [0.0, 5.0, 10.0]), ("4.50.3", [5.0, 10.0, 8.75])],
)
def test_hf_logged_learning_rate_offset_changed_in_4_51(version, expected):
    lr = lr_trajectory(HFScheduler("linear", W, T), 10.0, 11).lr
    out = hf_logged_learning_rate(lr, [1, 2, 3], transformers_version=version)
    assert out.tolist() == expected


def test_hf_logged_learning_rate_zero_step_raises():
    with pytest.raises(ValueError, match="global_steps are 1-based, got 0"):
        hf_logged_learning_rate([0.1, 0.1], [0, 1])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"lr_scheduler_type": "cosin"}, "lr_scheduler_type must be one of linear, cosine"),
        ({"lr_scheduler_type": "reduce_lr_on_plateau"}, "use replay.ReduceLROnPlateau"),
        ({"lr_scheduler_type": "linear"}, "linear requires `num_training_steps`"),
        ({"lr_scheduler_type": "warmup_stable_decay", "num_training_steps": 9},
         "warmup_stable_decay requires num_decay_steps"),
        ({"lr_scheduler_type": "cosine_with_min_lr", "num_training_steps": 9},
         "One of min_lr or min_lr_rate should be set"),
        ({"lr_scheduler_type": "warmup_stable_decay", "num_training_steps": 9,
          "num_decay_steps": 2, "decay_type": "exp"}, "decay_type must be 'linear', 'cosine'"),
    ],
)  # fmt: skip
def test_hf_scheduler_bad_arguments_raise_value_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        HFScheduler(**kwargs)


def test_hf_scheduler_polynomial_lr_end_above_lr_raises():
    with pytest.raises(ValueError, match=r"lr_end \(0.5\) must be smaller than initial lr"):
        lr_trajectory(HFScheduler("polynomial", 0, 5, lr_end=0.5), 0.1, 3)


@pytest.mark.parametrize(
    "spec",
    [
        HFScheduler("linear", 100, 20_000),
        HFScheduler("linear", 0, 777),
        HFScheduler("cosine", 100, 20_000),
        HFScheduler("cosine", 7, 5_000, num_cycles=1.5),
        HFScheduler("cosine_with_min_lr", 50, 10_000, min_lr=1e-5),
        HFScheduler("constant_with_warmup", 333),
        HFScheduler("constant"),
    ],
    ids=lambda s: f"{s.lr_scheduler_type}-{s.num_warmup_steps}-{s.num_training_steps}",
)
def test_lr_trajectory_hf_vectorised_equals_scalar_lambda(spec):
    """The numpy path against transformers' scalar lambda, every step, with ==."""
    base = 3e-4
    lam = spec.lr_lambda(base)
    expected = [base * lam(s) for s in range(25_000)]
    assert lr_trajectory(spec, base, 25_000).lr.tolist() == expected


@pytest.mark.parametrize(
    ("version", "expected"),
    [("4.51", [0.0, 5.0, 5.0, 10.0]), ("4.50", [5.0, 5.0, 10.0, 8.75])],
)
def test_hf_logged_learning_rate_skipped_update_holds_the_scheduler(version, expected):
    """An fp16-skipped update (global step 2) counts as a step but does not step the LR."""
    lr = lr_trajectory(HFScheduler("linear", W, T), 10.0, 11).lr
    out = hf_logged_learning_rate(
        lr, [1, 2, 3, 4], transformers_version=version, skipped=[False, True, False, False]
    )
    assert out.tolist() == expected
