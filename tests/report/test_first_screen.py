"""The first screen of a report (issue 9, items 1 and 3): the verdict and the recommendation
(or "nothing to change") within the first 30 lines of the Markdown, and epochs named as the
run's own log names them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import reporter
from reporter.report.render import render

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
CASES = ["seed_like", *sorted(p.relative_to(SAMPLES).as_posix()
                              for p in SAMPLES.glob("formats/*/noisy_shard")),
         *(["entry_point/run"] if (SAMPLES / "entry_point" / "run").is_dir() else [])]
FIRST_LINES = 30


@pytest.fixture(scope="module")
def analysed():
    return {}


def _md(sample: str, cache: dict) -> tuple[dict, str]:
    if sample not in cache:
        data = reporter.analyze(SAMPLES / sample, confirm="off").to_dict()
        cache[sample] = (data, render(data, "md", files={"history_png": "h.png"}))
    return cache[sample]


@pytest.mark.parametrize("sample", CASES)
def test_first_30_lines_hold_the_verdict_and_the_recommendation(sample, analysed):
    data, md = _md(sample, analysed)
    head = "\n".join(md.splitlines()[:FIRST_LINES])
    assert "Critical:**" in head or "Warning:**" in head or "No instability:**" in head
    rec = data["recommendation"]
    if rec["option"]:
        number = [o["key"] for o in data["options"]].index(rec["option"]) + 1
        assert f"**Recommended change: [Option {number}," in head
        assert "```diff" in head
    else:
        assert "**Recommended action:**" in head and rec["text"][:40] in head
    assert "**Evidence (" in head and "**Contents:**" in head


def test_calm_run_says_nothing_to_change_on_its_first_lines(tmp_path):
    path = tmp_path / "history.json"
    path.write_text(json.dumps({"train_loss": [1.0, 0.8, 0.6, 0.5, 0.45, 0.4],
                                "val_loss": [1.0, 0.85, 0.7, 0.6, 0.55, 0.52]}))
    md = reporter.render(reporter.analyze(path, confirm="off"), "md")
    head = md.splitlines()[:FIRST_LINES]
    assert any("No instability:**" in line for line in head)
    assert any("Nothing to change" in line for line in head)


def test_long_rule_texts_are_folded_away(analysed):
    _, md = _md("seed_like", analysed)
    rules = md.index("<details><summary>The rules behind these findings</summary>")
    assert md.index("a logged value ≥ 1.4× the level before it") > rules
    assert md.index("</details>", rules) > md.index("a logged value ≥ 1.4×")


def test_how_obtained_is_one_marker_with_one_legend(analysed):
    _, md = _md("seed_like", analysed)
    assert md.count("How each number was obtained:") == 1
    table = md[md.index("## Comparison Table"):md.index("## How to Test")]
    assert "current: as run" not in table and "(S)" in table and "(E)" in table


@pytest.mark.parametrize("sample, base, spike_epoch", [("seed_like", 1, 28),
                                                        ("formats/keras_csv/noisy_shard", 0, 11)])
def test_epochs_are_named_as_the_log_names_them(sample, base, spike_epoch, analysed):
    """seed_like's history counts epochs from 1 and jumps at its 28th (its README); Keras'
    CSVLogger counts from 0. One convention per report, stated once."""
    data, md = _md(sample, analysed)
    assert data["run"]["epoch_base"] == base
    assert md.startswith(f"# Training Instability Fix - Loss Spike at Epoch {spike_epoch}")
    assert md.count(f"epochs are counted from {base}, as in your log") == 1
    assert f"counted from {1 - base}" not in md


def test_history_counting_from_1_names_its_first_epoch_1(tmp_path):
    path = tmp_path / "history.json"
    val = [1.0, 0.6, 0.4, 0.3, 0.25, 0.22, 0.2, 0.19, 0.18, 0.17, 0.165, 0.16, 3.0, 3.1, 3.0]
    path.write_text(json.dumps({"epoch": list(range(1, len(val) + 1)), "val_loss": val,
                                "train_loss": val}))
    a = reporter.analyze(path, confirm="off")
    assert a.headline.startswith("Loss Spike at Epoch 13")  # the 13th value, as logged
    md = reporter.render(a, "md")
    assert "epochs 1–" in md and "epochs 0–" not in md


def test_measured_evidence_gives_both_failure_rates_with_their_intervals():
    from reporter.report.summary import summary

    trials = {"current": {"failed": 6, "n": 8, "failed_interval": (0.41, 0.93)},
              "cosine": {"failed": 0, "n": 8, "failed_interval": (0.0, 0.32)}}
    data = {"recommendation": {"option": "cosine", "basis": "measured", "text": ""},
            "confirmation": {"subject": "the proxy task", "trials": trials},
            "diagnosis": {"severity": "critical", "findings": [], "primary_spike": None,
                          "primary_collapse": None},
            "run": {"epoch_base": 0}}
    options = [{"key": "cosine", "number": 1, "title": "Cosine", "anchor": "o", "patch": None,
                "changes": {"scheduler": "cos"}}]
    ev = summary(data, options, [])["evidence"]
    assert ev["label"] == "measured"
    assert "0 of 8 (0%–32%) seeds failed" in ev["text"] and "6 of 8 (41%–93%)" in ev["text"]
    assert "do not overlap" in ev["text"]


def test_replay_evidence_says_when_the_confirmation_did_not_reproduce_the_failure():
    from reporter.report.summary import summary

    rep = {"lr_at_onset": 0.02, "observed_lr_at_onset": 0.05, "lr_at_onset_label": "exact replay",
           "first_reduction": None}
    data = {"recommendation": {"option": "cosine", "basis": "replay, with measured costs",
                               "text": ""},
            "confirmation": {"where": "on the proxy task",
                             "trials": {"current": {"failed": 0, "n": 2}}},
            "diagnosis": {"severity": "critical", "findings": [], "primary_collapse": None,
                          "primary_spike": {"title": "spiked",
                                            "evidence": {"axis": "epoch", "onset": 27}}},
            "fidelity": {"metric": "val/loss"}, "run": {"epoch_base": 1, "axis": "epoch"}}
    options = [{"key": "cosine", "number": 1, "title": "Cosine", "anchor": "o", "patch": None,
                "changes": {}, "replay": rep}]
    ev = summary(data, options, [])["evidence"]
    assert ev["label"] == "exact replay"
    assert "(epoch 28) is 0.02 instead of 0.05 (0.40×)" in ev["text"]
    assert ("did not reproduce your run's failure on the proxy task (0 of 2 seeds failed at "
            "all)") in ev["text"]


def test_an_assumed_base_lr_is_marked_assumed_and_the_evidence_gives_a_ratio(tmp_path):
    """No LR in the logs and no config: the comparison must not call 0.001 'as run'."""
    path = tmp_path / "history.json"
    val = [1.0, 0.6, 0.4, 0.3, 0.25, 0.22, 0.2, 0.19, 0.18, 0.17, 0.165, 0.16, 3.0, 3.1, 3.0]
    path.write_text(json.dumps({"val_loss": val, "train_loss": val}))
    a = reporter.analyze(path, confirm="off")
    assert a.current.plan.learning_rate_assumed
    md = reporter.render(a, "md")
    head = "\n".join(md.splitlines()[:FIRST_LINES])
    assert "no config was found" in head and "only the ratio is known" in head
    row = next(line for line in md.splitlines() if line.startswith("| **Initial LR**"))
    assert "(A)" in row and "(S)" not in row


def test_evidence_without_an_option_does_not_repeat_the_recommendation(tmp_path):
    """A run whose only finding has no option (a loss that never fell): the evidence line says
    what was tested, not the recommended action a second time."""
    path = tmp_path / "history.json"
    flat = [2.0 + 0.01 * ((i * 7) % 5) for i in range(40)]
    path.write_text(json.dumps({"train_loss": flat}))
    data = reporter.analyze(path, confirm="off").to_dict()
    assert data["recommendation"]["option"] is None and data["diagnosis"]["findings"]
    md = render(data, "md")
    evidence = next(line for line in md.splitlines() if line.startswith("> **Evidence ("))
    assert data["recommendation"]["text"][:40] not in evidence
    assert "logged loss points was tested" in evidence and ".." not in evidence


def test_one_event_on_two_curves_names_where_the_lr_is_compared(analysed):
    """The HF sample's val spike (step 80) was begun by a train spike (step 68): the title
    names the start, and the evidence says the LR is compared where val/loss showed it."""
    data, md = _md("formats/hf_trainer_state/noisy_shard", analysed)
    assert data["diagnosis"]["primary_spike"]["evidence"]["began_at"] == 68
    assert md.splitlines()[0].endswith("Loss Spike at Step 68")
    evidence = next(line for line in md.splitlines() if line.startswith("> **Evidence ("))
    assert "when the spike showed in val/loss (step 80)" in evidence


def test_points_a_restart_replaced_are_counted_on_the_first_screen(tmp_path):
    """A Keras CSVLogger(append=True) file holding two fits: the first fit's loss points are
    replaced by the second's, and the first screen says they were not analysed."""
    rows = ["epoch,loss,val_loss"]
    rows += [f"{e},{1.0 - 0.1 * e},{1.1 - 0.1 * e}" for e in range(6)]
    rows += [f"{e},{0.9 - 0.1 * e},{1.0 - 0.1 * e}" for e in range(6)]
    path = tmp_path / "training_log.csv"
    path.write_text("\n".join(rows) + "\n")
    data = reporter.analyze(path, confirm="off").to_dict()
    assert data["run"]["superseded"] == 12  # 6 epochs x (loss, val_loss) of the first fit
    md = render(data, "md")
    head = "\n".join(md.splitlines()[:FIRST_LINES])
    assert "(and 12 earlier loss points, replaced by a restart at the same steps" in head
    assert "(12 earlier loss points, replaced by a restart at the same steps, were not)" in head
