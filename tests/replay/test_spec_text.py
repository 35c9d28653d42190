"""replay.spec_text: the framework call a report prints, which replay.parse_spec reads back.

Issue 11, item 4: the report printed ``HFScheduler(lr_scheduler_type='cosine', ...)``, which
``reporter replay`` refused.
"""

from __future__ import annotations

import dataclasses

import pytest

import replay
from replay import (
    ChainedScheduler,
    ConstantLR,
    ConstantSchedule,
    CosineAnnealingLR,
    CosineAnnealingWarmRestarts,
    CosineDecay,
    CosineDecayRestarts,
    CyclicLR,
    EarlyStopping,
    ExponentialDecay,
    ExponentialLR,
    HFScheduler,
    InverseTimeDecay,
    KerasLearningRateScheduler,
    KerasReduceLROnPlateau,
    LambdaLR,
    LinearLR,
    MultiplicativeLR,
    MultiStepLR,
    OneCycleLR,
    PiecewiseConstantDecay,
    PolynomialDecay,
    PolynomialLR,
    ReduceLROnPlateau,
    SequentialLR,
    SpecError,
    StepLR,
    UltralyticsSchedule,
    ZClip,
    parse_spec,
    spec_text,
)

#: every exported spec class, each with arguments away from their defaults
ROUND_TRIP = [
    ConstantSchedule(),
    StepLR(step_size=7, gamma=0.3),
    MultiStepLR(milestones=(3, 8), gamma=0.5),
    ConstantLR(factor=0.5, total_iters=4),
    LinearLR(start_factor=0.2, end_factor=0.9, total_iters=7),
    ExponentialLR(gamma=0.95),
    PolynomialLR(total_iters=9, power=2.0),
    CosineAnnealingLR(T_max=50, eta_min=1e-4),
    CosineAnnealingWarmRestarts(T_0=10, T_mult=2, eta_min=1e-5),
    CyclicLR(base_lr=1e-3, max_lr=1e-2, step_size_up=100, step_size_down=50, mode="exp_range",
             gamma=0.99, scale_mode="iterations", cycle_momentum=False, base_momentum=0.7,
             max_momentum=0.95),
    OneCycleLR(max_lr=0.1, total_steps=100, pct_start=0.25, anneal_strategy="linear",
               cycle_momentum=False, base_momentum=0.8, max_momentum=0.9, div_factor=10.0,
               final_div_factor=100.0, three_phase=True),
    OneCycleLR(max_lr=0.1, epochs=5, steps_per_epoch=20),
    SequentialLR((LinearLR(start_factor=0.1, total_iters=5),
                  CosineAnnealingLR(T_max=95, eta_min=1e-5)), milestones=(5,)),
    ChainedScheduler((StepLR(step_size=2, gamma=0.5), ExponentialLR(gamma=0.9))),
    ReduceLROnPlateau(mode="max", factor=0.5, patience=3, threshold=0.01, threshold_mode="abs",
                      cooldown=2, min_lr=1e-6, eps=1e-9),
    KerasReduceLROnPlateau(factor=0.5, patience=3, mode="max", min_delta=0.01, cooldown=1,
                           min_lr=1e-5, legacy=True),
    ExponentialDecay(0.1, 1000, 0.96, staircase=True),
    PiecewiseConstantDecay((100, 200), (0.1, 0.01, 0.001)),
    PolynomialDecay(0.1, 1000, end_learning_rate=0.001, power=2.0, cycle=True),
    InverseTimeDecay(0.1, 100, 0.5, staircase=True),
    CosineDecay(0.1, 1000, alpha=0.1, warmup_target=0.2, warmup_steps=10),
    CosineDecayRestarts(0.1, 100, t_mul=1.5, m_mul=0.9, alpha=0.01),
    HFScheduler("linear", 10, 100),
    HFScheduler("cosine", 10, 100, num_cycles=1.5),
    HFScheduler("cosine_with_restarts", 10, 100, num_cycles=3),
    HFScheduler("polynomial", 10, 100, lr_end=1e-5, power=2.0),
    HFScheduler("constant"),
    HFScheduler("constant_with_warmup", 10),
    HFScheduler("inverse_sqrt", 10, timescale=50),
    HFScheduler("cosine_with_min_lr", 10, 100, min_lr=1e-5),
    HFScheduler("cosine_warmup_with_min_lr", 10, 100, min_lr_rate=0.1, warmup_lr_rate=0.01),
    HFScheduler("warmup_stable_decay", 10, 100, num_decay_steps=20, num_stable_steps=50,
                warmup_type="cosine", decay_type="1-sqrt", min_lr_ratio=0.1, num_cycles=1.0),
    EarlyStopping(patience=5, min_delta=0.01, mode="max", check_finite=False,
                  stopping_threshold=0.9, divergence_threshold=float("inf")),
    EarlyStopping(patience=2, min_delta=0.01, mode="max", semantics="keras", baseline=0.5,
                  start_from_epoch=3),
    EarlyStopping(patience=3, min_delta=0.01, mode="max", semantics="hf"),
    ZClip(alpha=0.9, z_thresh=3.0, max_grad_norm=None, eps=1e-8, warmup_steps=10,
          clip_option="mean", clip_factor=0.5, skip_update_on_spike=True),
    UltralyticsSchedule("linear", 25, nb=55, nw=165, stepped="end"),
    UltralyticsSchedule("cos", 10, lrf=0.2, nb=59, nw=177, warmup_bias_lr=0.0, bias=True),
]  # fmt: skip

