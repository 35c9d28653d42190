"""A remedy Context built from plain arrays, without reading a run."""

from __future__ import annotations

import numpy as np
import pytest

import replay
from reporter.diagnose.findings import Finding
from reporter.remedies.catalog import Context, Plan


def spike_finding(onset: int, *, recovered: bool = False, best_at: int | None = None,
                  peak: int | None = None, metric: str = "val/loss") -> Finding:
    return Finding(
        kind="spike", severity="critical", title="", metric=metric, start=float(onset),
        evidence={"recovered": recovered, "best_at": float(best_at if best_at is not None
                                                           else onset - 1),
                  "peak": float(peak if peak is not None else onset)})


def make_ctx(metric, onset, *, framework="torch", lr=None, grad=None, recovered=False,
             best_at=None, base_lr=None, axis="epoch") -> Context:
    y = np.asarray(metric, dtype=float)
    x = np.arange(len(y), dtype=float)
    g = None if grad is None else np.asarray(grad, dtype=float)
    return Context(
        metric=y, metric_name="val/loss",
        observed_lr=None if lr is None else np.full(len(y), lr, dtype=float),
        grad_norm=g, onset=onset, best_at=best_at, axis=axis, base_lr=base_lr,
        onset_x=float(onset), framework=framework, x=x,
        grad_norm_steps=None if g is None else (x, g),
        spike=spike_finding(onset, recovered=recovered, best_at=best_at),
    )


def make_plan(lr=1e-3, *, epochs=40, scheduler=None, clip=None, assumed=False) -> Plan:
    return Plan(learning_rate=lr, scheduler=scheduler or replay.ConstantSchedule(),
                early_stopping=None, clip_grad_norm=clip, epochs=epochs,
                learning_rate_assumed=assumed,
                learning_rate_source="assumed" if assumed else "config")


@pytest.fixture
def falling():
    """A val loss that falls with small wiggles for 30 epochs, spikes at 30 and stays up."""
    rng = np.random.default_rng(3)
    y = 1.0 / (1 + np.arange(40)) * np.exp(rng.normal(0, 0.01, 40))
    y[8:30] = y[8] * np.exp(rng.normal(0, 0.01, 22))  # a plateau: a plateau rule can act
    y[30:] = 5.0
    return y


@pytest.fixture
def ctx_of():
    """``make_ctx`` as a fixture: ``ctx_of(metric, onset, framework=..., lr=..., grad=...)``."""
    return make_ctx


@pytest.fixture
def plan_of():
    """``make_plan`` as a fixture: ``plan_of(lr, epochs=..., scheduler=..., assumed=...)``."""
    return make_plan
