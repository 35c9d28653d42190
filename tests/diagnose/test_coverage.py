"""Every diagnosis lists the checks that ran and those skipped with the reason."""

from __future__ import annotations

from reporter.diagnose import diagnose


def _by_name(d):
    return {c.name: c for c in d.coverage}


def test_coverage_train_loss_only_names_what_was_skipped(make_run):
    d = diagnose(make_run(train__loss=[1.0, 0.8, 0.6, 0.5, 0.45, 0.4]))
    checks = _by_name(d)
    assert checks["spikes"].ran and checks["spikes"].detail == "train/loss"
    assert not checks["overfitting"].ran
    assert checks["overfitting"].detail == "no validation loss logged"
    assert checks["gradient-norm spikes"].detail == "no gradient norm logged"
    assert checks["long flat tail at the minimum LR"].detail == "no learning rate logged"
    assert not checks["crash and fatal lines (traceback, OOM, NCCL, DataLoader, AMP overflow)"].ran


def test_coverage_with_validation_and_lr_runs_those_checks(make_run):
    d = diagnose(make_run(train__loss=[1.0, 0.8, 0.6, 0.5, 0.45, 0.4],
                          val__loss=[1.0, 0.85, 0.7, 0.6, 0.55, 0.52], lr=[1e-3] * 6))
    checks = _by_name(d)
    assert checks["overfitting"].ran and checks["overfitting"].detail == "val/loss"
    assert checks["long flat tail at the minimum LR"].detail == "lr, val/loss"
    assert checks["slow LR reaction to a spike"].detail == "no spike that stayed high"
