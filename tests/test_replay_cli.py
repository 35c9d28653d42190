"""``reporter replay``: schedule strings, metrics sources, table and JSON output, usage errors."""

from __future__ import annotations

import json

import pytest

from reporter import exitcodes
from reporter.cli import main
from reporter.errors import UsageError
from reporter.replay_cli import load_metrics, parse_schedule


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
def test_parse_schedule_constructor_call_builds_spec(text, expected):
    assert repr(parse_schedule(text)) == expected


def test_parse_schedule_hf_type_builds_hf_scheduler():
    spec = parse_schedule("hf:linear(num_warmup_steps=10, num_training_steps=100)")
    assert (spec.lr_scheduler_type, spec.num_warmup_steps, spec.num_training_steps) == (
        "linear",
        10,
        100,
    )


@pytest.mark.parametrize(
    ("text", "match", "hint"),
    [
        ("torch:ReduceLROnPlatau(patience=1)", "unknown torch schedule 'ReduceLROnPlatau'",
         "did you mean 'ReduceLROnPlateau'?"),
        ("tourch:StepLR(3)", "unknown framework 'tourch'", "did you mean 'torch'?"),
        ("StepLR(step_size=2, gama=0.5)", "torch:StepLR has no parameter 'gama'",
         "did you mean 'gamma'?"),
        ("StepLR(step_size=0)", "torch:StepLR: StepLR step_size must be a positive int, got 0",
         None),
        ("StepLR(step_size=", "cannot read schedule 'StepLR\\(step_size=': '\\(' was never",
         'write it like a constructor call, e.g. "StepLR(step_size=30)"'),
        ("StepLR(step_size=x)", "'x' is not a number, string or list", None),
        ("torch:LambdaLR(f)", "LambdaLR needs a Python function", None),
        ("hf:cosin(num_warmup_steps=1)", "unknown hf schedule 'cosin'", "did you mean 'cosine'?"),
    ],
)  # fmt: skip
def test_parse_schedule_bad_spec_raises_usage_error_with_hint(text, match, hint):
    with pytest.raises(UsageError, match=match) as info:
        parse_schedule(text)
    assert info.value.hint == hint


def test_replay_plateau_with_json_metrics_prints_table_and_events(capsys):
    code = main(
        ["replay", "torch:ReduceLROnPlateau(patience=1, factor=0.5)", "--lr", "0.1",
         "--metrics", "[1.0, 0.9, 0.9, 0.9, 0.9, 0.9]"]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == exitcodes.SUCCESS
    assert "epochs          lr\n0-3             0.1\n4-5             0.05\n" in out
    assert "after epoch 3: reduce 0.1 -> 0.05" in out


def test_replay_json_output_is_the_trajectory(capsys):
    code = main(["replay", "StepLR(step_size=2)", "--lr", "0.1", "--epochs", "4",
                 "--format", "json"])  # fmt: skip
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    assert doc["lr"] == [0.1, 0.1, 0.010000000000000002, 0.010000000000000002]
    assert doc["unit"] == "epoch"
    assert [e["index"] for e in doc["events"]] == [1]


def test_replay_steps_and_stepping_misuse(capsys):
    main(["replay", "StepLR(step_size=3)", "--lr", "0.1", "--steps", "4",
          "--stepping", "step_before", "--format", "json"])  # fmt: skip
    doc = json.loads(capsys.readouterr().out)
    assert doc["unit"] == "step"
    assert doc["lr"][2] == 0.010000000000000002


def test_replay_max_rows_truncates_table(capsys):
    main(["replay", "CosineAnnealingLR(T_max=100)", "--lr", "0.1", "--epochs", "100",
          "--max-rows", "5"])  # fmt: skip
    out = capsys.readouterr().out
    assert "... 95 more rows (--max-rows 0 shows all)" in out


def test_replay_keras_schedule_needs_no_lr(capsys):
    code = main(["replay", "keras:PiecewiseConstantDecay([2], [1.0, 0.5])", "--steps", "4"])
    assert code == 0
    assert "3               0.5" in capsys.readouterr().out


def test_replay_metrics_from_a_log_file(tmp_path, capsys):
    log = tmp_path / "training.csv"
    log.write_text("epoch,loss,val_loss\n0,1.0,1.0\n1,0.9,0.9\n2,0.9,0.9\n3,0.9,0.9\n")
    code = main(["replay", "ReduceLROnPlateau(patience=0)", "--lr", "1.0", "--metrics", str(log),
                 "--format", "json"])  # fmt: skip
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    assert doc["lr"] == [1.0, 1.0, 1.0, 0.1]


def test_load_metrics_json_file_and_nulls(tmp_path):
    path = tmp_path / "m.json"
    path.write_text("[1.0, null, 0.5]")
    values = load_metrics(str(path))
    assert values[0] == 1.0 and values[2] == 0.5 and values[1] != values[1]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["StepLR(3)", "--lr", "0.1"], "say how long to replay: --epochs N or --steps N"),
        (["StepLR(3)", "--epochs", "3"], "StepLR needs the base learning rate: --lr VALUE"),
        (["ReduceLROnPlateau()", "--lr", "0.1", "--epochs", "3"], "give --metrics"),
        (["ReduceLROnPlateau()", "--lr", "0.1", "--epochs", "9", "--metrics", "[1, 2]"],
         "needs at least 8 metric values for this replay, got 2"),
        (["StepLR(3)", "--lr", "0.1", "--metrics", "nope.txt"], "is neither a JSON list"),
        (["StepLR(3)", "--lr", "0.1", "--metrics", "[1, \"a\"]"], "expected a JSON list"),
    ],
)  # fmt: skip
def test_replay_bad_usage_exits_2_with_message(argv, message, capsys):
    code = main(["replay", *argv])
    err = capsys.readouterr().err
    assert code == exitcodes.BAD_INPUT
    assert message in err


