"""A long flat tail at the minimum LR (issue 8, item 2): info, never an alarm."""

from __future__ import annotations

from reporter.diagnose import diagnose


def _run(make_run, tail_losses: list[float], tail_lr: float = 1e-5):
    head = [1.0, 0.7, 0.5, 0.4, 0.35, 0.33, 0.32, 0.315, 0.31, 0.31]
    lr = [1e-3] * 4 + [5e-4] * 3 + [1e-4] * 3
    return make_run(train__loss=head + tail_losses,
                    lr=lr + [tail_lr] * len(tail_losses))


def test_lr_tail_flat_at_the_floor_is_info(make_run):
    d = diagnose(_run(make_run, [0.3095, 0.3098, 0.3097, 0.3096, 0.3099, 0.3097]))
    f = d.first("lr_floor_tail")
    assert f is not None and f.severity == "info"
    assert f.start == 10.0 and f.evidence["tail_points"] == 6
    assert f.evidence["gain"] < 0.01
    assert d.severity == "info"


def test_lr_tail_still_improving_at_the_floor_is_not_reported(make_run):
    d = diagnose(_run(make_run, [0.30, 0.29, 0.28, 0.27, 0.26, 0.25]))
    assert d.first("lr_floor_tail") is None


def test_lr_tail_short_tail_is_not_reported(make_run):
    d = diagnose(_run(make_run, [0.3097, 0.3098]))
    assert d.first("lr_floor_tail") is None


def test_lr_tail_constant_lr_is_not_a_floor(make_run):
    d = diagnose(make_run(train__loss=[1.0, 0.5, 0.4] + [0.39] * 10, lr=[1e-3] * 13))
    assert d.first("lr_floor_tail") is None


def _flat_then(n_fall: int, n_flat: int) -> list[float]:
    """A loss falling 3 -> 1 over ``n_fall`` points, then within 0.5% of 1.0."""
    fall = [3.0 - 2.0 * i / max(n_fall - 1, 1) for i in range(n_fall)]
    return fall + [1.0 + 0.005 * ((i * 7) % 3 - 1) for i in range(n_flat)]


def test_flat_tail_over_most_of_the_run_is_info_with_its_share(make_run):
    d = diagnose(make_run(train__loss=_flat_then(20, 60)))
    f = d.first("flat_tail")
    assert f is not None and f.severity == "info" and d.severity == "info"
    assert 0.5 <= f.evidence["tail_share"] <= 0.8 and f.evidence["gain"] < 0.01
    assert "stopped improving" in f.title


def test_flat_tail_under_half_the_run_or_still_improving_is_not_reported(make_run):
    assert diagnose(make_run(train__loss=_flat_then(50, 30))).first("flat_tail") is None
    falling = [3.0 * 0.98 ** i for i in range(80)]
    assert diagnose(make_run(train__loss=falling)).first("flat_tail") is None


def test_flat_tail_at_the_lr_floor_is_the_floor_finding_only(make_run):
    d = diagnose(_run(make_run, [0.3095, 0.3098, 0.3097, 0.3096, 0.3099, 0.3097] * 5))
    assert d.first("lr_floor_tail") is not None and d.first("flat_tail") is None


def test_flat_tail_is_not_added_to_a_curve_the_overfitting_rule_read(make_run):
    """A val loss that bottoms out early and rises is overfitting, not also a flat tail."""
    train = [3.0 * 0.95 ** i for i in range(60)]
    val = [2.0 - 0.1 * i for i in range(10)] + [1.0 + 0.004 * i for i in range(50)]
    d = diagnose(make_run(train__loss=train, val__loss=val))
    assert d.first("overfitting") is not None
    assert d.first("flat_tail") is None
