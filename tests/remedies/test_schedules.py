"""Cosine and lower-LR options: a value reporter only assumed is changed relatively."""

from __future__ import annotations

import numpy as np

import replay
from reporter.remedies.apply import code_lines
from reporter.remedies.catalog import replay_plan
from reporter.remedies.plan import Relative
from reporter.remedies.schedules import cosine, cosine_already, lower_lr


def test_assumed_lr_is_halved_relatively_never_as_a_number(falling, ctx_of, plan_of):
    # issue 10: an absolute 0.0005 from an assumed 0.001 raises a run that really used 1e-4
    ctx = ctx_of(falling, 30)
    opt = lower_lr(plan_of(1e-3, assumed=True), ctx)
    value = opt.changes["learning_rate"]
    assert isinstance(value, Relative) and value.factor == 0.5
    assert "the learning rate you used" in value
    opt.outcome = replay_plan(opt.plan, ctx)
    lines = code_lines(opt, ctx)
    assert lines and all("0.0005" not in line for line in lines)
    assert lines[0].startswith("lr = ...") and "lr=0.5 * lr" in lines[1]


def test_known_lr_is_halved_as_a_number(falling, ctx_of, plan_of):
    opt = lower_lr(plan_of(1e-4), ctx_of(falling, 30, lr=1e-4))
    assert opt.changes["learning_rate"] == 5e-5


def test_cosine_floor_is_relative_when_the_lr_is_assumed(falling, ctx_of, plan_of):
    opt = cosine(plan_of(1e-3, assumed=True), ctx_of(falling, 30))
    assert opt.changes["scheduler"].eta_min == 0.0
    assert isinstance(opt.changes["scheduler.eta_min"], Relative)
    lines = code_lines(opt, ctx_of(falling, 30))
    assert "eta_min=0.01 * lr" in lines[1]


def test_ultralytics_cosine_is_its_own_cos_lr_with_the_same_warmup(falling, ctx_of, plan_of):
    ctx = ctx_of(falling, 30, framework="ultralytics")
    run = replay.UltralyticsSchedule("linear", 40, nb=50, nw=150, stepped="end")
    opt = cosine(plan_of(1e-2, scheduler=run), ctx)
    assert opt.plan.scheduler == replay.UltralyticsSchedule("cos", 40, 0.01, nb=50, nw=150,
                                                            stepped="end")
    assert cosine_already(replay.UltralyticsSchedule("cos", 40), None) is not None


def test_ultralytics_lower_lr_halves_lr0_and_keeps_the_schedule(falling, ctx_of, plan_of):
    lr = np.linspace(0.01, 0.002, 40)  # the run's schedule, not constant
    ctx = ctx_of(falling, 30, framework="ultralytics")
    ctx.observed_lr = lr
    run = replay.UltralyticsSchedule("linear", 40)
    opt = lower_lr(plan_of(1e-2, scheduler=run), ctx)
    assert opt.changes == {"learning_rate": 0.005} and opt.plan.observed_scale == 0.5
    assert "(assuming" not in opt.rationale[0]
