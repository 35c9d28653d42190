"""ReduceLROnPlateau replay against the real torch scheduler, on many metric series."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from replay import ReduceLROnPlateau, lr_trajectory

NAN = math.nan


def _noisy(seed, n=120, drift=-0.01, noise=0.05):
    rng = np.random.default_rng(seed)
    return list(1.0 + np.cumsum(drift + noise * rng.standard_normal(n)))


def _decay_then_flat(n=80):
    return [max(1.0 - 0.05 * i, 0.3) for i in range(n)]


SERIES = [
    pytest.param(ReduceLROnPlateau(), 0.1, [1.0] * 60, id="flat_defaults"),
    pytest.param(ReduceLROnPlateau(patience=2), 0.1, [1.0] * 30, id="flat_patience_2"),
    pytest.param(ReduceLROnPlateau(patience=0), 0.1, [1.0] * 20, id="flat_patience_0"),
    pytest.param(
        ReduceLROnPlateau(patience=0, factor=0.5),
        1.0,
        [1.0, 2.0, 0.5, 0.5, 0.4, 0.9, 0.1],
        id="patience_0_mixed",
    ),
    pytest.param(
        ReduceLROnPlateau(patience=3), 0.1, list(np.linspace(1.0, 0.1, 50)), id="monotone_down"
    ),
    pytest.param(
        ReduceLROnPlateau(patience=3), 0.1, list(np.linspace(0.1, 1.0, 50)), id="monotone_up"
    ),
    pytest.param(ReduceLROnPlateau(patience=4, factor=0.5), 0.1, _noisy(0), id="noisy_seed0"),
    pytest.param(ReduceLROnPlateau(patience=2, factor=0.3), 0.1, _noisy(1), id="noisy_seed1"),
    pytest.param(ReduceLROnPlateau(patience=5), 0.2, _noisy(2, drift=0.0), id="noisy_seed2"),
    pytest.param(
        ReduceLROnPlateau(patience=1, cooldown=2, factor=0.5), 0.1, _noisy(3), id="noisy_cooldown"
    ),
    pytest.param(
        ReduceLROnPlateau(patience=3, threshold=1e-2),
        0.1,
        _noisy(4, noise=0.01),
        id="noisy_big_threshold",
    ),
    pytest.param(
        ReduceLROnPlateau(patience=1),
        0.1,
        [1.0, 0.9999, 0.9999, 0.9999, 0.9999, 0.9999],
        id="tie_exactly_at_rel_threshold",
    ),
    pytest.param(
        ReduceLROnPlateau(patience=1),
        0.1,
        [1.0, 0.99989999, 0.9998, 0.9997, 0.9996, 0.9995],
        id="just_beyond_rel_threshold",
    ),
    pytest.param(
        ReduceLROnPlateau(patience=1, threshold_mode="abs", threshold=0.1),
        0.1,
        [1.0, 0.9, 0.8, 0.7000001, 0.6, 0.6, 0.6],
        id="tie_exactly_at_abs_threshold",
    ),
    pytest.param(
        ReduceLROnPlateau(patience=2), 0.1, [NAN, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0], id="nan_first"
    ),
    pytest.param(
        ReduceLROnPlateau(patience=2),
        0.1,
        [1.0, 0.9, NAN, 0.8, NAN, NAN, NAN, 0.7, 0.7],
        id="nan_middle",
    ),
    pytest.param(ReduceLROnPlateau(patience=1), 0.1, [NAN] * 10, id="all_nan"),
    pytest.param(
        ReduceLROnPlateau(patience=1),
        0.1,
        [math.inf, 1.0, -math.inf, 0.0, 0.0, 0.0],
        id="infinities",
    ),
    pytest.param(
        ReduceLROnPlateau(patience=1),
        0.1,
        [-1.0, -1.00005, -1.0001, -0.9, -0.95, -0.99],
        id="negative_rel_min",
    ),
    pytest.param(
        ReduceLROnPlateau(patience=1, threshold_mode="abs"),
        0.1,
        [-1.0, -1.00005, -1.0001, -0.9, -0.95, -0.99],
        id="negative_abs_min",
    ),
    pytest.param(
        ReduceLROnPlateau(mode="max", patience=2),
        0.1,
        [0.1, 0.5, 0.7, 0.8, 0.80001, 0.8, 0.79, 0.81, 0.81, 0.81, 0.81],
        id="max_rel",
    ),
    pytest.param(
        ReduceLROnPlateau(mode="max", threshold_mode="abs", threshold=0.01, patience=1),
        0.1,
        [0.1, 0.2, 0.21, 0.22, 0.2300001, 0.5, 0.5, 0.5],
        id="max_abs",
    ),
    pytest.param(
        ReduceLROnPlateau(mode="max", patience=1),
        0.1,
        [-3.0, -2.0, -2.0001, -1.0, -1.0],
        id="max_rel_negative",
    ),
    pytest.param(
        ReduceLROnPlateau(patience=1, cooldown=3, min_lr=0.004, factor=0.5),
        0.1,
        [1.0] * 60,
        id="cooldown_min_lr",
    ),
    pytest.param(
        ReduceLROnPlateau(patience=0, cooldown=1, min_lr=1e-3),
        0.1,
        [1.0] * 20,
        id="patience_0_cooldown_min_lr",
    ),
    pytest.param(
        ReduceLROnPlateau(patience=0, factor=0.5, eps=1e-8),
        1e-7,
        [1.0] * 20,
        id="eps_blocks_tiny_reductions",
    ),
    pytest.param(
        ReduceLROnPlateau(patience=0, factor=0.5, eps=0.0),
        1e-7,
        [1.0] * 40,
        id="eps_zero_keeps_halving",
    ),
    pytest.param(ReduceLROnPlateau(patience=3), 0.1, _decay_then_flat(), id="decay_then_flat"),
    pytest.param(
        ReduceLROnPlateau(patience=2, factor=0.5),
        0.1,
        list(np.float32(_noisy(5))),
        id="float32_metrics",
    ),
    pytest.param(
        ReduceLROnPlateau(patience=2, factor=0.7, cooldown=1),
        3e-4,
        [((i % 9) - 4) ** 2 / 16 + 0.5 for i in range(200)],
        id="sawtooth_long",
    ),
]


@pytest.mark.parametrize(("spec", "base_lr", "metrics"), SERIES)
def test_lr_trajectory_plateau_matches_torch_bitwise(spec, base_lr, metrics, torch_lrs, same):
    n = len(metrics) + 1
    ours = lr_trajectory(spec, base_lr, n, metrics)
    same(ours.lr, torch_lrs(spec, base_lr, n, metrics))


@pytest.mark.parametrize(("spec", "base_lr", "metrics"), SERIES)
def test_lr_trajectory_plateau_events_are_the_lr_changes(spec, base_lr, metrics):
    traj = lr_trajectory(spec, base_lr, len(metrics) + 1, metrics)
    changes = np.flatnonzero(traj.lr[1:] != traj.lr[:-1]).tolist()
    assert [e.index for e in traj.events] == changes
    for e in traj.events:
        assert (e.kind, e.before, e.after) == ("reduce", traj.lr[e.index], traj.lr[e.index + 1])


@pytest.mark.parametrize(("patience", "first_reduce"), [(0, 1), (1, 2), (2, 3), (10, 11)])
def test_lr_trajectory_plateau_flat_series_reduces_after_patience_plus_one(patience, first_reduce):
    traj = lr_trajectory(ReduceLROnPlateau(patience=patience), 0.1, 20, [1.0] * 19)
    assert traj.first("reduce").index == first_reduce
    assert traj.lr[first_reduce] == 0.1
    assert traj.lr[first_reduce + 1] == 0.1 * 0.1


def test_lr_trajectory_plateau_accepts_n_minus_one_metrics():
    assert lr_trajectory(ReduceLROnPlateau(), 0.1, 4, [1.0, 1.0, 1.0]).lr.size == 4


def test_lr_trajectory_plateau_without_metrics_raises():
    with pytest.raises(ValueError, match="ReduceLROnPlateau needs metrics"):
        lr_trajectory(ReduceLROnPlateau(), 0.1, 4)


def test_lr_trajectory_plateau_short_metrics_raises_with_both_numbers():
    with pytest.raises(ValueError, match=r"needs at least 3 metric values .*, got 2"):
        lr_trajectory(ReduceLROnPlateau(), 0.1, 4, [1.0, 1.0])


def test_lr_trajectory_plateau_step_before_raises():
    with pytest.raises(ValueError, match="cannot be stepped before the epoch"):
        lr_trajectory(ReduceLROnPlateau(), 0.1, 4, [1.0] * 3, stepping="step_before")


def test_lr_trajectory_plateau_step_epoch_after_is_standard():
    metrics = [1.0] * 30
    a = lr_trajectory(ReduceLROnPlateau(patience=2), 0.1, 31, metrics)
    b = lr_trajectory(ReduceLROnPlateau(patience=2), 0.1, 31, metrics, stepping="step_epoch_after")
    assert (a.lr == b.lr).all()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"mode": "avg"}, "mode must be 'min' or 'max', got 'avg'"),
        ({"threshold_mode": "pct"}, "threshold_mode must be 'rel' or 'abs', got 'pct'"),
        ({"factor": 1.0}, "factor must be < 1.0, got 1.0"),
        ({"patience": -1}, "patience=-1"),
    ],
)
def test_reduce_lr_on_plateau_bad_arguments_raise_value_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ReduceLROnPlateau(**kwargs)


def _random_series(rng, n):
    kind = rng.integers(5)
    if kind == 0:
        x = 1.0 + np.cumsum(rng.normal(-0.005, 0.03, n))
    elif kind == 1:
        x = rng.normal(0, 1, n)
    elif kind == 2:
        x = np.round(1.0 + np.cumsum(rng.normal(-0.01, 0.02, n)), 2)  # many exact ties
    elif kind == 3:
        x = np.abs(np.sin(np.arange(n) / rng.integers(2, 9))) + np.arange(n) * -1e-3
    else:
        x = -np.exp(-np.arange(n) / 50) + rng.normal(0, 1e-3, n)  # negative metrics
    x[rng.random(n) < 0.03] = np.nan
    return x


def _random_spec(rng):
    return ReduceLROnPlateau(
        mode=str(rng.choice(["min", "max"])),
        factor=float(rng.choice([0.1, 0.5, 0.9])),
        patience=int(rng.integers(0, 6)),
        threshold=float(rng.choice([0.0, 1e-4, 1e-2, 0.1])),
        threshold_mode=str(rng.choice(["rel", "abs"])),
        cooldown=int(rng.integers(0, 4)),
        min_lr=float(rng.choice([0.0, 1e-3, 0.02])),
        eps=float(rng.choice([1e-8, 0.0, 1e-3])),
    )


@pytest.mark.parametrize("seed", range(40))
def test_plateau_fast_path_equals_epoch_by_epoch_reference(seed):
    """The run-based replay against the literal transcription of torch's step()."""
    from replay._plateau import plateau_fast, plateau_states

    rng = np.random.default_rng(seed)
    spec, m = _random_spec(rng), _random_series(rng, int(rng.integers(1, 400)))
    fast_lr, fast_events = plateau_fast(spec, 0.1, m)
    ref_lr, ref_events = plateau_states(spec, 0.1, m)
    assert fast_lr.tolist() == ref_lr
    assert fast_events == ref_events


