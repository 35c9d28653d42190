"""The parts of a summed training loss (Ultralytics box, cls and dfl losses): a rise one part
owns is found on it; one every part shares is left to the total."""

import numpy as np

from reporter.diagnose import diagnose


def _yolo_run(make_run, bump: dict[str, float], at: int = 60, n: int = 100):
    t = np.arange(n)
    rng = np.random.default_rng(3)
    parts = {}
    for name, (start, end) in {"box": (1.6, 0.8), "cls": (3.0, 0.6), "dfl": (1.5, 0.95)}.items():
        y = (end + (start - end) * np.exp(-t / 20)) * np.exp(0.005 * rng.standard_normal(n))
        y[at] *= bump.get(name, 1.0)
        parts[f"train__{name}_loss"] = y.tolist()
    total = np.sum([parts[k] for k in parts], axis=0)
    run = make_run(train__loss=total.tolist(), **parts)
    run.meta["loss_parts"] = {"train/loss": ["train/box_loss", "train/cls_loss",
                                             "train/dfl_loss"]}
    return run


def test_a_spike_of_one_part_diluted_in_the_total_is_found_on_that_part(make_run):
    d = diagnose(_yolo_run(make_run, {"cls": 1.5}))
    spikes = [(f.metric, f.start) for f in d.findings if f.kind == "spike"]
    assert spikes == [("train/cls_loss", 60.0)]
    assert "train/cls_loss" in d.curves
    assert "train/cls_loss" in next(c.detail for c in d.coverage if c.name == "spikes")


def test_a_jump_every_part_shares_is_judged_on_the_total_alone(make_run):
    # every part 1.3x at one epoch (a per-batch running mean that restarts, r13): the total
    # rises 1.3x, under the spike ratio, and no part owns the rise
    d = diagnose(_yolo_run(make_run, {"box": 1.3, "cls": 1.45, "dfl": 1.3}))
    assert [f for f in d.findings if f.severity != "info"] == []
