"""The detectors added for issue 8, item 2: each rule on a small curve that shows it."""

import math

import numpy as np
import pytest

from reporter.diagnose import diagnose
from reporter.diagnose.collapse import find_collapse
from reporter.diagnose.grad_spikes import find_grad_spikes
from reporter.diagnose.no_progress import find_slow_divergence, find_stall
from reporter.diagnose.series import Curve


def _curve(y, metric="train/loss"):
    y = np.asarray(y, dtype=float)
    return Curve(metric, np.arange(len(y), dtype=float), y, "step")


def _noisy(n, seed=0, sigma=0.02):
    return np.exp(sigma * np.random.default_rng(seed).standard_normal(n))


# --- collapse without a detected spike ---


def test_find_collapse_gradual_return_to_start_level_without_spike_is_critical():
    n = 200
    y = 2.0 * np.exp(-np.arange(n) / 20) + 0.1
    y[100:] = np.exp(np.linspace(np.log(y[99]), np.log(1.8), 10).tolist()
                     + [np.log(1.8)] * 90)[:100]
    f = find_collapse(_curve(y * _noisy(n, sigma=0.01)), start=0)
    assert f is not None and f.severity == "critical" and 100 <= f.start <= 115


def test_find_collapse_healthy_floor_is_not_a_collapse():
    n = 200
    y = (2.0 * np.exp(-np.arange(n) / 20) + 0.1) * _noisy(n)
    assert find_collapse(_curve(y), start=0) is None


# --- stall after an early drop ---


def test_find_stall_flat_at_chance_after_early_drop_names_the_chance_level():
    n = 400
    level = math.log(8)
    y = np.where(np.arange(n) < 20, level * 1.3 ** (1 - np.arange(n) / 20), level)
    f = find_stall(_curve(y * _noisy(n, sigma=0.003)))
    assert f is not None and f.severity == "warning" and f.start <= 40
    assert f.evidence["chance_classes"] == 8 and "ln 8" in f.title


def test_find_stall_learning_run_is_not_a_stall():
    n = 400
    y = (2.0 * np.exp(-np.arange(n) / 80) + 0.2) * _noisy(n)
    assert find_stall(_curve(y)) is None


def test_diagnose_stall_read_on_training_loss_only(make_run):
    flat = [1.0, 0.7] + [0.69] * 30
    d = diagnose(make_run(train__loss=[1.0 - 0.02 * i for i in range(32)], val__loss=flat))
    assert d.first("stall") is None


# --- grad-norm spikes ---


@pytest.mark.parametrize(("loss_jump", "reacted"), [(1.0, False), (3.0, True)])
def test_find_grad_spikes_jump_found_with_loss_reaction(loss_jump, reacted):
    n = 300
    g = 4.0 * _noisy(n, 1, 0.1)
    g[150] = 82.0
    loss = (2.0 * np.exp(-np.arange(n) / 100) + 0.5) * _noisy(n, 2)
    loss[150] *= loss_jump
    (f,) = find_grad_spikes(_curve(g, "grad_norm"), _curve(loss))
    assert f.kind == "grad_spike" and f.start == 150.0 and f.severity == "warning"
    assert f.evidence["loss_reacted"] is reacted


def test_find_grad_spikes_noisy_healthy_grad_norm_has_none():
    g = 4.0 * _noisy(1000, 5, 0.2)
    assert find_grad_spikes(_curve(g, "grad_norm"), None) == []


# --- slow divergence ---


def test_find_slow_divergence_gradual_rise_is_found_at_its_turn():
    n = 300
    t = np.arange(n)
    y = (2.0 * np.exp(-t / 30) + 0.5) * (1 + 1.0 * (np.clip(t - 150, 0, None) / 150) ** 1.5)
    f = find_slow_divergence(_curve(y * _noisy(n)))
    assert f is not None and 140 <= f.start <= 200 and f.evidence["ratio"] >= 1.2


def test_find_slow_divergence_falling_loss_is_none():
    n = 300
    y = (2.0 * np.exp(-np.arange(n) / 30) + 0.5) * _noisy(n, 3, 0.1)
    assert find_slow_divergence(_curve(y)) is None


# --- overfitting on any evaluation set, also with a spike ---


def test_diagnose_overfitting_on_one_of_several_eval_sets(make_run):
    train = [1.0 - 0.05 * i for i in range(16)]
    steady = [1.0 - 0.03 * i for i in range(16)]
    rising = [1.0, 0.8, 0.7, 0.65, 0.64, 0.66, 0.7, 0.74, 0.78, 0.82, 0.86, 0.9, 0.94, 0.98,
              1.0, 1.02]
    d = diagnose(make_run(train__loss=train, val__chat__loss=steady, val__code__loss=rising))
    over = d.first("overfitting")
    assert over is not None and over.metric == "val/code/loss" and over.start in (3.0, 4.0)


def test_diagnose_overfitting_kept_when_the_run_also_has_a_spike(make_run):
    train = [1.0 - 0.05 * i for i in range(16)]
    train[10] = 3.0
    val = [1.0, 0.8, 0.7, 0.65, 0.64, 0.66, 0.7, 0.74, 0.78, 0.82, 0.86, 0.9, 0.94, 0.98,
           1.0, 1.02]
    d = diagnose(make_run(train__loss=train, val__loss=val))
    assert d.first("spike") is not None and d.first("overfitting") is not None


