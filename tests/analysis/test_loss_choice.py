"""Any loss name (issue 7, item 4): which loss is analysed, and the note that says why."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import reporter
from reporter.analysis.loss_choice import NOTE_CODE, choose_loss
from reporter.diagnose.series import curves
from reporter.errors import LogFormatError, UsageError
from reporter.ingest import read_run
from reporter.ingest.aliases import LossKind, canonical_name, is_validation_loss, loss_kind

REALOGS = Path(os.environ.get("REPORTER_REALOGS",
                              Path(__file__).resolve().parents[3] / "shared" / "realogs"))
FALLING = [1.0, 0.8, 0.6, 0.5, 0.45, 0.4]
YOLOV10 = Path(__file__).resolve().parents[1] / "data" / "ultralytics_csv" / \
    "yolov10_om_oo_heads.csv"


@pytest.mark.parametrize(("native", "canonical", "kind"), [
    ("eval_squad_loss", "val/squad/loss", LossKind("val", "squad")),  # HF dict of eval sets
    ("eval_loss", "val/loss", LossKind("val")),
    ("val_loss/dataloader_idx_1", "val/dataloader_idx_1/loss",  # Lightning, 2 val loaders
     LossKind("val", "dataloader_idx_1")),
    ("eval_train_loss", "eval_train_loss", LossKind("other")),  # nanoGPT's estimate: not held out
    ("test_loss", "test/loss", LossKind("test")),
    ("test/loss", "test/loss", LossKind("test")),
    ("G_loss", "G_loss", LossKind("generator")),
    ("loss_D", "loss_D", LossKind("discriminator")),
    ("Loss_G", "Loss_G", LossKind("generator")),  # the PyTorch DCGAN tutorial's print
    ("D_losses", "D_losses", LossKind("discriminator")),  # ... and its lists
    ("disc_loss", "disc_loss", LossKind("discriminator")),
    ("train/box_loss", "train/box_loss", LossKind("other")),
    ("dfl_loss", "dfl_loss", LossKind("other")),
    ("loss", "train/loss", LossKind("train")),
])
def test_loss_kind_of_each_spelling(native, canonical, kind):
    assert canonical_name(native) == canonical
    assert loss_kind(native) == kind
    assert loss_kind(canonical) == kind


def test_loss_kind_not_a_loss_is_none():
    assert loss_kind("epoch_seconds") is None
    assert not is_validation_loss("val/acc")
    assert is_validation_loss("val/squad/loss") and is_validation_loss("val/loss")


def test_choose_loss_plain_run_needs_no_note(make_run):
    run = make_run(train__loss=FALLING, val__loss=FALLING)
    assert choose_loss(run) is None


def test_choose_loss_extra_eval_sets_are_curves_beside_val_loss(make_run):
    run = make_run(train__loss=FALLING, val__loss=FALLING, **{"val/squad/loss": FALLING,
                                                               "val/news/loss": FALLING})
    note = choose_loss(run)
    assert note.code == NOTE_CODE
    assert "other evaluation sets (val/squad/loss, val/news/loss)" in note.text
    assert {"val/loss", "val/news/loss", "val/squad/loss"} <= set(curves(run))


def test_choose_loss_first_eval_set_is_the_validation_loss(make_run):
    run = make_run(train__loss=FALLING, **{"val/squad/loss": FALLING,
                                           "val/news/loss": [2.0] * 6})
    note = choose_loss(run)
    assert set(run.metrics) == {"train/loss", "val/loss", "val/news/loss"}
    assert run.series("val/loss")["value"].tolist() == FALLING
    assert "val/loss is the evaluation set 'squad' (val/squad/loss), the first one logged" \
        in note.text
    assert "val/news/loss" in curves(run)


def test_choose_loss_only_a_test_loss_is_analysed_and_said(make_run):
    run = make_run(test__loss=FALLING)
    note = choose_loss(run)
    assert run.metrics == ["val/loss"]
    assert note.text == ("The run logged no validation loss and no training loss: its test loss "
                         "'test/loss' is analysed as the held-out loss, in the place of the "
                         "validation loss.")


def test_choose_loss_test_loss_beside_a_train_loss_is_the_held_out_one(make_run):
    run = make_run(train__loss=FALLING, test__loss=FALLING)
    note = choose_loss(run)
    assert run.metrics == ["train/loss", "val/loss"]
    assert note.text.startswith("The run logged no validation loss: its test loss")


def test_choose_loss_gan_reads_both_with_a_note(make_run):
    run = make_run(G_loss=[42.5, 41.1, 40.4, 39.6], D_loss=[0.3, 0.45, 0.23, 0.3])
    note = choose_loss(run)
    assert set(run.metrics) == {"train/loss", "D_loss"}
    assert "A GAN: the generator loss 'G_loss' is analysed as the training loss and the " \
           "discriminator loss 'D_loss' is read beside it as a curve" in note.text
    assert set(curves(run)) == {"train/loss", "D_loss"}


def test_gan_history_nested_by_network_reads_both(tmp_path):
    path = tmp_path / "history.json"
    path.write_text(json.dumps({"G": {"loss": [4.2, 4.0, 3.9, 3.7]},
                                "D": {"loss": [0.3, 0.45, 0.23, 0.3]}}))
    run = read_run(path)
    assert run.metrics == ["D_loss", "G_loss"]
    assert "A GAN" in choose_loss(run).text


@pytest.mark.parametrize(("names", "chosen"), [
    (["mse_loss"], "mse_loss"),
    (["recon_loss", "kl_loss"], "recon_loss"),  # the first logged
    (["kl_loss", "train_total_loss_ema"], "train_total_loss_ema"),  # says total
    (["mean_loss", "pde_loss"], "mean_loss"),  # an aggregate
])
def test_choose_loss_any_loss_name_is_a_training_loss(make_run, names, chosen):
    run = make_run(**{n: FALLING for n in names})
    note = choose_loss(run)
    assert "train/loss" in run.metrics and chosen not in run.metrics
    assert f"'{chosen}' is analysed as the training loss" in note.text


def test_choose_loss_parts_beside_a_val_loss_stay_parts(make_run):
    run = make_run(val__loss=FALLING, loss_cls=FALLING, loss_bbox=FALLING)
    assert choose_loss(run) is None
    assert "train/loss" not in run.metrics


def test_read_run_loss_metric_replaces_the_loss_check(tmp_path):
    path = tmp_path / "pinn.json"
    path.write_text(json.dumps({"residual": FALLING, "boundary": FALLING}))
    with pytest.raises(LogFormatError, match=r"pinn\.json: no loss series \(metrics found: "
                                             r"boundary, residual\)$"):
        read_run(path)
    assert read_run(path, loss_metric="residual").metrics == ["boundary", "residual"]
    assert read_run(path, require_loss=False).metrics == ["boundary", "residual"]
    with pytest.raises(UsageError, match=r"--loss 'residul' is not a metric of .*pinn\.json") \
            as info:
        read_run(path, loss_metric="residul")
    assert "residual" in info.value.hint


def test_yolov10_heads_are_summed_into_the_optimised_total():
    run = read_run(YOLOV10)
    first = run.by_epoch().loc[0]
    assert first["train/loss"] == pytest.approx((1.6 + 3 + 2.1) * 1.9, rel=1e-4)
    assert run.meta["loss_parts"]["val/loss"] == [
        "val/box_om", "val/box_oo", "val/cls_om", "val/cls_oo", "val/dfl_om", "val/dfl_oo"]
    assert run.notes[0].startswith("train/loss is the sum of train/box_om, train/box_oo, ")
    assert "optimises the sum of these gain-weighted parts" in run.notes[0]


def test_loss_option_picks_a_yolov10_part():
    analysis = reporter.analyze(YOLOV10, confirm="off", loss_metric="train/box_om")
    notes = {n.code: n.text for n in analysis.notes}
    assert notes[NOTE_CODE] == "'train/box_om' is analysed as the training loss (chosen with " \
                               "--loss)."
    assert analysis.series["train/loss"].y[0] == pytest.approx(1.6)
    assert "train/box_om" not in analysis.run.metrics and "val/loss" in analysis.series


def test_mlflow_run_with_only_a_test_loss_is_analysed(tmp_path):
    run_dir = tmp_path / "mlruns" / "0" / "a1b2c3"
    (run_dir / "metrics").mkdir(parents=True)
    (run_dir / "meta.yaml").write_text("run_id: a1b2c3\nrun_name: only_test\nstatus: 3\n")
    (run_dir / "metrics" / "test_loss").write_text(
        "".join(f"{1700000000000 + i} {v} {i}\n" for i, v in enumerate(FALLING)))
    analysis = reporter.analyze(run_dir, confirm="off")
    notes = {n.code: n.text for n in analysis.notes}
    assert "its test loss 'test/loss' is analysed as the held-out loss" in notes[NOTE_CODE]
    assert analysis.run.metrics == ("val/loss",)


@pytest.mark.skipif(not (REALOGS / "r11_history_json").is_dir(), reason="no real logs")
def test_realog_gan_is_read_with_both_losses_and_a_note():
    analysis = reporter.analyze(REALOGS / "r11_history_json", confirm="off")
    assert {"train/loss", "D_loss"} <= set(analysis.series)
    assert analysis.run.counts == {"train/loss": 100, "D_loss": 100}
    notes = {n.code: n.text for n in analysis.notes}
    assert notes[NOTE_CODE].startswith("A GAN: the generator loss 'G_loss' is analysed as the "
                                       "training loss and the discriminator loss 'D_loss'")
