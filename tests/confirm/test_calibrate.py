"""The confirmation reproduces the run's failure before it measures any option."""

import numpy as np
import pytest

from replay import ConstantSchedule, CosineAnnealingLR, ReduceLROnPlateau, StepLR, lr_trajectory
from reporter.confirm.calibrate import (
    CANDIDATES,
    Target,
    calibrate,
    confirm_calibrated,
    failure_target,
    finish,
    reproduces,
    scale_lr,
)
from reporter.confirm.spec import ProxyTask, TrialSpec
from reporter.confirm.summary import SeedOutcome, summarize_seeds
from reporter.diagnose import Diagnosis, Finding
from reporter.diagnose.series import Curve


def _outcome(seed=0, *, onsets=(), outcome="ok", epochs=40):
    return SeedOutcome(seed=seed, spiked=bool(onsets), spike_epoch=onsets[0] if onsets else None,
                       collapsed=outcome == "collapsed", diverged=outcome == "diverged",
                       best_val=0.01, final_val=0.02, epochs=epochs, stopped_at=None,
                       outcome=outcome, spike_onsets=tuple(onsets))


def _spike(start, recovered):
    return Finding(kind="spike", severity="critical", title="", metric="val/loss", start=start,
                   evidence={"recovered": recovered, "ratio": 30.0})


def _diagnosis(*findings, length=40):
    curve = Curve("val/loss", np.arange(length, dtype=float), np.ones(length))
    return Diagnosis(list(findings), {"val/loss": curve})


def test_target_is_the_worst_failure_of_the_run():
    collapse = Finding(kind="collapse", severity="critical", title="", metric="val/loss",
                       start=30.0)
    assert failure_target(_diagnosis(_spike(20.0, False), collapse)).kind == "collapse"
    div = Finding(kind="divergence", severity="critical", title="", metric="val/loss")
    assert failure_target(_diagnosis(_spike(20.0, False), div)).kind == "divergence"
    target = failure_target(_diagnosis(_spike(20.0, True)))
    assert (target.kind, target.recovered, target.relative_onset) == ("spike", True, 0.5)
    assert failure_target(_diagnosis()) is None


def test_a_spike_reproduces_only_near_the_same_relative_point():
    target = Target("spike", relative_onset=0.5, recovered=True)
    assert reproduces(_outcome(onsets=(18,), outcome="recovered_bump"), target)  # 0.45
    assert not reproduces(_outcome(onsets=(2,), outcome="recovered_bump"), target)  # 0.05
    assert not reproduces(_outcome(), target)


def test_an_unrecovered_spike_needs_a_failed_seed():
    target = Target("spike", relative_onset=0.5, recovered=False)
    assert not reproduces(_outcome(onsets=(20,), outcome="recovered_bump"), target)
    assert reproduces(_outcome(onsets=(20,), outcome="unrecovered_spike"), target)


def test_collapse_and_divergence_need_their_own_outcome():
    assert reproduces(_outcome(onsets=(20,), outcome="collapsed"), Target("collapse"))
    assert not reproduces(_outcome(onsets=(20,), outcome="unrecovered_spike"),
                          Target("collapse"))
    assert reproduces(_outcome(outcome="diverged"), Target("divergence"))


@pytest.mark.parametrize("sched", [None, ConstantSchedule(), StepLR(step_size=3, gamma=0.5),
                                   CosineAnnealingLR(T_max=10, eta_min=0.001),
                                   ReduceLROnPlateau(factor=0.5, patience=1, min_lr=0.002)])
def test_scale_lr_scales_the_whole_trajectory(sched):
    spec = TrialSpec(learning_rate=0.01, scheduler=sched, epochs=12)
    scaled = scale_lr(spec, 3.0)
    assert scaled.learning_rate == pytest.approx(0.03)
    if sched is None:
        return
    metric = [1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9]
    before = lr_trajectory(sched, spec.learning_rate, 12, metric).lr
    after = lr_trajectory(scaled.scheduler, scaled.learning_rate, 12, metric).lr
    np.testing.assert_allclose(after, 3.0 * before, rtol=1e-12)