def test_diagnose_overfitting_on_one_eval_set_while_another_holds_and_train_is_flat(make_run):
    train = [0.5, 0.46] + [0.45] * 14
    steady = [1.0, 0.8, 0.7, 0.66, 0.65] + [0.65] * 11
    rising = [1.0, 0.8, 0.7, 0.65, 0.64, 0.66, 0.7, 0.74, 0.78, 0.82, 0.86, 0.9, 0.94, 0.98,
              1.0, 1.02]
    d = diagnose(make_run(train__loss=train, val__chat__loss=steady, val__code__loss=rising))
    over = d.first("overfitting")
    assert over is not None and over.metric == "val/code/loss"
    assert over.evidence["train_fell"] is False
    assert over.evidence["steady_eval"] == "val/chat/loss"


def test_diagnose_gan_generator_loss_is_not_judged_by_its_trend(tmp_path):
    """A generator loss that does not fall is a GAN at work, not a stall (the loss-choice note
    says so); a NaN in it is still a finding."""
    import json

    import reporter

    flat = [2.0 + 0.05 * ((i * 7) % 5) for i in range(60)]
    path = tmp_path / "history.json"
    path.write_text(json.dumps({"G_loss": flat, "D_loss": [0.6] * 60}))
    kinds = {f.kind for f in reporter.analyze(path, confirm="off").diagnosis.findings}
    assert not kinds & {"no_progress", "stall", "slow_divergence"}
    path.write_text(json.dumps({"G_loss": [*flat[:30], float("nan"), *flat[31:]],
                                "D_loss": [0.6] * 60}))
    kinds = {f.kind for f in reporter.analyze(path, confirm="off").diagnosis.findings}
    assert "divergence" in kinds


# --- slow divergence: a quiet rise, where it left its floor, a step that came down ---


def test_find_slow_divergence_quiet_small_rise_is_found_by_its_standard_error():
    # 1% noise: an 11% rise over the last half is many standard errors, below the 1.2x ratio
    n = 200
    t = np.arange(n)
    y = (2.0 * np.exp(-t / 20) + 2.0) * (1 + 0.12 * np.clip(t - 100, 0, None) / 100)
    f = find_slow_divergence(_curve(y * _noisy(n, 4, 0.01)))
    assert f is not None and f.evidence["ratio"] < 1.2
    assert np.log(f.evidence["ratio"]) >= 8 * f.evidence["rise_error"]


def test_find_slow_divergence_noisy_floor_with_the_same_rise_is_none():
    # 8% noise: the same 11% rise is within the standard error of the two medians
    n = 200
    t = np.arange(n)
    y = (2.0 * np.exp(-t / 20) + 2.0) * (1 + 0.12 * np.clip(t - 100, 0, None) / 100)
    assert find_slow_divergence(_curve(y * _noisy(n, 4, 0.08))) is None


def test_find_slow_divergence_onset_is_where_a_flat_floor_ends():
    # flat (noisy) from 30 to 120, then a rise: the lowest point of the floor is where the
    # noise put it; the turn is where the curve left the floor
    n = 240
    t = np.arange(n)
    y = np.where(t < 30, 3.0 - t / 30, 2.0) * (1 + 0.8 * (np.clip(t - 120, 0, None) / 120))
    f = find_slow_divergence(_curve(y * _noisy(n, 5, 0.02)))
    assert f is not None and 110 <= f.start <= 150 and f.evidence["lowest_at"] <= f.start


def test_find_slow_divergence_step_up_that_comes_down_since_is_none():
    # YOLO's close-mosaic step (r13): a jump at 60% of the run, falling again after it
    n = 250
    t = np.arange(n)
    y = 2.0 + np.exp(-t / 30) + np.where(t >= 150, 0.4 * np.exp(-(t - 150) / 200), 0.0)
    assert find_slow_divergence(_curve(y * _noisy(n, 6, 0.005))) is None


def test_find_collapse_slow_climb_back_to_the_start_is_a_slow_divergence(make_run):
    # a loss that climbs for 100 points to 0.85x its first value and holds there for the last
    # 20 is rising, not collapsed onto a flat plateau
    n = 200
    t = np.arange(n)
    low = 0.4 + 1.6 * np.exp(-t / 15)
    y = np.where(t < 80, low, low[79] + (1.7 - low[79]) * np.clip((t - 80) / 100, 0, 1))
    y = y * _noisy(n, 7, 0.01)
    assert find_collapse(_curve(y), start=0) is None
    kinds = {f.kind for f in diagnose(make_run(train__loss=y.tolist())).findings}
    assert "slow_divergence" in kinds and "collapse" not in kinds


def test_find_collapse_jump_to_the_start_level_that_stays_is_still_a_collapse():
    n = 200
    t = np.arange(n)
    y = np.where(t < 80, 0.4 + 1.6 * np.exp(-t / 15), 1.7) * _noisy(n, 7, 0.01)
    f = find_collapse(_curve(y), start=0)
    assert f is not None and 80 <= f.start <= 84 and f.evidence["climb_points"] <= 3