@pytest.mark.parametrize("seed", range(40, 52))
def test_lr_trajectory_plateau_random_spec_matches_torch_bitwise(seed, torch_lrs, same):
    rng = np.random.default_rng(seed)
    spec, m = _random_spec(rng), list(_random_series(rng, 300))
    same(lr_trajectory(spec, 0.1, 301, m).lr, torch_lrs(spec, 0.1, 301, m))


# --- the reason of each reduction: the bad epochs torch counted, and the reset before them

_REASON = re.compile(
    r"no improvement beyond threshold in epochs? (?:(\d+)-)?(\d+): (\d+) bad epochs? > "
    r"patience (\d+), counted since (.*)"
)
_HELD = r"(?:best (\S+) at epoch (\d+)|no best yet)"


def _torch_plateau_states(spec, base_lr, metrics):
    """Real torch stepped over ``metrics``: (lr, num_bad_epochs, best, cooldown_counter,
    improved) after each ``step(metric)``; ``improved`` is torch's own ``_is_better``."""
    torch = pytest.importorskip("torch")
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=base_lr)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(
        opt, mode=spec.mode, factor=spec.factor, patience=spec.patience,
        threshold=spec.threshold, threshold_mode=spec.threshold_mode, cooldown=spec.cooldown,
        min_lr=spec.min_lr, eps=spec.eps,
    )  # fmt: skip
    states = []
    for m in metrics:
        improved = sched._is_better(float(m), sched.best)
        sched.step(float(m))
        states.append((opt.param_groups[0]["lr"], sched.num_bad_epochs, sched.best,
                       sched.cooldown_counter, improved))  # fmt: skip
    return states


