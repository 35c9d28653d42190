"""The recommendation: measured only when the failure was reproduced, and honest about it."""

from types import SimpleNamespace

from reporter.confirm.calibrate import Target, finish, uncalibrated
from reporter.confirm.summary import SeedOutcome, summarize_seeds
from reporter.remedies.recommend import overlap, recommend

DIAGNOSIS = SimpleNamespace(findings=(SimpleNamespace(kind="spike"),))


def _option(key, lr_ratio, label="exact replay"):
    replay = SimpleNamespace(acted_before_spike=True, lr_at_onset=0.05 * lr_ratio,
                             observed_lr_at_onset=0.05, lr_at_onset_label=label)
    return SimpleNamespace(key=key, title=key.capitalize(), replay=replay)


def _trial(failed, best, n=8):
    seeds = tuple(
        SeedOutcome(seed=s, spiked=s < failed, spike_epoch=20 if s < failed else None,
                    collapsed=s < failed, diverged=False, best_val=best * (1 + 0.01 * s),
                    final_val=0.5 if s < failed else best, epochs=30, stopped_at=None,
                    outcome="collapsed" if s < failed else "ok",
                    spike_onsets=(20,) if s < failed else ())
        for s in range(n))
    return summarize_seeds(seeds)


def _confirmation(trials):
    target = Target("collapse")
    cal = finish(uncalibrated(target), trials["current"], target)
    return SimpleNamespace(trials=trials, calibration=cal, where="on the proxy task")


OPTIONS = [_option("cosine", 0.44), _option("lower", 0.5)]


def _recommend(**trials):
    return recommend(OPTIONS, _confirmation(trials), DIAGNOSIS)


def test_overlap():
    assert overlap((0, 1), (1, 2))
    assert not overlap((0, 0.3), (0.5, 1))
    assert overlap(None, (0, 1))


def test_measured_when_reproduced_and_significant():
    rec = _recommend(current=_trial(8, 1e-4), cosine=_trial(0, 1e-4), lower=_trial(7, 1e-4))
    assert (rec.option, rec.basis) == ("cosine", "measured")
    assert "0 of 8 seeds (95% interval 0%–32%)" in rec.text
    assert "significantly lower" in rec.text
    assert "no significant" not in rec.text.lower()


def test_overlapping_failure_intervals_say_no_significant_difference():
    rec = _recommend(current=_trial(6, 1e-4), cosine=_trial(3, 1e-4), lower=_trial(5, 1e-4))
    assert rec.option == "cosine"
    assert "No significant difference in failure rate from the current settings" in rec.text
    assert "Against the next option, Lower (5 of 8), there is no significant difference" \
        in rec.text


def test_a_worse_loss_is_said():
    rec = _recommend(current=_trial(8, 1e-5), cosine=_trial(0, 1e-3), lower=_trial(4, 1e-6))
    assert rec.option == "cosine"
    assert "worse than under the current settings" in rec.text
    assert "significant difference, the 95% bootstrap intervals do not overlap" in rec.text
    assert "Lower reached a lower median best validation loss" in rec.text


def test_not_reproduced_falls_back_to_the_replay_and_says_so():
    rec = _recommend(current=_trial(1, 1e-4), cosine=_trial(0, 1e-3), lower=_trial(0, 1e-5))
    # the replay's order (lowest LR at the spike), not the measured loss or failures
    assert (rec.option, rec.basis) == ("cosine", "replay, with measured costs")
    assert "could not reproduce the instability" in rec.text
    assert "1 of 8 seeds" in rec.text


def test_an_option_that_was_not_trained_is_not_looked_up():
    rec = _recommend(current=_trial(8, 1e-4), lower=_trial(0, 1e-4))
    assert (rec.option, rec.basis) == ("lower", "measured")


def test_without_a_confirmation_the_replay_decides():
    rec = recommend(OPTIONS, None, DIAGNOSIS)
    assert (rec.option, rec.basis) == ("cosine", "replay")
