"""detectron2 / mmengine JSON-lines logs (issue 4; formats.md §5.2, §5.3)."""

from __future__ import annotations

from reporter.ingest import read_run


def test_detectron2_iterations_and_eval_line(datapath):
    run = read_run(datapath("json_lines", "detectron2_eval_lines.json"))
    assert run.format == "json_lines" and run.step_kind == "iteration"
    assert run.meta["app"] == "detectron2" and "median" in run.meta["smoothing"]
    assert run.series("train/loss")["step"].tolist() == [19, 39, 59, 79]
    assert run.series("bbox/AP")["step"].tolist() == [59]
    assert {"lr", "loss_cls", "loss_box_reg", "time", "data_time"} <= set(run.metrics)


def test_detectron2_resumed_append_is_a_segment(datapath):
    run = read_run(datapath("json_lines", "detectron2_resumed_append.json"))
    loss = run.series("train/loss")
    assert loss["step"].tolist() == [19, 39, 59, 79]
    assert loss["segment"].tolist() == [0, 0, 1, 1]
    assert any("the iteration goes back from 79 to 59" in n for n in run.notes)


def test_detectron2_cut_last_line(datapath):
    run = read_run(datapath("json_lines", "detectron2_cut_last_line.json"))
    assert len(run.series("train/loss")) == 4
    assert run.notes[0] == ("stopped at line 6: not a JSON object (a cut or corrupt line); "
                            "read 5 records before it")


def test_mmengine_train_and_epoch_validation_lines(datapath):
    run = read_run(datapath("json_lines", "mmengine_scalars.json"))
    assert run.meta["app"] == "mmengine"
    loss = run.series("train/loss")
    assert loss["step"].tolist() == list(range(2, 33, 2))
    assert loss["epoch"].tolist()[:4] == [0, 0, 0, 0]
    mse = run.series("val/mse")
    assert mse["epoch"].tolist() == [0, 1, 2, 3]  # step = 1-based epoch on val lines
    assert mse["step"].tolist() == [8, 16, 24, 32]  # the last train iteration before it
    lr = run.series("lr").set_index("step")["value"]
    assert lr[8] == 0.01 and lr[18] == 0.005  # StepLR(step_size=2, gamma=0.5) by epoch


def test_fairseq_json_log_lines(datapath):
    """fairseq --log-format json through its logging prefix; values are strings."""
    run = read_run(datapath("json_lines", "fairseq_json_log.log"))
    assert run.meta["app"] == "fairseq" and run.meta["epoch_kind"] == "progress"
    assert run.series("train/loss")["step"].tolist()[:3] == [4, 8, 12]
    assert run.series("val/loss")["step"].tolist()[:2] == [8, 16]
    assert {"grad_norm", "lr", "train_epoch/loss", "loss_scale"} <= set(run.metrics)
    table = run.by_epoch()
    assert table.index.tolist() == list(range(12))
    assert table.loc[0, "val/loss"] == 2.022