def _check_reasons_against_torch(spec, metrics):
    states = _torch_plateau_states(spec, 0.1, metrics)
    lr = [0.1] + [s[0] for s in states]  # lr[k + 1]: after step(metrics[k])
    num_bad = [s[1] for s in states]
    best = [s[2] for s in states]
    cooldown_counter = [s[3] for s in states]
    improved = [s[4] for s in states]
    p, cooldown = spec.patience, spec.cooldown
    events = lr_trajectory(spec, 0.1, len(metrics) + 1, metrics).events
    changes = [k for k in range(len(metrics)) if lr[k + 1] != lr[k]]
    assert [e.index for e in events] == changes
    for n, ev in enumerate(events):
        k = ev.index
        match = _REASON.fullmatch(ev.reason)
        assert match, ev.reason
        first, last, bad, patience = (int(g) if g else None for g in match.group(1, 2, 3, 4))
        first = last if first is None else first
        assert (last, bad, patience) == (k, p + 1, p)
        s = k - p - 1
        assert first == s + 1
        # torch's count was reset at s (or never started before epoch 0) and ran 1, 2, ...
        assert s == -1 or num_bad[s] == 0, (ev.reason, num_bad[s])
        assert num_bad[s + 1 : k] == list(range(1, p + 1)), ev.reason
        since = match.group(5)
        held = re.search(_HELD + r"$", since)
        assert held, since
        if held.group(1) is not None:  # the best torch held at k, and the epoch it was set
            b = int(held.group(2))
            assert held.group(1) == f"{best[k]:.6g}"
            assert improved[b] and not any(improved[b + 1 : k + 1]), ev.reason
        else:
            assert math.isinf(best[k])
        previous = changes[n - 1] if n else None
        if since.startswith("the start"):
            assert s == -1 and since == "the start; no best yet"
        elif since.startswith("the best"):
            assert int(held.group(2)) == s, ev.reason
        elif since.startswith("the end of the"):
            assert since.startswith(f"the end of the {cooldown}-epoch cooldown after the "
                                    f"reduction at epoch {previous}; ")  # fmt: skip
            assert cooldown > 0 and previous + cooldown == s
            assert cooldown_counter[previous] == cooldown and cooldown_counter[s] == 0
        else:
            assert since.startswith(f"the reduction at epoch {previous}; "), ev.reason
            assert cooldown == 0 and previous == s
    return len(events)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"patience": 0},
        {"patience": 1},
        {"patience": 2, "cooldown": 1},
        {"patience": 1, "cooldown": 3, "threshold_mode": "abs", "threshold": 1e-3},
        {"patience": 3, "cooldown": 2, "threshold": 1e-2},
        {"patience": 0, "cooldown": 2, "threshold": 0.0},
        {"mode": "max", "patience": 2, "cooldown": 1, "threshold": 1e-3},
        {"patience": 1, "cooldown": 1, "min_lr": 0.02, "factor": 0.5},
    ],
    ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()),
)
def test_plateau_reasons_name_the_epochs_torch_counted(kwargs):
    """Every reduction after epoch k names the bad epochs s+1..k (torch's num_bad_epochs is
    0 after epoch s and counts 1, 2, ... over them) and the reset at s it counted from."""
    spec = ReduceLROnPlateau(factor=kwargs.pop("factor", 0.7), **kwargs)
    total = 0
    for seed in range(6):
        rng = np.random.default_rng(seed)
        metrics = list(1 + np.cumsum(rng.normal(0.0, 0.02, 150)))
        total += _check_reasons_against_torch(spec, metrics)
        total += _check_reasons_against_torch(spec, list(_random_series(rng, 300)))
    assert total >= 12