# --- overfitting starts where the loss left its floor ---


def test_diagnose_overfitting_starts_where_a_flat_floor_ends(make_run):
    train = [1.0 - 0.04 * i for i in range(20)]
    val = [1.0, 0.8, 0.7, 0.6, 0.600, 0.601, 0.602, 0.601, 0.602, 0.603, 0.62, 0.65, 0.68,
           0.71, 0.74, 0.77, 0.8, 0.83, 0.86, 0.89]
    over = diagnose(make_run(train__loss=train, val__loss=val)).first("overfitting")
    assert over is not None and over.start == 9.0 and over.evidence["val_best_at"] <= 5.0
    assert "after epoch 9" in over.title


# --- the event rules on a GAN's discriminator loss ---


def test_diagnose_discriminator_spike_is_found_and_its_level_is_not_judged(make_run):
    g = (1.0 * _noisy(120, 8, 0.05)).tolist()
    d = 0.5 * _noisy(120, 9, 0.05)
    d[70] = 2.0
    rising = 0.5 * np.linspace(1.0, 2.0, 120) * _noisy(120, 10, 0.02)
    found = diagnose(make_run(train__loss=g, D_loss=d.tolist())).findings
    assert [(f.kind, f.start) for f in found if f.metric == "D_loss"] == [("spike", 70.0)]
    found = diagnose(make_run(train__loss=g, D_loss=rising.tolist())).findings
    assert [f for f in found if f.metric == "D_loss"] == []


# --- a noisy flat floor: its lowest running median dipped by chance ---


def _floor(seed, rise=0.0, n=400):
    """A loss that falls to 0.3 in ~100 points and stays, 20% noise of log; ``rise``: × (1 +
    rise) by the end over the last half."""
    t = np.arange(n)
    base = (0.3 + 1.2 * np.exp(-t / 30)) * (1 + rise * np.clip(t - n // 2, 0, None) / (n // 2))
    return base * np.exp(0.2 * np.random.default_rng(seed).standard_normal(n))


@pytest.mark.parametrize("seed", [24, 34, 47, 48, 52])
def test_find_slow_divergence_noisy_flat_floor_is_none(seed):
    # each of these ends ≥ 1.2x its lowest running median of 20 points: the lowest of about
    # twenty such medians, which lies ~2.4 of a median's errors below the level by chance
    assert find_slow_divergence(_curve(_floor(seed))) is None


@pytest.mark.parametrize("seed", [24, 34, 47])
def test_find_slow_divergence_rise_on_the_same_noisy_floor_is_found(seed):
    f = find_slow_divergence(_curve(_floor(seed, rise=0.6)))
    assert f is not None and 150 <= f.start <= 280


# --- overfitting: the floor is the lowest level the loss held, not a dip ---


def _eval_floor(end_rise: float) -> list[float]:
    """100 evaluations: a fall to 1.0 by point 10, 1% noise, three points dipped to 0.88 at
    60-62; ``end_rise``: a rise to 1 + end_rise over the last 40."""
    t = np.arange(100)
    v = np.where(t < 10, 2.0 - t / 10, 1.0) * _noisy(100, 11, 0.01)
    v[60:63] = 0.88
    return (v * (1 + end_rise * np.clip(t - 60, 0, None) / 40)).tolist()


def test_diagnose_overfitting_dip_of_a_flat_eval_floor_is_not_its_best(make_run):
    # the end (median of the last 10) is 1.14x the dip's median of 3, but not 1.1x the lowest
    # median of 10 consecutive points
    train = np.linspace(1.0, 0.5, 100).tolist()
    found = diagnose(make_run(train__loss=train, val__loss=_eval_floor(0.0)))
    assert found.first("overfitting") is None


def test_diagnose_overfitting_rise_from_the_same_floor_is_found(make_run):
    train = np.linspace(1.0, 0.5, 100).tolist()
    over = diagnose(make_run(train__loss=train, val__loss=_eval_floor(0.18))).first("overfitting")
    assert over is not None and 55 <= over.start <= 75


# --- a loss that fell and climbed back above its start did go down ---


def test_diagnose_climb_back_above_the_first_value_is_a_slow_divergence(make_run):
    n = 300
    t = np.arange(n)
    y = (0.5 + 1.5 * np.exp(-t / 20)) * (1 + 4.0 * (np.clip(t - 100, 0, None) / 200) ** 1.5)
    kinds = [f.kind for f in diagnose(make_run(train__loss=(y * _noisy(n, 12)).tolist()))
             .findings if f.metric == "train/loss"]
    assert y[-1] > y[0] and kinds == ["slow_divergence"]


def test_diagnose_loss_that_never_went_down_is_still_no_progress(make_run):
    n = 300
    y = 2.0 * np.linspace(1.0, 1.02, n) * _noisy(n, 12)
    kinds = [f.kind for f in diagnose(make_run(train__loss=y.tolist())).findings
             if f.metric == "train/loss"]
    assert kinds == ["no_progress"]