class FakeRunner:
    """The first ``hits[(head_size, noise, lr)]`` seeds of a variant reproduce (default 0)."""

    def __init__(self, hits):
        self.hits, self.calls = hits, []

    def __call__(self, task, specs, seeds):
        self.calls.append((task, specs, seeds))
        out = {}
        for name, spec in specs.items():
            k = self.hits.get((task.head_size, task.noise, round(spec.learning_rate, 6)), 0)
            out[name] = [_outcome(s, outcome="collapsed" if s < k else "ok")
                         for s in range(seeds)]
        return out


def test_calibrate_keeps_the_first_variant_reproducing_in_a_majority():
    run = FakeRunner({(4, 0.0, 0.05): 1, (4, 0.0, 0.1): 3, (8, 0.1, 0.05): 4})
    cal = calibrate(TrialSpec(learning_rate=0.05), Target("collapse"), run)
    assert [(s.head_size, s.lr_scale, s.reproduced, s.seeds) for s in cal.tried] == [
        (8, 1.0, 0, 2), (8, 2.0, 0, 2), (4, 1.0, 1, 4), (4, 2.0, 3, 4)]
    assert cal.chosen == 3 and (cal.lr_scale, cal.head_size) == (2.0, 4)
    assert cal.trials == 2 * 2 + 2 * 2 + 2 * 4  # the noisy variant is never tried
    # both scales of a variant train in one call; only those that can still win go on
    assert [sorted(specs) for _, specs, _ in run.calls] == [
        ["current ×1", "current ×2"], ["current ×1", "current ×2"],
        ["current ×1", "current ×2"]]
    assert run.calls[-1][1]["current ×2"].learning_rate == pytest.approx(0.1)


def test_calibrate_without_a_majority_keeps_the_unchanged_proxy_and_says_so():
    run = FakeRunner({(8, 0.0, 0.05): 1, (4, 0.0, 0.1): 1})
    cal = calibrate(TrialSpec(learning_rate=0.05), Target("collapse"), run)
    assert cal.chosen is None
    assert len(cal.tried) == sum(len(scales) for _, scales in CANDIDATES)
    assert (cal.lr_scale, cal.head_size, cal.noise) == (1.0, ProxyTask().head_size, 0.0)
    current = summarize_seeds(tuple(_outcome(s) for s in range(8)))
    done = finish(cal, current, Target("collapse"))
    assert (done.reproduced, done.n, done.confirmed) == (0, 8, False)
    assert "could not reproduce the instability" in done.text
    assert "None reproduced it" in done.text
    # an LR scale was tried: the text says it applies to every setting alike
    assert "each option alike" in done.text and "ran at ×1 the run's LR" in done.text


def test_finish_counts_the_confirmation_seeds():
    cal = calibrate(TrialSpec(learning_rate=0.05), Target("collapse"),
                    FakeRunner({(8, 0.0, 0.05): 4}))
    assert (cal.chosen, cal.lr_scale, cal.trials) == (0, 1.0, 2 * 2 + 4)  # ×2: 0 of 2, stops
    seeds = tuple(_outcome(s, outcome="collapsed" if s < 5 else "ok") for s in range(8))
    done = finish(cal, summarize_seeds(seeds), Target("collapse"))
    assert (done.reproduced, done.n, done.confirmed) == (5, 8, True)
    assert "reproduced it in 5 of 8 seeds" in done.text
    assert "could not" not in done.text


def _tiny(workers):
    spec = TrialSpec(learning_rate=0.05, epochs=3)
    task = ProxyTask(n_train=48, n_val=16, hidden_size=4, head_size=2, batch_size=16)
    trials = {"current": spec, "half": TrialSpec(learning_rate=0.025, epochs=3)}
    result, summaries, cal = confirm_calibrated(trials, Target("collapse"), seeds=2,
                                                workers=workers, task=task)
    return result, summaries, cal


@pytest.mark.slow
def test_the_same_numbers_whatever_the_workers():
    one, two = _tiny(1), _tiny(2)
    assert two[0].workers == 2
    for name in ("current", "half"):
        for a, b in zip(one[0].trials[name].runs, two[0].trials[name].runs, strict=True):
            assert a.seed == b.seed
            np.testing.assert_array_equal(a.val_loss, b.val_loss)
            np.testing.assert_array_equal(a.train_loss, b.train_loss)
    for name in ("current", "half"):  # every judged number, the wall time aside
        assert {**vars(one[1][name]), "seconds": 0} == {**vars(two[1][name]), "seconds": 0}
    assert one[2].text == two[2].text
