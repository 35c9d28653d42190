"""Helpers that step the real torch schedulers, for exact comparison with the replays."""

from __future__ import annotations

import dataclasses
import warnings

import pytest

torch = pytest.importorskip("torch")


def _build(opt, spec):
    name = type(spec).__name__
    if name == "ConstantSchedule":
        return None
    kwargs = {f.name: getattr(spec, f.name) for f in dataclasses.fields(spec)}
    if "schedulers" in kwargs:  # SequentialLR / ChainedScheduler: build the children first
        kwargs["schedulers"] = [_build(opt, child) for child in kwargs["schedulers"]]
        if "milestones" not in kwargs:
            return torch.optim.lr_scheduler.ChainedScheduler(kwargs["schedulers"], optimizer=opt)
        kwargs["milestones"] = list(kwargs["milestones"])
    return getattr(torch.optim.lr_scheduler, name)(opt, **kwargs)


def step_torch(spec, base_lr, n, metrics=None, stepping="standard", build=None):
    """LR in ``param_groups[0]`` while each of ``n`` epochs trains, stepping real torch."""
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=base_lr, momentum=0.9)  # CyclicLR/OneCycleLR need it
    sched = (build or _build)(opt, spec)
    plateau = isinstance(sched, torch.optim.lr_scheduler.ReduceLROnPlateau)
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for e in range(n):
            if stepping == "step_before" and sched is not None:
                sched.step()
            out.append(opt.param_groups[0]["lr"])
            opt.step()
            if sched is None or stepping == "step_before" or e == n - 1:
                continue  # the step after the last epoch sets no recorded LR
            if plateau:
                sched.step(metrics[e])
            elif stepping == "step_epoch_after":
                sched.step(e)
            else:
                sched.step()
    return out


@pytest.fixture
def torch_lrs():
    """``torch_lrs(spec, base_lr, n, metrics=None, stepping="standard") -> list[float]``."""
    return step_torch


def assert_same(ours, theirs):
    """Exact equality of every entry; a failure names the index and both values."""
    assert len(ours) == len(theirs)
    for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        assert float(a) == float(b), f"index {i}: replay {float(a)!r} != torch {float(b)!r}"


@pytest.fixture
def same():
    return assert_same
