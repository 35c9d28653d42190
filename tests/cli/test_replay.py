"""``reporter replay``: schedule strings, metrics sources, table and JSON output, usage errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reporter.cli import exitcodes
from reporter.cli.main import main
from reporter.cli.replay import load_metrics, parse_schedule
from reporter.errors import UsageError


def test_parse_schedule_spec_error_becomes_usage_error_with_hint():
    """The parser's own errors are pinned in tests/replay/test_parse.py."""
    with pytest.raises(UsageError, match=r"^unknown torch name 'ReduceLROnPlatau'") as info:
        parse_schedule("torch:ReduceLROnPlatau(patience=1)")
    assert info.value.hint == "did you mean 'ReduceLROnPlateau'?"


def test_parse_schedule_flag_prefixes_the_message():
    with pytest.raises(UsageError, match=r"^--early-stopping: unknown framework 'kers'"):
        parse_schedule("kers:EarlyStopping()", "--early-stopping")


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
        (["--early-stopping", "keras:EarlyStopping(monitor='val_score')"],
         "--early-stopping: keras:EarlyStopping: mode='auto' cannot tell whether 'val_score' "
         "should go up or down"),
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
    assert doc["candidates"][0]["call"] == "torch:StepLR(step_size=3, gamma=0.5)"


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


# --- issue 11, item 4: stopping rules alone, every framework argument, HF function names ----

STALL = "[1.0, 0.9, 0.95, 0.95, 0.95, 0.95]"


def test_replay_stopping_rule_alone_prints_the_stop(capsys):
    code = main(["replay", "keras:EarlyStopping(patience=3)", "--metrics", STALL])
    assert code == exitcodes.SUCCESS
    assert capsys.readouterr().out == (
        "stopping rule: keras:EarlyStopping(patience=3, mode='min')\n"
        "6 checks, one per epoch\n\n"
        "stopped after epoch 4: no improvement for 3 epochs (best 0.9)\n"
        "epochs run: 5 of 6\n"
    )


