"""``reporter replay``: schedule strings, metrics sources, table and JSON output, usage errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reporter.cli import exitcodes
from reporter.cli.main import main
from reporter.cli.replay import load_metrics, parse_schedule
from reporter.errors import UsageError


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


# --- QA fixes: bad counts, cosine past T_max, HF call text, plateau reasons, --infer per step

REALOGS = Path("/work/shared/realogs")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["StepLR(step_size=3)", "--lr", "-1", "--epochs", "5"],
         "--lr must be a positive number, got -1"),
        (["StepLR(step_size=3)", "--lr", "0", "--epochs", "5"],
         "--lr must be a positive number, got 0"),
        (["StepLR(step_size=3)", "--lr", "nan", "--epochs", "5"],
         "--lr must be a positive number, got nan"),
        (["StepLR(step_size=3)", "--lr", "0.1", "--epochs", "0"],
         "--epochs must be at least 1, got 0"),
        (["StepLR(step_size=3)", "--lr", "0.1", "--steps", "-2"],
         "--steps must be at least 1, got -2"),
        (["StepLR(step_size=3)", "--lr", "0.1", "--epochs", "2", "--steps-per-epoch", "0"],
         "--steps-per-epoch must be at least 1, got 0"),
        (["ReduceLROnPlateau()", "--lr", "0.1", "--metrics", "[]"],
         "holds no values: nothing to replay"),
    ],
)  # fmt: skip
def test_replay_rejects_non_positive_lr_and_counts(argv, message, capsys):
    code = main(["replay", *argv])
    captured = capsys.readouterr()
    assert code == exitcodes.BAD_INPUT
    assert captured.out == ""
    assert message in captured.err
    assert len(captured.err.strip().splitlines()) == 1


def test_replay_check_counts_raises_usage_error():
    from argparse import Namespace

    from reporter.cli.replay import _check_counts

    with pytest.raises(UsageError, match=r"^--lr must be a positive number, got -1$"):
        _check_counts(Namespace(lr=-1.0, epochs=5, steps=None, steps_per_epoch=None))
    with pytest.raises(UsageError, match=r"^--epochs must be at least 1, got 0$"):
        _check_counts(Namespace(lr=0.1, epochs=0, steps=None, steps_per_epoch=None))


def test_replay_cosine_past_t_max_is_a_rise_not_a_restart(capsys):
    code = main(["replay", "torch:CosineAnnealingLR(T_max=10)", "--lr", "0.1", "--epochs", "25"])
    out = capsys.readouterr().out
    assert code == 0
    assert "restart 0" not in out
    assert (
        "after epoch 10: LR rises again 0 -> 0.00244717 (CosineAnnealingLR is periodic: past "
        "T_max=10 it climbs back towards the base LR)" in out
    )
    assert "warning: the replay runs past T_max=10 epochs: torch's CosineAnnealingLR" in out


def test_replay_cosine_within_t_max_has_no_warning(capsys):
    main(["replay", "CosineAnnealingLR(T_max=10)", "--lr", "0.1", "--epochs", "11"])
    out = capsys.readouterr().out
    assert "warning" not in out and "rises again" not in out


def test_replay_cosine_warning_in_json(capsys):
    main(["replay", "CosineAnnealingLR(T_max=3)", "--lr", "0.1", "--epochs", "8",
          "--format", "json"])  # fmt: skip
    doc = json.loads(capsys.readouterr().out)
    assert doc["warnings"][0].startswith("the replay runs past T_max=3 epochs")
    assert doc["events"][0]["kind"] == "restart"  # the JSON keeps the library's kind
    assert doc["events"][0]["reason"].startswith("CosineAnnealingLR is periodic")


@pytest.mark.parametrize(
    ("text", "call"),
    [
        ("hf:linear(num_warmup_steps=10, num_training_steps=100)",
         "hf:linear(num_warmup_steps=10, num_training_steps=100)"),
        ("hf:linear(num_training_steps=100)",
         "hf:linear(num_warmup_steps=0, num_training_steps=100)"),
        ("hf:cosine(num_warmup_steps=5, num_training_steps=50, num_cycles=1.5)",
         "hf:cosine(num_warmup_steps=5, num_training_steps=50, num_cycles=1.5)"),
        ("hf:constant", "hf:constant()"),
        ("StepLR(step_size=3)", "StepLR(step_size=3, gamma=0.1)"),
    ],
)  # fmt: skip
def test_spec_text_shows_only_relevant_arguments(text, call):
    from reporter.cli.replay import spec_text

    assert spec_text(parse_schedule(text)) == call


def test_replay_hf_table_prints_the_call(capsys):
    main(["replay", "hf:linear(num_warmup_steps=10, num_training_steps=100)", "--lr", "0.1",
          "--steps", "5"])  # fmt: skip
    out = capsys.readouterr().out
    assert out.startswith("schedule: hf:linear(num_warmup_steps=10, num_training_steps=100)\n")
    assert "decay_type" not in out


PLATEAU_METRICS = [1.0, 0.9, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.7, 0.7, 0.7, 0.7, 0.7]


def test_replay_plateau_reasons_after_reduction_and_cooldown(capsys):
    main(["replay", "ReduceLROnPlateau(patience=2, factor=0.5, cooldown=1)", "--lr", "0.1",
          "--metrics", json.dumps(PLATEAU_METRICS)])  # fmt: skip
    out = capsys.readouterr().out
    assert (
        "after epoch 5: reduce 0.1 -> 0.05 (no improvement beyond threshold in epochs 3-5: "
        "3 bad epochs > patience 2, counted since the best 0.8 at epoch 2)" in out
    )
    assert (
        "after epoch 9: reduce 0.05 -> 0.025 (no improvement beyond threshold in epochs 7-9: "
        "3 bad epochs > patience 2, counted since the end of the 1-epoch cooldown after the "
        "reduction at epoch 5; best 0.8 at epoch 2)" in out
    )
    assert "in epochs 12-14: 3 bad epochs > patience 2, counted since the best 0.7 at epoch " \
           "11" in out  # fmt: skip


def test_replay_plateau_reason_without_cooldown_and_patience_0(capsys):
    main(["replay", "ReduceLROnPlateau(patience=0, factor=0.5)", "--lr", "0.1",
          "--metrics", "[1.0, 1.0, 1.0, 1.0]"])  # fmt: skip
    out = capsys.readouterr().out
    assert "after epoch 1: reduce 0.1 -> 0.05 (no improvement beyond threshold in epoch 1: " \
           "1 bad epoch > patience 0, counted since the best 1 at epoch 0)" in out  # fmt: skip
    assert "after epoch 2: reduce 0.05 -> 0.025 (no improvement beyond threshold in epoch 2: " \
           "1 bad epoch > patience 0, counted since the reduction at epoch 1; best 1 at " \
           "epoch 0)" in out  # fmt: skip


def test_replay_infer_json_has_call_and_values(tmp_path, capsys):
    log = tmp_path / "history.csv"
    rows = "".join(f"{e},{0.1 * 0.5 ** (e // 3)},1.0\n" for e in range(9))
    log.write_text("epoch,lr,loss\n" + rows)
    main(["replay", "--infer", str(log), "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert doc["unit"] == "epoch" and doc["values"] == 9
    assert doc["candidates"][0]["call"] == "StepLR(step_size=3, gamma=0.5)"


def _hf_trainer_state(path, steps, lrs, max_steps):
    history = [{"epoch": s / max_steps, "learning_rate": v, "loss": 1.0, "step": s}
               for s, v in zip(steps, lrs, strict=True)]  # fmt: skip
    state = {"global_step": max_steps, "max_steps": max_steps, "num_train_epochs": 2,
             "logging_steps": steps[1] - steps[0], "log_history": history}  # fmt: skip
    path.write_text(json.dumps(state))
    return path


def test_replay_infer_hf_trainer_state_uses_the_per_step_series(tmp_path, capsys):
    from replay import HFScheduler, hf_logged_learning_rate, lr_trajectory

    lr = lr_trajectory(HFScheduler("cosine", 20, 400), 3e-4, 401).lr
    steps = list(range(7, 400, 7))
    logged = hf_logged_learning_rate(lr, steps).tolist()
    path = _hf_trainer_state(tmp_path / "trainer_state.json", steps, logged, 400)
    assert main(["replay", "--infer", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"{len(steps)} logged LR values over 399 optimizer steps" in out
    assert "1. 100.0%  base lr 0.0003  (used)  hf:cosine(num_warmup_steps=20, " \
           "num_training_steps=400)" in out  # fmt: skip


@pytest.mark.skipif(not REALOGS.exists(), reason="needs /work/shared/realogs")
def test_replay_infer_realog_r02_is_hf_linear(capsys):
    path = REALOGS / "r02_hf_trainer_state" / "trainer_state.json"
    assert main(["replay", "--infer", str(path)]) == 0
    out = capsys.readouterr().out
    assert "10 logged LR values over 5000 optimizer steps" in out
    assert "1. 100.0%  base lr 2e-05  (after_step)  hf:linear(num_warmup_steps=0, " \
           "num_training_steps=5490)" in out  # fmt: skip


@pytest.mark.skipif(not REALOGS.exists(), reason="needs /work/shared/realogs")
def test_replay_infer_realog_r04_is_hf_cosine_with_warmup(capsys):
    path = REALOGS / "r04_hf_trainer_state" / "trainer_state.json"
    assert main(["replay", "--infer", str(path)]) == 0
    out = capsys.readouterr().out
    assert "186 logged LR values over 2790 optimizer steps" in out
    assert "per epoch" not in out and "ExponentialLR" not in out
    # one update after step 2025 did not step the scheduler (a skipped update): the rest lags
    assert "1.  72.6%  base lr 1e-05  (used)  hf:cosine(num_warmup_steps=57, " \
           "num_training_steps=2808)\n   first mismatch at step 2040" in out  # fmt: skip
