"""The story the report tells for runs without a spike: divergence, overfitting, calm."""

import json

import reporter


def _analyze(tmp_path, history):
    path = tmp_path / "history.json"
    path.write_text(json.dumps(history).replace("NaN_", "NaN").replace('"NaN"', "NaN"))
    return reporter.analyze(path, confirm="off")


def test_nan_run_is_titled_divergence_with_its_last_finite_value(tmp_path):
    a = _analyze(tmp_path, {"train_loss": [1.0, 0.8, 0.6, "NaN", "NaN"]})
    assert a.headline == "Loss Diverged to NaN/inf at Epoch 3"
    md = reporter.render(a, "md")
    assert "train/loss became NaN or infinite at epoch 3 after a last finite value of 0.6" in md


def test_overfitting_run_gets_early_stopping_advice_not_lr_options(tmp_path):
    a = _analyze(tmp_path, {"train_loss": [1.0, 0.8, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1],
                            "val_loss": [1.0, 0.8, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95]})
    assert a.headline == "Validation Loss Rising: Overfitting"
    assert a.options == ()
    assert "early stopping" in a.recommendation.text
    assert "lowest at epoch 2" in reporter.render(a, "md")


def test_calm_run_says_nothing_to_change(tmp_path):
    a = _analyze(tmp_path, {"train_loss": [1.0, 0.8, 0.6, 0.5, 0.45, 0.4],
                            "val_loss": [1.0, 0.85, 0.7, 0.6, 0.55, 0.52]})
    assert a.headline == "No Instability Found"
    assert a.recommendation.text.startswith("Nothing to change")


def test_root_cause_one_non_finite_step_says_the_run_went_on(tmp_path):
    """Issue 8, item 2: one NaN the run recovered from is not told as lost weights."""
    path = tmp_path / "log.csv"
    rows = [f"{e},{'nan' if e == 12 else 1 / (e + 1) + 0.01},{1.1 / (e + 1) + 0.011}"
            for e in range(30)]
    path.write_text("epoch,loss,val_loss\n" + "\n".join(rows) + "\n")
    text = reporter.render(reporter.analyze(path, confirm="off"), "md")
    assert "was finite again after it" in text
    assert "the weights did not become NaN" in text
    assert "the weights usually are too" not in text