@pytest.mark.parametrize(
    ("stopper", "stopped_after", "epochs_run"),
    [
        ("keras:EarlyStopping(patience=3)", 4, 5),
        ("lightning:EarlyStopping(patience=3)", 4, 5),
        ("hf:EarlyStoppingCallback(early_stopping_patience=1)", 2, 3),
        ("lightning:EarlyStopping(patience=9)", None, 6),
    ],
)
def test_replay_stopping_rule_alone_json_has_stopped_after_and_epochs_run(
    stopper, stopped_after, epochs_run, tmp_path, capsys
):
    metrics = tmp_path / "m.json"
    metrics.write_text(STALL)
    code = main(["replay", stopper, "--metrics", str(metrics), "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == exitcodes.SUCCESS
    assert doc["stopped_after"] == stopped_after
    assert (doc["epochs_run"], doc["checks"]) == (epochs_run, 6)
    assert len(doc["events"]) == (stopped_after is not None)


def test_replay_stopping_rule_alone_without_a_stop_says_so(capsys):
    main(["replay", "lightning:EarlyStopping(patience=9)", "--metrics", STALL])
    assert "no stop: all 6 epochs run" in capsys.readouterr().out


def test_replay_stopping_rule_alone_reads_nan_and_null(capsys):
    code = main(["replay", "lightning:EarlyStopping(patience=3)", "--metrics",
                 "[1.0, null, 0.5]", "--format", "json"])  # fmt: skip
    doc = json.loads(capsys.readouterr().out)
    assert code == exitcodes.SUCCESS
    assert (doc["stopped_after"], doc["events"][0]["reason"]) == (1, "metric nan is not finite")


def test_replay_schedule_with_early_stopping_json_has_stopped_after(capsys):
    main(["replay", "ConstantSchedule", "--lr", "0.1", "--metrics", STALL, "--early-stopping",
          "keras:EarlyStopping(patience=2)", "--format", "json"])  # fmt: skip
    doc = json.loads(capsys.readouterr().out)
    assert (doc["stopped_after"], doc["epochs_run"]) == (3, 4)


@pytest.mark.parametrize(
    ("argv", "message", "hint"),
    [
        (["keras:EarlyStopping(patience=3)", "--lr", "0.1", "--metrics", STALL],
         "keras:EarlyStopping(patience=3, mode='min') is a stopping rule, not an LR schedule: "
         "--lr does not apply",
         "drop --lr to replay the rule alone, or give it next to a schedule: reporter replay "
         "\"torch:ConstantSchedule\" --lr 0.1 --early-stopping \"keras:EarlyStopping("
         "patience=3, mode='min')\" --metrics ..."),
        (["lightning:EarlyStopping()", "--metrics", STALL, "--stepping", "step_before"],
         "lightning:EarlyStopping(patience=3) is a stopping rule, not an LR schedule: "
         "--stepping does not apply", "drop --stepping to replay the rule alone"),
        (["lightning:EarlyStopping()", "--metrics", STALL, "--early-stopping",
          "keras:EarlyStopping()"],
         "lightning:EarlyStopping(patience=3) is a stopping rule, and --early-stopping gives "
         "another one", "give an LR schedule as the first argument, or drop --early-stopping"),
        (["hf:EarlyStoppingCallback()", "--epochs", "5"],
         "hf:EarlyStoppingCallback(early_stopping_patience=1) needs --metrics: the monitored "
         "value at each check", "e.g. --metrics"),
        (["keras:EarlyStopping()", "--metrics", "[1, 2]", "--epochs", "5"],
         "--epochs 5 needs 5 metric values (one per check), got 2", None),
        (["zclip:ZClip()", "--lr", "0.1", "--epochs", "3"],
         "zclip:ZClip() is neither an LR schedule nor a stopping rule: reporter replay cannot "
         "replay it", 'e.g. "torch:StepLR(step_size=30)"'),
        (["EarlyStopping(patience=3)", "--metrics", STALL],
         "unknown torch name 'EarlyStopping'",
         "write keras:EarlyStopping(...) or lightning:EarlyStopping(...)"),
        (["hf:greedy", "--lr", "0.1", "--epochs", "3"],
         "hf:greedy: HF 'greedy' (GreedyLR) adapts the LR to the training loss; not replayed",
         None),
        (["torch:LambdaLR(lr_lambda=<lambda>)", "--lr", "0.1", "--epochs", "3"],
         "'torch:LambdaLR(lr_lambda=<lambda>)' holds a Python function (<lambda>)",
         "build the spec in Python"),
    ],
)  # fmt: skip
def test_replay_misuse_exits_2_with_message_and_hint(argv, message, hint, capsys):
    """Never exit 3: a stopping rule as the schedule was ``TypeError: no replay for
    EarlyStopping`` (an internal error) before issue 11."""
    code = main(["replay", *argv])
    err = capsys.readouterr().err
    assert code == exitcodes.BAD_INPUT
    assert err.startswith(f"reporter: error: {message}")
    assert (f"(hint: {hint}" in err) if hint else "(hint:" not in err


def test_replay_keras_plateau_takes_every_keras_argument(capsys):
    code = main(["replay", "keras:ReduceLROnPlateau(monitor='val_loss', factor=0.5, patience=1, "
                 "verbose=1, mode='auto', min_delta=0.0001, cooldown=0, min_lr=0.0)",
                 "--lr", "0.1", "--metrics", STALL])  # fmt: skip
    out = capsys.readouterr().out
    assert code == exitcodes.SUCCESS
    assert out.startswith(
        "schedule: keras:ReduceLROnPlateau(factor=0.5, patience=1, mode='min', min_delta=0.0001)"
    )
    assert "after epoch 2: reduce 0.1 -> 0.05" in out


def test_replay_hf_function_name_replays_like_the_scheduler_type(capsys):
    argv = ["--lr", "0.1", "--steps", "12", "--format", "json"]
    main(["replay", "hf:get_cosine_schedule_with_warmup(2, 10)", *argv])
    by_function = json.loads(capsys.readouterr().out)
    main(["replay", "hf:cosine(num_warmup_steps=2, num_training_steps=10)", *argv])
    by_type = json.loads(capsys.readouterr().out)
    assert by_function["lr"] == by_type["lr"]
    assert by_function["call"] == "hf:cosine(num_warmup_steps=2, num_training_steps=10)"


def test_replay_hf_reduce_lr_on_plateau_is_torch_plateau(capsys):
    code = main(["replay", "hf:reduce_lr_on_plateau(patience=1, factor=0.5)", "--lr", "0.1",
                 "--metrics", STALL, "--format", "json"])  # fmt: skip
    doc = json.loads(capsys.readouterr().out)
    assert code == exitcodes.SUCCESS
    assert doc["call"] == "torch:ReduceLROnPlateau(mode='min', factor=0.5, patience=1)"
    assert doc["lr"] == [0.1, 0.1, 0.1, 0.1, 0.05, 0.05]


@pytest.mark.parametrize(
    "schedule",
    ["hf:get_linear_schedule_with_warmup(3, 20)", "keras:ReduceLROnPlateau(patience=1)",
     "torch:SequentialLR([LinearLR(start_factor=0.1, total_iters=2), CosineAnnealingLR(T_max=4)],"
     " milestones=[2])", "keras:CosineDecay(0.1, 10, name='decay')"],
)  # fmt: skip
def test_replay_printed_call_is_read_back_by_the_cli(schedule, capsys):
    argv = ["--lr", "0.1", "--metrics", STALL, "--format", "json"]
    main(["replay", schedule, *argv])
    first = json.loads(capsys.readouterr().out)
    assert main(["replay", first["call"], *argv]) == exitcodes.SUCCESS
    again = json.loads(capsys.readouterr().out)
    assert (again["call"], again["lr"]) == (first["call"], first["lr"])


def test_replay_help_says_what_metrics_accepts(capsys):
    assert main(["replay", "--help"]) == exitcodes.SUCCESS
    text = " ".join(capsys.readouterr().out.split())
    assert "NaN, Infinity and null (read as NaN) are accepted" in text
    assert "A plateau schedule over N epochs needs N-1 values" in text
    assert "a stopping rule reads one value per check, the first N" in text


def test_replay_infer_ranks_the_ultralytics_trainers_own_schedule_first(tmp_path, capsys):
    from dataclasses import replace

    from replay import UltralyticsSchedule

    spec = UltralyticsSchedule("linear", 20, nb=30, nw=100, stepped="end")
    rows = ["epoch,train/box_loss,val/box_loss,lr/pg0,lr/pg1,lr/pg2"]
    for e in range(20):  # an 8.0 writer: epochs from 0, '%.5g', biases in group 0
        weights = f"{spec.logged(0.01, e):.5g}"
        bias = f"{replace(spec, bias=True).logged(0.01, e):.5g}"
        rows.append(f"{e},{2 - e / 20},{2.2 - e / 20},{bias},{weights},{weights}")
    log = tmp_path / "results.csv"
    log.write_text("\n".join(rows) + "\n")
    assert main(["replay", "--infer", str(log), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    best = doc["candidates"][0]
    assert best["call"] == "ultralytics:linear(epochs=20, lrf=0.01, nb=30, nw=100, stepped='end')"
    assert (best["score"], best["base_lr"]) == (1.0, 0.01)
    assert "lr/pg1 and lr/pg0 together, to 5e-05" in doc["note"]
