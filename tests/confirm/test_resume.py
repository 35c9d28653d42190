"""Rewinding trials to a checkpoint, and the device they train on (issue 10, item 2)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from replay import CosineAnnealingLR, EarlyStopping, ReduceLROnPlateau, StepLR
from reporter.confirm import TrialSpec, load_entry
from reporter.errors import UsageError

torch = pytest.importorskip("torch")
from reporter.confirm import entry as entry_module  # noqa: E402
from reporter.confirm.entry import checkpoint_loader, resolve_device, train_trial  # noqa: E402
from reporter.confirm.loop import TrainParts, to_device, train_loop  # noqa: E402

SAMPLE = Path(__file__).parents[2] / "samples" / "entry_point"
ENTRY = f"{SAMPLE / 'my_model.py'}:build"
CHECKPOINT = SAMPLE / "checkpoint_epoch2.pt"
HISTORY = json.loads((SAMPLE / "run" / "training_history.json").read_text())
RUN_SEED, RUN_LR, K = 8, 0.25, 2  # make_run.py's seed, learning rate and checkpoint epoch


@pytest.fixture(scope="module")
def rewound():
    return load_entry(ENTRY, device="cpu", resume=CHECKPOINT, resume_epoch=K)


def _spec(lr=RUN_LR, scheduler=None, early=None, *, history=True) -> TrialSpec:
    logged = tuple(HISTORY["val_loss"][:K]) if history else ()
    return TrialSpec(lr, scheduler, early, epochs=16, start_epoch=K, history=logged)


def test_load_entry_records_the_checkpoint(rewound):
    assert (rewound.resume_epoch, rewound.device) == (K, "cpu")
    assert rewound.checkpoint == str(CHECKPOINT.resolve()) and len(rewound.checkpoint_sha256) == 64
    assert rewound.resume_from.endswith("checkpoint_epoch2.pt, weights and optimizer state")
    text = rewound.describe(epochs=16)
    assert "from the checkpoint saved after 2 epochs" in text and "for up to 10 epochs" in text
    assert "on the CPU" in text


def test_rewound_run_setting_continues_the_logged_run_exactly(rewound):
    """Same seed, same setting: the logged epochs 3 … 12 again, to the log's 6 digits.

    Only the checkpoint's weights and momentum buffers, the sampler told the epoch and the
    setting's LR kept over the checkpoint's give this; any one missing changes the numbers.
    """
    curve = train_trial(_spec(), RUN_SEED, task=rewound)
    assert curve.start_epoch == K and curve.epochs_trained == 10  # the entry's max_epochs
    logged = HISTORY["val_loss"][K:K + 10]
    np.testing.assert_allclose(curve.val_loss, logged, rtol=1e-5)
    np.testing.assert_allclose(curve.train_loss, HISTORY["train_loss"][K:K + 10], rtol=1e-5)
    assert set(curve.lr) == {RUN_LR}


def test_rewound_trial_starts_from_the_checkpoint_weights():
    saved = torch.load(CHECKPOINT, weights_only=True)
    value = entry_module._function(entry_module._parse(ENTRY))(3)
    seen = []

    def forward(model, inputs):
        if not seen:
            seen.append({k: v.clone() for k, v in model.state_dict().items()})
        return model(inputs)

    parts = TrainParts(**{**value, "max_epochs": 1, "forward": forward},
                       resume=checkpoint_loader(CHECKPOINT, "cpu"))
    train_loop(_spec(0.1), parts, seed=3)
    assert seen[0].keys() == saved["model"].keys()
    for key, tensor in saved["model"].items():
        assert torch.equal(seen[0][key], tensor), key
    fresh = entry_module._function(entry_module._parse(ENTRY))(3)["model"].state_dict()
    assert not all(torch.equal(fresh[k], saved["model"][k]) for k in fresh)


@pytest.mark.parametrize("scheduler", [StepLR(step_size=1, gamma=0.5),
                                       CosineAnnealingLR(T_max=16, eta_min=0.001)])
def test_epoch_schedulers_stand_where_a_run_from_scratch_is_at_epoch_k(rewound, scheduler):
    scratch = load_entry(ENTRY, device="cpu")
    full = train_trial(TrialSpec(0.1, scheduler, epochs=6), 0, task=scratch)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # positioning warns nothing
        curve = train_trial(TrialSpec(0.1, scheduler, epochs=6, start_epoch=K), 0, task=rewound)
    assert curve.lr.tolist() == full.lr[K:].tolist()  # the setting's 0.1, not the checkpoint's


def test_plateau_scheduler_replays_the_logged_losses_before_k(rewound):
    plateau = ReduceLROnPlateau(factor=0.5, patience=0)
    history = (0.5, 0.6)  # one bad epoch: patience 0 halves the LR before epoch K
    spec = TrialSpec(0.1, plateau, epochs=4, start_epoch=K, history=history)
    curve = train_trial(spec, 0, task=rewound)
    assert curve.lr[0] == pytest.approx(0.05)
    afresh = train_trial(TrialSpec(0.1, plateau, epochs=4, start_epoch=K), 0, task=rewound)
    assert afresh.lr[0] == pytest.approx(0.1)


def test_early_stopping_counts_from_the_logged_losses(rewound):
    early = EarlyStopping(patience=2)
    # seed 2 at the run's LR: the rewound epochs 3 and 4 (0.227, 0.650) are both worse than
    # the logged best of epoch 2 (0.117), so patience 2 stops after the second of them
    counted = train_trial(_spec(early=early), 2, task=rewound)
    assert (counted.stopped_at, counted.epochs_trained) == (1, 2)
    # counted afresh, 0.227 is the best so far and the trial goes on
    afresh = train_trial(_spec(early=early, history=False), 2, task=rewound)
    assert afresh.epochs_trained > 2


def test_entry_point_may_return_its_own_checkpoint(tmp_path):
    path = tmp_path / "entry.py"
    path.write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(SAMPLE)!r})\n"
        "from my_model import build as base\n"
        "def build(seed):\n"
        f"    return {{**base(seed), 'resume': {str(CHECKPOINT)!r}, 'resume_epoch': 2}}\n"
        "def by_hand(seed):\n"
        "    import torch\n"
        "    def resume(model, optimizer):\n"
        f"        model.load_state_dict(torch.load({str(CHECKPOINT)!r})['model'])\n"
        "    return {**base(seed), 'resume': resume, 'resume_epoch': 2}\n"
    )
    task = load_entry(f"{path}:build", device="cpu")
    assert (task.resume_epoch, task.checkpoint) == (2, "")
    assert task.checkpoint_sha256 == load_entry(ENTRY, device="cpu", resume=CHECKPOINT,
                                                resume_epoch=2).checkpoint_sha256
    assert task.resume_from == "the 'resume' that build() returns, weights and optimizer state"
    curve = train_trial(_spec(), RUN_SEED, task=task)
    np.testing.assert_allclose(curve.val_loss[:3], HISTORY["val_loss"][K:K + 3], rtol=1e-5)
    by_hand = load_entry(f"{path}:by_hand", device="cpu")
    assert by_hand.resume_from.endswith("loaded by your resume()")
    # weights only: the momentum buffers start at zero, so the run is not repeated exactly
    curve = train_trial(_spec(), RUN_SEED, task=by_hand)
    assert curve.val_loss[0] != pytest.approx(HISTORY["val_loss"][K], rel=1e-5)


def test_resume_problems_are_usage_errors(tmp_path):
    with pytest.raises(UsageError, match="--resume-epoch 3 needs a checkpoint"):
        load_entry(ENTRY, device="cpu", resume_epoch=3)
    with pytest.raises(UsageError, match="the checkpoint's epoch is unknown: pass --resume-epoch"):
        load_entry(ENTRY, device="cpu", resume=CHECKPOINT)
    with pytest.raises(UsageError, match="no such file"):
        load_entry(ENTRY, device="cpu", resume=tmp_path / "nope.pt", resume_epoch=2)
    other = tmp_path / "other.pt"
    torch.save({"model": torch.nn.Linear(3, 1).state_dict()}, other)
    with pytest.raises(UsageError, match=r"loading the checkpoint \(--resume .*other.pt\) raised "
                                         r"RuntimeError: Error\(s\) in loading state_dict"):
        load_entry(ENTRY, device="cpu", resume=other, resume_epoch=2)
    torch.save({"weights": 1}, other)
    with pytest.raises(UsageError, match="no model state dict under 'model'"):
        load_entry(ENTRY, device="cpu", resume=other, resume_epoch=2)
    with pytest.raises(UsageError, match="resume epoch must be a positive int"):
        load_entry(ENTRY, device="cpu", resume=CHECKPOINT, resume_epoch=0)


def test_a_bare_state_dict_restores_the_weights_only(tmp_path):
    bare = tmp_path / "bare.pt"
    torch.save(torch.load(CHECKPOINT, weights_only=True)["model"], bare)
    task = load_entry(ENTRY, device="cpu", resume=bare, resume_epoch=K)
    assert task.resume_from.endswith("bare.pt, weights")


def test_device_auto_is_the_cpu_without_a_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == "cpu" and resolve_device("cpu") == "cpu"
    with pytest.raises(UsageError, match=r"--device cuda: torch .* sees no CUDA device") as info:
        resolve_device("cuda")
    assert "--device auto" in info.value.hint
    with pytest.raises(UsageError, match="--device must be one of auto, cpu, cuda"):
        resolve_device("gpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == "cuda" and resolve_device("cuda") == "cuda"


def test_analyze_device_cuda_without_a_gpu_exits_2(monkeypatch, capsys):
    from reporter.cli.main import main

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    code = main(["analyze", str(SAMPLE / "run"), "--confirm", ENTRY, "--device", "cuda", "-q"])
    assert code == 2
    assert "--device cuda: torch" in capsys.readouterr().err


def test_to_device_moves_every_tensor_of_a_nested_batch():
    batch = ({"x": torch.ones(2), "mask": [torch.zeros(1)]}, torch.ones(2), "id")
    moved = to_device(batch, "meta")  # a device every machine has
    assert moved[0]["x"].device.type == "meta" and moved[0]["mask"][0].device.type == "meta"
    assert moved[1].device.type == "meta" and moved[2] == "id"
    assert to_device(batch, "cpu") is batch


def _diagnosis():
    from reporter.diagnose import diagnose
    from reporter.ingest import read_run

    return diagnose(read_run(SAMPLE / "run"))


def test_plan_rewind_trains_through_the_spike_and_the_logged_end(rewound):
    from reporter.confirm.rewind import plan_rewind, rewind_trials

    plan = plan_rewind(rewound, _diagnosis(), configured=16, cap=100)
    assert (plan.epoch, plan.failure, plan.failure_epoch, plan.logged_epochs) == (2, "spike", 3, 16)
    assert plan.end == 16 and plan.history == tuple(HISTORY["val_loss"][:2])
    spec = rewind_trials({"current": TrialSpec(0.25, epochs=16)}, plan)["current"]
    assert (spec.start_epoch, spec.epochs, spec.history) == (2, 16, plan.history)
    assert plan_rewind(rewound, _diagnosis(), configured=16, cap=5).end == 7  # K + cap


def test_plan_rewind_after_a_spike_at_the_logs_end(rewound):
    """As many epochs after the failure as from the checkpoint up to it, past the log's end."""
    from reporter.confirm.rewind import plan_rewind
    from reporter.diagnose import Diagnosis
    from reporter.diagnose.findings import Finding
    from reporter.diagnose.series import Curve

    x = np.arange(10, dtype=float)
    spike = Finding("spike", "critical", "", "val/loss", start=9.0,
                    evidence={"recovered": False, "ratio": 5.0})
    late = Diagnosis([spike], {"val/loss": Curve("val/loss", x, np.r_[np.ones(9), 5.0])})
    plan = plan_rewind(rewound, late, configured=40, cap=100)
    assert (plan.failure_epoch, plan.logged_epochs, plan.end) == (9, 10, 18)  # 9 + 1 + (10 - 2)
    assert plan_rewind(rewound, late, configured=12, cap=100).end == 12  # the configured end
    with pytest.raises(UsageError, match="configured for 2 epochs"):
        plan_rewind(rewound, _diagnosis(), configured=2, cap=100)