#: specs that hold a Python function: spec_text names it, the parser refuses it
WITH_FUNCTION = [
    LambdaLR(lambda t: 0.5**t),
    MultiplicativeLR(lambda t: 0.9),
    KerasLearningRateScheduler(lambda e, lr: lr),
]
#: exported dataclasses that are results, not specs
RESULTS = {"Candidate", "ClipReplay", "Counterfactual", "Event", "Fidelity", "Trajectory"}


def test_spec_text_examples_cover_every_exported_spec_class():
    exported = {
        name
        for name in replay.__all__
        if isinstance(getattr(replay, name), type)
        and dataclasses.is_dataclass(getattr(replay, name))
    }
    covered = {type(s).__name__ for s in ROUND_TRIP + WITH_FUNCTION}
    assert exported - RESULTS == covered


@pytest.mark.parametrize("spec", ROUND_TRIP, ids=lambda s: spec_text(s).partition("(")[0])
def test_spec_text_any_spec_parses_back_to_the_same_spec(spec):
    text = spec_text(spec)
    assert parse_spec(text) == spec, text


@pytest.mark.parametrize("spec", ROUND_TRIP, ids=lambda s: spec_text(s).partition("(")[0])
def test_spec_text_any_spec_starts_with_its_framework(spec):
    assert spec_text(spec).partition(":")[0] in ("torch", "keras", "hf", "lightning", "zclip",
                                                   "ultralytics")


