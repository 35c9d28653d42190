import math

import pytest

from reporter.diagnose import Diagnosis, Finding, diagnose

SEEDLIKE = dict(
    train__loss=[0.62, 0.3, 0.2, 0.12, 0.09, 0.07, 0.06, 0.055, 0.05, 0.049, 0.048,
                 0.047, 0.048, 0.52, 0.51, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
    val__loss=[0.55, 0.28, 0.18, 0.1, 0.08, 0.065, 0.058, 0.052, 0.05, 0.049, 0.051,
               0.05, 0.052, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
    lr=[5e-4] * 21,
)


def test_diagnose_seedlike_spike_collapse_and_slow_reaction(make_run):
    d = diagnose(make_run(**SEEDLIKE))
    kinds = [f.kind for f in d.findings]
    assert "spike" in kinds and "collapse" in kinds and "slow_reaction" in kinds
    spike = d.primary_spike
    assert spike.start == 13.0
    assert spike.evidence["recovered"] is False
    collapse = d.first("collapse", "val/loss")
    assert math.isclose(collapse.evidence["plateau_level"], 0.5)
    late = d.first("slow_reaction")
    assert late.evidence["first_reduction"] is None  # the logged LR never went down
    assert d.severity == "critical"


def test_diagnose_nan_is_divergence(make_run):
    d = diagnose(make_run(train__loss=[1.0, 0.8, float("nan"), float("nan")]))
    div = d.first("divergence")
    assert div is not None and div.start == 2.0 and div.evidence["stays_nonfinite"] is True


def test_diagnose_clean_run_has_no_findings(make_run):
    d = diagnose(make_run(train__loss=[1.0, 0.8, 0.6, 0.5, 0.45, 0.4],
                          val__loss=[1.0, 0.85, 0.7, 0.6, 0.55, 0.52]))
    assert d.findings == []
    assert d.severity == "info"


def test_diagnose_overfitting(make_run):
    d = diagnose(make_run(train__loss=[1.0, 0.8, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1],
                          val__loss=[1.0, 0.8, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95]))
    over = d.first("overfitting")
    assert over is not None and over.start == 2.0


def test_diagnose_spike_that_recovers_is_no_collapse(make_run):
    d = diagnose(make_run(val__loss=[1.0, 0.5, 0.2, 0.1, 0.9, 0.12, 0.1, 0.09, 0.08]))
    assert d.first("spike").evidence["recovered"] is True
    assert d.first("collapse") is None


# --- spikes at the end of the log: too late to tell ---

DECAY = [1.0, 0.6, 0.4, 0.3, 0.25, 0.22, 0.2, 0.19, 0.18, 0.17]


@pytest.mark.parametrize(
    ("tail", "severity", "title_end"),
    [
        ([0.9], "warning", "the last logged point; too late to tell whether it recovers"),
        ([0.9, 0.85], "warning",
         "one point before the end of the log; too late to tell whether it recovers"),
        ([0.9, 0.85, 0.8], "critical", "did not recover before the end"),
    ],
)
def test_diagnose_spike_at_end_of_log_is_open_warning(make_run, tail, severity, title_end):
    d = diagnose(make_run(train__loss=DECAY + tail, lr=[1e-3] * (len(DECAY) + len(tail))))
    spike = d.first("spike")
    assert spike.severity == severity
    assert spike.title.endswith(title_end)
    assert spike.evidence["recovered"] is False
    assert spike.evidence["open_at_end"] is (severity == "warning")
    assert spike.evidence["points_after_onset"] == len(tail) - 1
    # the LR cannot have reacted to a spike the log ends on
    assert (d.first("slow_reaction") is None) is (severity == "warning")


# --- which spike the report is about ---


def _spike(metric="train/loss", start=5.0, ratio=3.0, recovered=True, open_at_end=False):
    return Finding(kind="spike", severity="warning", title="", metric=metric, start=start,
                   evidence={"recovered": recovered, "open_at_end": open_at_end,
                             "ratio": ratio})


@pytest.mark.parametrize(
    ("spikes", "expected"),
    [
        # unrecovered before open-at-end before recovered
        ([_spike(recovered=True, ratio=50), _spike(recovered=False, open_at_end=True, start=9),
          _spike(recovered=False, start=7)], 2),
        ([_spike(recovered=True, ratio=50), _spike(recovered=False, open_at_end=True)], 1),
        # among recovered ones: larger first, then later
        ([_spike(start=2, ratio=2.0), _spike(start=40, ratio=4.0)], 1),
        ([_spike(start=2, ratio=3.0), _spike(start=40, ratio=3.0)], 1),
        # validation loss before training loss
        ([_spike(ratio=9.0), _spike(metric="val/loss", ratio=3.0)], 1),
    ],
)
def test_diagnosis_primary_spike_prefers_unrecovered_larger_later(spikes, expected):
    assert Diagnosis(list(spikes)).primary_spike is spikes[expected]


def test_diagnose_startup_wobble_is_not_the_primary_spike(make_run):
    # r05-like: 2x at position 2 while the loss still falls fast, back within 1.5x at 3
    loss = [306.9, 162.5, 326.8, 243.6, 296.7, 168.6, 123.9, 93.4, 91.5, 85.0, 80.0, 75.0]
    d = diagnose(make_run(train__loss=loss))
    assert d.primary_spike is None


# --- no progress ---


@pytest.mark.parametrize(
    ("loss", "kinds"),
    [
        ([1.0] * 12, ["no_progress"]),
        ([1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.45, 0.4, 0.38, 0.36], []),
        # fell, then collapsed back to the start: collapse explains it, not "no progress"
        ([1.0, 0.5, 0.2, 0.1, 0.05, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0], ["spike", "collapse"]),
        # NaN at the end: divergence explains it
        ([1.0] * 11 + [float("nan")], ["divergence"]),
    ],
)
def test_diagnose_no_progress_wiring_table(make_run, loss, kinds):
    d = diagnose(make_run(train__loss=loss))
    assert sorted(f.kind for f in d.findings) == sorted(kinds)


def test_diagnose_flat_loss_is_a_warning_not_clean(make_run):
    d = diagnose(make_run(train__loss=[2.0, 2.0, 1.99, 2.01, 2.0, 2.0, 1.99, 2.0, 2.0, 2.0]))
    assert d.severity == "warning" and d.first("no_progress") is not None
