"""replay.parse_spec: framework constructor calls as text, and the errors for bad ones."""

from __future__ import annotations

import pytest

from replay import (
    EarlyStopping,
    HFScheduler,
    KerasReduceLROnPlateau,
    ReduceLROnPlateau,
    SpecError,
    parse_spec,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("torch:StepLR(step_size=30, gamma=0.5)", "StepLR(step_size=30, gamma=0.5)"),
        ("StepLR(30)", "StepLR(step_size=30, gamma=0.1)"),
        ("torch:ConstantSchedule", "ConstantSchedule()"),
        ("Torch:MultiStepLR(milestones=[3, 6])", "MultiStepLR(milestones=(3, 6), gamma=0.1)"),
        (
            "keras:ReduceLROnPlateau(patience=3)",
            "KerasReduceLROnPlateau(factor=0.1, patience=3, mode='min', min_delta=0.0001, "
            "cooldown=0, min_lr=0.0, legacy=False)",
        ),
        (
            "keras:CosineDecay(0.1, 1000)",
            "CosineDecay(initial_learning_rate=0.1, decay_steps=1000, alpha=0.0, "
            "warmup_target=None, warmup_steps=0)",
        ),
        (
            "torch:SequentialLR([LinearLR(start_factor=0.1, total_iters=5), "
            "CosineAnnealingLR(T_max=95)], milestones=[5])",
            "SequentialLR(schedulers=(LinearLR(start_factor=0.1, end_factor=1.0, "
            "total_iters=5), CosineAnnealingLR(T_max=95, eta_min=0.0)), milestones=(5,))",
        ),
    ],
)
def test_parse_spec_constructor_call_builds_spec(text, expected):
    assert repr(parse_spec(text)) == expected


# Issue 11 item 4: keras:ReduceLROnPlateau(monitor='val_loss', verbose=1, mode='auto', ...)
# was refused ("has no parameter 'monitor'").
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("keras:ReduceLROnPlateau(monitor='val_loss', factor=0.5, patience=2, verbose=1, "
         "mode='auto', min_delta=0.01, cooldown=1, min_lr=1e-5)",
         KerasReduceLROnPlateau(factor=0.5, patience=2, mode="min", min_delta=0.01, cooldown=1,
                                min_lr=1e-5)),
        ("keras:ReduceLROnPlateau(monitor='val_accuracy')", KerasReduceLROnPlateau(mode="max")),
        ("keras:EarlyStopping(monitor='val_loss', min_delta=-0.01, patience=2, verbose=1, "
         "mode='auto', baseline=0.5, restore_best_weights=True, start_from_epoch=3)",
         EarlyStopping(patience=2, min_delta=0.01, semantics="keras", baseline=0.5,
                       start_from_epoch=3)),
        ("lightning:EarlyStopping(monitor='val_loss', patience=5, verbose=True, strict=False, "
         "check_on_train_epoch_end=False, log_rank_zero_only=True)", EarlyStopping(patience=5)),
        ("hf:EarlyStoppingCallback(early_stopping_patience=2, early_stopping_threshold=None)",
         EarlyStopping(patience=2, semantics="hf")),
        ("keras:CosineDecay(0.1, 1000, name='decay')", parse_spec("keras:CosineDecay(0.1, 1000)")),
    ],
)  # fmt: skip
def test_parse_spec_keras_and_callbacks_take_every_constructor_argument(text, expected):
    assert parse_spec(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hf:get_linear_schedule_with_warmup(10, 100)", HFScheduler("linear", 10, 100)),
        ("hf:get_cosine_schedule_with_warmup(num_warmup_steps=10, num_training_steps=100)",
         HFScheduler("cosine", 10, 100)),
        ("hf:get_cosine_schedule_with_warmup(10, 100, 1.5)",
         HFScheduler("cosine", 10, 100, num_cycles=1.5)),
        ("hf:get_cosine_with_hard_restarts_schedule_with_warmup(10, 100, 1)",
         HFScheduler("cosine_with_restarts", 10, 100)),
        ("hf:get_polynomial_decay_schedule_with_warmup(10, 100, 1e-5, 2.0)",
         HFScheduler("polynomial", 10, 100, lr_end=1e-5, power=2.0)),
        ("hf:get_constant_schedule()", HFScheduler("constant")),
        ("hf:get_constant_schedule_with_warmup(10)", HFScheduler("constant_with_warmup", 10)),
        ("hf:get_inverse_sqrt_schedule(10, 50)", HFScheduler("inverse_sqrt", 10, timescale=50)),
        ("hf:get_cosine_with_min_lr_schedule_with_warmup(10, 100, min_lr=1e-5)",
         HFScheduler("cosine_with_min_lr", 10, 100, min_lr=1e-5)),
        ("hf:get_cosine_with_min_lr_schedule_with_warmup_lr_rate(10, 100, min_lr_rate=0.1, "
         "warmup_lr_rate=0.01)",
         HFScheduler("cosine_warmup_with_min_lr", 10, 100, min_lr_rate=0.1,
                     warmup_lr_rate=0.01)),
        ("hf:get_wsd_schedule(10, 20, 100)",
         HFScheduler("warmup_stable_decay", 10, 100, num_decay_steps=20)),
        ("hf:get_reduce_on_plateau_schedule(patience=2, factor=0.5)",
         ReduceLROnPlateau(patience=2, factor=0.5)),
        ("hf:reduce_lr_on_plateau(num_warmup_steps=100, patience=2)",
         ReduceLROnPlateau(patience=2)),
        ("hf:reduce_lr_on_plateau", ReduceLROnPlateau()),
    ],
)  # fmt: skip
def test_parse_spec_hf_functions_are_aliases_of_the_scheduler_types(text, expected):
    assert parse_spec(text) == expected


