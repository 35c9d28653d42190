"""The history figure and its words (issue 9, item 2): 2x pixels, no empty LR panel, captions
and alt text that describe this run."""

from __future__ import annotations

import json
import struct

import reporter
from reporter.report.figures import CSS_WIDTH, describe, history_figure


def _size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", png[16:24])


def _data(tmp_path, history: dict) -> dict:
    path = tmp_path / "history.json"
    path.write_text(json.dumps(history))
    return reporter.analyze(path, confirm="off").to_dict()


CALM = {"train_loss": [1.0, 0.8, 0.6, 0.5, 0.45, 0.4],
        "val_loss": [1.0, 0.85, 0.7, 0.6, 0.55, 0.52]}


def test_calm_run_without_lr_gets_one_panel_and_no_spike_words(tmp_path):
    data = _data(tmp_path, CALM)
    width, height = _size(history_figure(data))
    assert width == 2 * CSS_WIDTH  # twice the CSS width the HTML shows it at
    assert height < 0.6 * width  # the loss panel only: no LR was logged, no option replayed
    words = describe(data, "h.png")
    assert "spike" not in words["alt"] + words["caption"]
    assert "Bottom" not in words["caption"] and "LR" not in words["alt"]
    assert "epochs 0–5" in words["alt"]


def test_spiking_run_figure_words_name_its_spike_and_the_replay_kinds(tmp_path):
    val = [1.0, 0.6, 0.4, 0.3, 0.25, 0.22, 0.2, 0.19, 0.18, 0.17, 0.165, 0.16, 3.0, 3.1, 3.0]
    data = _data(tmp_path, {"epoch": list(range(1, 16)), "val_loss": val, "train_loss": val,
                            "lr": [0.01] * 15})
    width, height = _size(history_figure(data))
    assert height > 0.6 * width  # the LR panel is there
    words = describe(data, "h.png")
    assert "jumps at epoch 13" in words["alt"] and "epochs 1–15" in words["alt"]
    assert "constant at 0.01" in words["alt"]
    assert "the spike from epoch 13 shaded" in words["caption"]
    assert "solid while exact (E)" in words["caption"]


def test_rewound_trials_are_drawn_from_the_checkpoint_epoch():
    """A trial rewound to the checkpoint saved after K epochs starts at epoch K, not 0."""
    from reporter.report.figures import trial_epochs

    assert list(trial_epochs({}, 0, 3)) == [0, 1, 2]
    assert list(trial_epochs({"rewind": None}, 1, 2)) == [1, 2]
    assert list(trial_epochs({"rewind": {"epoch": 2}}, 0, 3)) == [2, 3, 4]
    assert list(trial_epochs({"rewind": {"epoch": 2}}, 1, 3)) == [3, 4, 5]


def test_caption_says_when_a_curve_is_drawn_from_the_thinned_series(tmp_path):
    data = _data(tmp_path, CALM)
    assert "thinned" not in describe(data, "h.png")["caption"]  # every point drawn
    data["run"]["counts"]["train/loss"] = 4000  # as if report.json kept 6 of 4,000 points
    caption = describe(data, "h.png")["caption"]
    assert "Drawn from the thinned plot series (train/loss 6 of 4,000 points" in caption
    assert "val/loss" not in caption.split("thinned")[1]
