"""Options speak the run's framework, with argument names the installed frameworks accept."""

from __future__ import annotations

import inspect
import re

import pytest

import replay
from reporter.remedies.apply import code_lines
from reporter.remedies.catalog import replay_plan
from reporter.remedies.plateau import faster_plateau
from reporter.remedies.schedules import cosine, lower_lr


def _options(framework, falling, ctx_of, plan_of):
    ctx = ctx_of(falling, 30, framework=framework, lr=1e-3, grad=[1.0] * 40)
    out = []
    for build in (faster_plateau, cosine):
        opt = build(plan_of(1e-3), ctx)
        opt.outcome = replay_plan(opt.plan, ctx)
        out.append("\n".join(code_lines(opt, ctx)))
    return out


def _kwargs(text, call):
    body = re.search(re.escape(call) + r"\(([^)]*)\)", text).group(1)
    return {part.split("=")[0].strip() for part in body.split(",") if "=" in part}


def test_keras_run_gets_keras_callbacks_schedules_and_optimizer_arguments(
        falling, ctx_of, plan_of):
    keras = pytest.importorskip("keras")
    plateau, cos = _options("keras", falling, ctx_of, plan_of)
    code = [line.split("#")[0] for line in (plateau + "\n" + cos).splitlines()]
    assert code and not any("torch" in line or "clip_grad_norm" in line for line in code)
    args = _kwargs(plateau, "keras.callbacks.ReduceLROnPlateau")
    assert args <= set(inspect.signature(keras.callbacks.ReduceLROnPlateau).parameters)
    assert "global_clipnorm=1.0" in plateau
    assert "global_clipnorm" in inspect.signature(keras.optimizers.Adam).parameters
    args = _kwargs(cos, "keras.optimizers.schedules.CosineDecay")
    assert args <= set(inspect.signature(keras.optimizers.schedules.CosineDecay).parameters)


def test_hf_run_gets_training_arguments_keys(falling, ctx_of, plan_of):
    transformers = pytest.importorskip("transformers")
    plateau, cos = _options("hf", falling, ctx_of, plan_of)
    keys = {line.split("=")[0] for line in (plateau + "\n" + cos).splitlines()
            if not line.startswith("#")}
    fields = set(inspect.signature(transformers.TrainingArguments).parameters)
    assert keys and keys <= fields
    assert 'lr_scheduler_type="cosine_with_min_lr"' in cos


def test_torch_run_gets_torch_classes(falling, ctx_of, plan_of):
    torch = pytest.importorskip("torch")
    plateau, cos = _options("torch", falling, ctx_of, plan_of)
    assert "torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer" in plateau
    assert "torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=" in plateau
    args = _kwargs(cos, "torch.optim.lr_scheduler.CosineAnnealingLR") - {"optimizer"}
    assert args <= set(inspect.signature(torch.optim.lr_scheduler.CosineAnnealingLR).parameters)


def test_an_assumed_lr_is_named_where_the_code_uses_it(falling, ctx_of, plan_of):
    ctx = ctx_of(falling, 30, framework="keras")
    opt = cosine(plan_of(1e-3, assumed=True), ctx)
    lines = code_lines(opt, ctx)
    assert lines[0].startswith("lr = ...  # the learning rate you trained with")
    assert "initial_learning_rate=lr" in lines[1]
    known = cosine(plan_of(1e-3), ctx)
    assert not any(line.startswith("lr = ") for line in code_lines(known, ctx))


#: the train arguments the Ultralytics writer may set (keys of ultralytics/cfg/default.yaml)
ULTRALYTICS_ARGS = {"lr0", "lrf", "cos_lr", "warmup_epochs"}


def test_ultralytics_run_gets_its_train_arguments(falling, ctx_of, plan_of):
    ctx = ctx_of(falling, 30, framework="ultralytics", lr=1e-3, grad=[1.0] * 40)
    base = plan_of(1e-2, scheduler=replay.UltralyticsSchedule("linear", 40, nb=50, nw=150))
    cos, lower, plateau = (build(base, ctx) for build in (cosine, lower_lr, faster_plateau))
    cos_lines, lower_lines = code_lines(cos, ctx), code_lines(lower, ctx)
    assert cos_lines == ["cos_lr=True", "lrf=0.01"]
    assert lower_lines[0].startswith("lr0=0.005  # with optimizer=auto lr0 is ignored")
    keys = {line.split("=")[0] for line in cos_lines + lower_lines}
    assert keys <= ULTRALYTICS_ARGS
    # no plateau argument exists: said in a comment, never written as a torch class
    assert all(line.startswith("#") for line in code_lines(plateau, ctx))
