import math

from reporter.diagnose import diagnose

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
