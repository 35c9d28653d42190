"""Lead times of our rule run live, and the live guards scored against a run's findings."""

from __future__ import annotations

import numpy as np

from reporter.diagnose import diagnose
from reporter.diagnose.early_warning import early_warnings, live_guards


def _falling(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (2.0 * np.exp(-np.arange(n) / 15) + 0.5) * np.exp(0.01 * rng.standard_normal(n))


def test_a_spike_before_the_first_nan_is_the_early_warning(make_run):
    y = _falling(40)
    y[30:33] = [2.5, 4.0, 9.0]  # the spike the check fires on, three epochs before the NaN
    y[33:] = np.nan
    found = diagnose(make_run(train__loss=list(y)))
    by_kind = {w.kind: w for w in early_warnings(found)}
    div = by_kind["divergence"]
    assert div.fired_at == 30.0 and div.worst == "first non-finite value"
    assert div.worst_at == 33.0 and div.lead == 3.0 and div.lead_points == 3
    spike = by_kind["spike"]
    assert spike.worst == "peak" and spike.worst_at == 32.0 and spike.lead == 2.0


def test_a_nan_out_of_nowhere_has_no_lead(make_run):
    y = _falling(40)
    y[35:] = np.nan
    (div,) = [w for w in early_warnings(diagnose(make_run(train__loss=list(y))))
              if w.kind == "divergence"]
    assert div.lead == 0.0 and div.fired_at == 35.0


def test_guards_count_alarms_on_findings_and_on_healthy_stretches(make_run):
    y = _falling(60)
    y[45:48] = [3.0, 4.0, 3.5]
    found = diagnose(make_run(train__loss=list(y)))
    guards = live_guards(found)
    assert guards is not None and guards.axis == "epoch" and not guards.exact
    lightning = next(g for g in guards.replays if g.name == "Lightning SpikeDetection")
    assert lightning.first_fire == 45.0 and lightning.on_findings == 1
    assert lightning.on_healthy == 0
    assert all(g.alarms == g.on_findings + g.on_healthy for g in guards.replays)


def test_a_healthy_run_has_no_warning_and_only_healthy_alarms(make_run):
    found = diagnose(make_run(train__loss=list(_falling(60))))
    assert early_warnings(found) == ()
    guards = live_guards(found)
    assert guards is not None
    assert all(g.on_findings == 0 for g in guards.replays)


def test_no_training_loss_no_guards(make_run):
    assert live_guards(diagnose(make_run(val__loss=list(_falling(20))))) is None