@pytest.mark.parametrize(
    ("text", "match", "hint"),
    [
        ("torch:ReduceLROnPlatau(patience=1)",
         r"^unknown torch name 'ReduceLROnPlatau' in 'torch:ReduceLROnPlatau\(patience=1\)' "
         r"\(choose from ConstantSchedule, StepLR, ", "did you mean 'ReduceLROnPlateau'?"),
        ("EarlyStopping(patience=3)", r"^unknown torch name 'EarlyStopping'",
         "write keras:EarlyStopping(...) or lightning:EarlyStopping(...)"),
        ("tourch:StepLR(3)", r"^unknown framework 'tourch' in 'tourch:StepLR\(3\)' \(choose "
         r"from torch, keras, hf, lightning, zclip, ultralytics\)$", "did you mean 'torch'?"),
        ("StepLR(step_size=2, gama=0.5)",
         r"^torch:StepLR has no parameter 'gama' \(parameters: step_size, gamma\)$",
         "did you mean 'gamma'?"),
        ("StepLR(step_size=0)", r"^torch:StepLR: StepLR step_size must be a positive int, got 0$",
         None),
        ("StepLR(step_size=", r"^cannot read 'StepLR\(step_size=': '\(' was never closed "
         r"\(column 7\)$", 'write it like a constructor call, e.g. "torch:StepLR(step_size=30)"'),
        ("torch:StepLR(step_size=", r"\(column 13\)$",
         'write it like a constructor call, e.g. "torch:StepLR(step_size=30)"'),
        ("StepLR(step_size=x)",
         r"^cannot read 'StepLR\(step_size=x\)': 'x' is not a number, string, list or call$",
         None),
        ("torch:[1, 2]", r"^cannot read 'torch:\[1, 2\]': expected a call like Name\(arg=value\), "
         r"got '\[1, 2\]'$", 'write it like a constructor call, e.g. "torch:StepLR(step_size=30)"'),
        ("StepLR(**args)", r"^cannot read 'StepLR\(\*\*args\)': write each argument of StepLR as "
         r"name=value, not \*\*args$", None),
        ("hf:cosin(num_warmup_steps=1)", r"^unknown hf name 'cosin'", "did you mean 'cosine'?"),
        ("hf:linear(power=2.0)", r"^hf:linear has no parameter 'power' \(parameters: "
         r"num_warmup_steps, num_training_steps\)$", None),
        ("hf:linear(num_warmup_steps=10)",
         r"^hf:linear: linear requires `num_training_steps`, please provide that argument\.$",
         None),
        ("hf:get_linear_schedule_with_warmup(10)", r"^hf:get_linear_schedule_with_warmup: "
         r"missing a required argument: 'num_training_steps'$", None),
        ("hf:get_linear_schedule_with_warmup(10, 100, last_epoch=5)",
         r"^hf:get_linear_schedule_with_warmup: last_epoch=5 resumes the schedule mid-way; the "
         r"replay starts at step 0 \(drop last_epoch\)$", None),
        ("hf:greedy", r"^hf:greedy: HF 'greedy' \(GreedyLR\) adapts the LR to the training loss; "
         r"not replayed$", None),
        ("hf:get_greedy_schedule(patience=3)", r"^hf:get_greedy_schedule: HF 'greedy'", None),
        ("keras:ReduceLROnPlateau(monitor='val_score')", r"^keras:ReduceLROnPlateau: "
         r"mode='auto' cannot tell whether 'val_score' should go up or down; pass mode$", None),
        ("keras:EarlyStopping(mode='up')", r"^keras:EarlyStopping: mode must be 'auto', 'min' or "
         r"'max', got 'up' \(Keras would warn and fall back to 'auto'\)$", None),
        ("keras:ReduceLROnPlateau(factor=1.5)", r"^keras:ReduceLROnPlateau: ReduceLROnPlateau "
         r"does not support a factor >= 1\.0, got factor=1\.5$", None),
        ("torch:LambdaLR(f)", r"^torch:LambdaLR needs a Python function \(lr_lambda\); it cannot "
         r"be given as text$",
         "build the spec in Python (e.g. replay.LambdaLR(f)) and call replay.lr_trajectory"),
        ("keras:LearningRateScheduler(schedule=<warmup>)",
         r"^'keras:LearningRateScheduler\(schedule=<warmup>\)' holds a Python function "
         r"\(<warmup>\); a function cannot be read back from text$",
         "build the spec in Python (e.g. replay.LambdaLR(f)) and call replay.lr_trajectory"),
    ],
)  # fmt: skip
def test_parse_spec_bad_text_raises_spec_error_with_hint(text, match, hint):
    with pytest.raises(SpecError, match=match) as info:
        parse_spec(text)
    assert info.value.hint == hint
    assert info.value.text == text


def test_parse_spec_error_is_a_value_error():
    assert issubclass(SpecError, ValueError)


def test_parse_spec_default_framework_applies_without_prefix():
    assert parse_spec("EarlyStopping(patience=2)", framework="keras") == EarlyStopping(
        patience=2, semantics="keras"
    )