@pytest.mark.parametrize(
    ("stopper", "stop_line"),
    [
        ("lightning:EarlyStopping(patience=3)", "after epoch 4: stop"),
        ("keras:EarlyStopping(patience=2)", "after epoch 3: stop"),
        ("hf:EarlyStoppingCallback(early_stopping_patience=1)", "after epoch 2: stop"),
    ],
)
def test_replay_early_stopping_adds_the_stop_event(stopper, stop_line, capsys):
    code = main(["replay", "ConstantSchedule", "--lr", "0.1", "--metrics",
                 "[1.0, 0.9, 0.95, 0.95, 0.95, 0.95]", "--early-stopping", stopper])  # fmt: skip
    assert code == 0
    assert stop_line in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--early-stopping", "StepLR(3)"], "is not an early-stopping callback"),
        (["--early-stopping", "keras:EarlyStopping(monitor='val_acc')"],
         "mode='auto' cannot tell whether 'val_acc' should go up or down"),
    ],
)  # fmt: skip
def test_replay_bad_early_stopping_exits_2(argv, message, capsys):
    code = main(["replay", "ConstantSchedule", "--lr", "0.1", "--metrics", "[1.0, 1.0]", *argv])
    assert code == exitcodes.BAD_INPUT
    assert message in capsys.readouterr().err


def test_replay_steps_per_epoch_expands_rows(capsys):
    code = main(["replay", "StepLR(step_size=1)", "--lr", "0.1", "--epochs", "2",
                 "--steps-per-epoch", "3", "--format", "json"])  # fmt: skip
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    assert doc["unit"] == "step"
    assert len(doc["lr"]) == 6
    assert [e["index"] for e in doc["events"]] == [2]


def test_replay_steps_per_epoch_needs_epochs(capsys):
    code = main(["replay", "StepLR(1)", "--lr", "0.1", "--steps", "4", "--steps-per-epoch", "2"])
    assert code == exitcodes.BAD_INPUT
    assert "use it with --epochs" in capsys.readouterr().err


def test_replay_infer_ranks_schedules_for_a_logged_lr(tmp_path, capsys):
    log = tmp_path / "history.csv"
    rows = ["epoch,lr,val_loss"] + [
        f"{e},{lr},{loss}"
        for e, (lr, loss) in enumerate(
            [(0.1, 1.0), (0.1, 0.9), (0.1, 0.9), (0.1, 0.9), (0.05, 0.9), (0.05, 0.9),
             (0.025, 0.9), (0.025, 0.9)]
        )
    ]  # fmt: skip
    log.write_text("\n".join(rows) + "\n")
    code = main(["replay", "--infer", str(log), "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    best = doc["candidates"][0]
    assert best["spec"].startswith("ReduceLROnPlateau(mode='min', factor=0.5, patience=1,")
    assert (best["score"], best["alignment"]) == (1.0, "used")


def test_replay_without_schedule_or_infer_exits_2(capsys):
    assert main(["replay", "--lr", "0.1", "--epochs", "3"]) == exitcodes.BAD_INPUT
    assert "give a schedule to replay, or --infer LOG" in capsys.readouterr().err