def test_analyze_rewinds_every_setting_to_the_samples_checkpoint():
    import reporter

    a = reporter.analyze(SAMPLE / "run", confirm=ENTRY, seeds=2, device="cpu",
                         resume=CHECKPOINT, resume_epoch=K)
    conf = a.confirmation
    rw = conf.rewind
    assert conf.device == "cpu" and "saved after 2 epochs" in conf.task
    assert (rw.epoch, rw.epochs, rw.failure, rw.failure_epoch, rw.horizon) == (2, 10, "spike", 3, 8)
    assert set(rw.recurred) == set(conf.trials) and rw.n == 2
    assert rw.lr_at_start["current"] == RUN_LR and rw.recurred["current"] >= 1
    assert rw.schedulers["current"].startswith("no scheduler")
    assert "max_epochs (10) stops them sooner" in rw.rule
    data = a.to_dict()["confirmation"]["rewind"]
    assert data["epoch"] == 2 and data["recurred"] == rw.recurred


def test_resume_needs_an_entry_point():
    from reporter.analysis.pipeline import _confirm_task

    with pytest.raises(UsageError, match="--resume needs --confirm ENTRY"):
        _confirm_task("proxy", resume=CHECKPOINT, resume_epoch=2)


def test_a_warmup_counts_from_the_runs_first_epoch_not_the_checkpoint(rewound):
    # a warm-up over epochs 0-3 is half done at the checkpoint after epoch 2
    curve = train_trial(TrialSpec(0.1, epochs=5, start_epoch=K, warmup_epochs=4), 0,
                        task=rewound)
    assert curve.lr.tolist() == pytest.approx([0.075, 0.1, 0.1])


def test_device_cuda_without_a_gpu_is_refused_for_the_proxy_too(monkeypatch):
    from reporter.analysis.pipeline import _confirm_task

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(UsageError, match="--device cuda"):
        _confirm_task("proxy", device="cuda")
    assert _confirm_task("proxy", device="auto") is None