@pytest.mark.parametrize("seed", range(52, 64))
def test_plateau_reasons_random_spec_match_torch(seed):
    rng = np.random.default_rng(seed)
    spec = _random_spec(rng)
    _check_reasons_against_torch(spec, list(_random_series(rng, 300)))


def test_plateau_reason_after_a_cooldown_counts_from_its_end():
    metrics = [1.0, 0.9, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.7, 0.7, 0.7, 0.7, 0.7]
    spec = ReduceLROnPlateau(patience=2, factor=0.5, cooldown=1)
    reasons = [e.reason for e in lr_trajectory(spec, 0.1, 17, metrics).events]
    assert reasons == [
        "no improvement beyond threshold in epochs 3-5: 3 bad epochs > patience 2, counted "
        "since the best 0.8 at epoch 2",
        "no improvement beyond threshold in epochs 7-9: 3 bad epochs > patience 2, counted "
        "since the end of the 1-epoch cooldown after the reduction at epoch 5; best 0.8 at "
        "epoch 2",
        "no improvement beyond threshold in epochs 12-14: 3 bad epochs > patience 2, counted "
        "since the best 0.7 at epoch 11",
    ]


def test_plateau_reason_patience_0_and_no_best():
    spec = ReduceLROnPlateau(patience=0, factor=0.5)
    reasons = [e.reason for e in lr_trajectory(spec, 0.1, 4, [NAN, 1.0, 1.0]).events]
    assert reasons == [
        "no improvement beyond threshold in epoch 0: 1 bad epoch > patience 0, counted since "
        "the start; no best yet",
        "no improvement beyond threshold in epoch 2: 1 bad epoch > patience 0, counted since "
        "the best 1 at epoch 1",
    ]