@pytest.mark.parametrize(
    ("spec", "text"),
    [
        (ReduceLROnPlateau(factor=0.7),
         "torch:ReduceLROnPlateau(mode='min', factor=0.7, patience=10)"),
        (KerasReduceLROnPlateau(patience=3),
         "keras:ReduceLROnPlateau(factor=0.1, patience=3, mode='min', min_delta=0.0001)"),
        (HFScheduler("cosine", 10, 100), "hf:cosine(num_warmup_steps=10, num_training_steps=100)"),
        (HFScheduler("linear", num_training_steps=100),
         "hf:linear(num_warmup_steps=0, num_training_steps=100)"),
        (HFScheduler("constant"), "hf:constant()"),
        (StepLR(step_size=3), "torch:StepLR(step_size=3, gamma=0.1)"),
        (CosineAnnealingLR(T_max=10), "torch:CosineAnnealingLR(T_max=10, eta_min=0.0)"),
        (EarlyStopping(patience=3, semantics="keras"),
         "keras:EarlyStopping(patience=3, mode='min')"),
        (EarlyStopping(patience=3), "lightning:EarlyStopping(patience=3)"),
        (EarlyStopping(patience=1, semantics="hf"),
         "hf:EarlyStoppingCallback(early_stopping_patience=1)"),
        (MultiStepLR(milestones=(3, 6)), "torch:MultiStepLR(milestones=[3, 6])"),
        (SequentialLR((LinearLR(start_factor=0.1), CosineAnnealingLR(T_max=5)), (5,)),
         "torch:SequentialLR(schedulers=[LinearLR(start_factor=0.1), "
         "CosineAnnealingLR(T_max=5, eta_min=0.0)], milestones=[5])"),
        (EarlyStopping(divergence_threshold=float("inf")),
         "lightning:EarlyStopping(patience=3, divergence_threshold=float('inf'))"),
        (None, "none"),
    ],
)  # fmt: skip
def test_spec_text_shows_framework_name_and_relevant_arguments(spec, text):
    assert spec_text(spec) == text


def _warmup(t):
    return min(1.0, t / 10)


@pytest.mark.parametrize(
    ("spec", "text"),
    [
        (LambdaLR(_warmup), "torch:LambdaLR(lr_lambda=<_warmup>)"),
        (LambdaLR(lambda t: 1.0), "torch:LambdaLR(lr_lambda=<lambda>)"),
        (KerasLearningRateScheduler(_warmup), "keras:LearningRateScheduler(schedule=<_warmup>)"),
        (SequentialLR((LambdaLR(_warmup), StepLR(3)), (10,)),
         "torch:SequentialLR(schedulers=[LambdaLR(lr_lambda=<_warmup>), "
         "StepLR(step_size=3, gamma=0.1)], milestones=[10])"),
    ],
)  # fmt: skip
def test_spec_text_function_is_written_as_its_name(spec, text):
    assert spec_text(spec) == text


@pytest.mark.parametrize("spec", WITH_FUNCTION, ids=lambda s: type(s).__name__)
def test_spec_text_of_a_spec_with_a_function_is_refused_by_the_parser(spec):
    with pytest.raises(SpecError, match=r"holds a Python function \(<lambda>\); a function "
                       "cannot be read back from text") as info:  # fmt: skip
        parse_spec(spec_text(spec))
    assert info.value.hint == (
        "build the spec in Python (e.g. replay.LambdaLR(f)) and call replay.lr_trajectory"
    )


def test_spec_text_non_spec_is_its_str():
    assert spec_text("cosine") == "cosine"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"semantics": "lightning", "baseline": 0.5},
         r"^EarlyStopping baseline=0\.5 is a keras argument; semantics='lightning' has no such "
         r"setting$"),
        ({"semantics": "hf", "start_from_epoch": 2},
         r"^EarlyStopping start_from_epoch=2 is a keras argument; semantics='hf'"),
        ({"semantics": "keras", "check_finite": False},
         r"^EarlyStopping check_finite=False is a lightning argument; semantics='keras'"),
        ({"semantics": "hf", "stopping_threshold": 0.1},
         r"^EarlyStopping stopping_threshold=0\.1 is a lightning argument; semantics='hf'"),
    ],
)  # fmt: skip
def test_early_stopping_argument_of_another_framework_raises(kwargs, match):
    """Each EarlyStopping is one framework's callback, so spec_text can write it as that."""
    with pytest.raises(ValueError, match=match):
        EarlyStopping(**kwargs)


def test_early_stopping_keras_min_delta_is_absolute_like_keras():
    assert EarlyStopping(min_delta=-0.1, semantics="keras").min_delta == 0.1
