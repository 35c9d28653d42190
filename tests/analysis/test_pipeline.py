"""End to end on a seed-like run: analysis, labels, fidelity, options."""

import importlib.util
from pathlib import Path

import pytest

import reporter
from reporter.analysis.model import SCHEMA_VERSION

SEEDLIKE = Path(__file__).parents[1] / "seedlike.py"
_spec = importlib.util.spec_from_file_location("seedlike", SEEDLIKE)
seedlike = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(seedlike)


@pytest.fixture(scope="module")
def analysis(tmp_path_factory):
    run = seedlike.write_seedlike(tmp_path_factory.mktemp("seedlike"))
    return reporter.analyze(run, confirm="off")


def test_analyze_seedlike_headline_names_the_spike_epoch(analysis):
    assert analysis.headline == "Loss Spike at Epoch 13, Then a Flat Plateau"


def test_analyze_seedlike_config_reproduces_the_logged_lr(analysis):
    assert analysis.fidelity.status == "match"
    assert analysis.fidelity.alignment == "used"
    # early stopping (patience 15) replayed over val loss stops at the last logged epoch
    assert analysis.fidelity.stop.matches is True


def test_analyze_seedlike_current_plateau_reduces_after_the_spike(analysis):
    cur = analysis.current.replay
    # best val loss at epoch 9, patience 10: torch reduces in the step after epoch 20
    assert cur.first_reduction == 20
    assert cur.observed_lr_at_onset == 5e-4


def test_analyze_seedlike_options_are_replayed_with_labels(analysis):
    by_key = {o.key: o for o in analysis.options}
    assert list(by_key)[:3] == ["faster_plateau", "cosine", "lower_lr"]
    # the spike does not recover and the run logs grad norms: the diagnosis calls for these
    assert set(list(by_key)[3:]) <= {"adaptive_clip", "rewind_skip"}
    fast = by_key["faster_plateau"].replay
    assert fast.first_reduction + 1 <= 13  # acts before the spike
    assert fast.lr_at_onset_label == "exact replay"
    cos = by_key["cosine"].replay
    # CosineAnnealingLR(T_max=50) at epoch 13 is only ~16 % below the base LR
    assert cos.lr_at_onset == pytest.approx(5e-4 * 0.84375, rel=1e-3)
    assert cos.lr_at_onset_label == "exact replay"
    low = by_key["lower_lr"].replay
    assert low.lr_at_onset_label == "conditional replay"
    assert low.horizon == 0


def test_analyze_seedlike_recommendation_is_labelled_replay_without_confirmation(analysis):
    assert analysis.recommendation.basis == "replay"
    assert analysis.confirmation is None


def test_analyze_json_has_no_nan(analysis):
    import json

    text = reporter.render(analysis, "json")
    data = json.loads(text)
    assert data["schema_version"] == SCHEMA_VERSION and data["headline"] == analysis.headline


def test_analyze_confirms_on_the_users_entry_point(tmp_path):
    run = seedlike.write_seedlike(tmp_path / "run")
    entry = Path(__file__).resolve().parents[2] / "samples" / "entry_point" / "my_model.py"
    a = reporter.analyze(run, confirm=f"{entry}:build", seeds=1)
    conf = a.confirmation
    assert conf.kind == "entry" and conf.subject == "your model"
    # rewind-and-skip is not trained (a note says so); adaptive clipping (ZClip) is
    assert set(conf.trials) == {"current", "faster_plateau", "cosine", "lower_lr",
                                "adaptive_clip"}
    assert any("rewind" in n.lower() for n in conf.notes)
    assert all(t.n == 1 for t in conf.trials.values())
    assert "Your own model" in conf.task


def test_analyze_rejects_a_confirm_value_that_is_no_entry_point(tmp_path):
    run = seedlike.write_seedlike(tmp_path / "run")
    with pytest.raises(reporter.errors.UsageError, match="--confirm must be off, proxy") as info:
        reporter.analyze(run, confirm="prxy")
    assert info.value.hint == "did you mean 'proxy'?"


def test_a_setting_that_trained_exactly_as_the_current_one_is_named():
    from types import SimpleNamespace as NS

    import numpy as np

    from reporter.analysis.pipeline import _same_as_current

    def trial(*curves):
        return NS(runs=[NS(seed=i, val_loss=np.array(c)) for i, c in enumerate(curves)])

    result = NS(trials={"current": trial([1.0, 0.5], [1.0, np.nan]),
                        "same": trial([1.0, 0.5], [1.0, np.nan]),
                        "other": trial([1.0, 0.5], [1.0, 0.4])})
    assert _same_as_current(result) == ["same"]


def test_an_unidentified_moving_lr_is_replayed_as_logged_not_as_a_constant(tmp_path):
    import json

    import numpy as np

    rng = np.random.default_rng(0)
    n = 30
    loss = list(2.0 * np.exp(-np.arange(n) / 8) + 0.3 + 0.005 * rng.standard_normal(n))
    loss[20:] = [3.0] * 10  # a spike that does not recover
    lr = [0.1, 0.1, 0.09, 0.05, 0.07, 0.08, 0.03, 0.06] * 4  # no rule reproduces this
    history = {"loss": loss, "val_loss": loss, "lr": lr[:n]}
    (tmp_path / "history.json").write_text(json.dumps(history))
    a = reporter.analyze(tmp_path / "history.json", confirm="off")
    assert a.fidelity.status == "unidentified"
    assert "follow the logged LR" in a.fidelity.text
    assert a.current.replay.lr == pytest.approx(lr[:n])
    # an option that keeps the run's schedule follows that logged path too; one that sets its
    # own schedule does not
    kept = [o for o in a.options if o.key in ("rewind_skip", "adaptive_clip")]
    assert kept and all(o.replay.lr == pytest.approx(lr[:n]) for o in kept)
    cosine = next(o for o in a.options if o.key == "cosine")
    assert cosine.replay.lr != pytest.approx(lr[:n])
