"""patch_config: edit only the requested keys, add missing ones in the file's style."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import replay
from reporter.config import describe_change, patch_config, read_setup
from reporter.config._textedit import yaml_scalar
from reporter.errors import UsageError
from reporter.report.filters import display_path

DATA = Path(__file__).parent / "data"
SEED = DATA / "seed_nested/config/config.yaml"


def _changed_lines(diff: str) -> tuple[list[str], list[str]]:
    lines = diff.splitlines()[2:]
    removed = [line[1:] for line in lines if line.startswith("-")]
    added = [line[1:] for line in lines if line.startswith("+")]
    return removed, added


def test_patch_seed_option_edits_only_the_requested_lines(tmp_path: Path) -> None:
    source_bytes = SEED.read_bytes()
    setup = read_setup(SEED, display_root=SEED.parent.parent)
    changes = {"scheduler.patience": 5, "scheduler.factor": 0.5,
               "early_stopping.patience": 7, "clip_grad_norm": 0.5}  # fmt: skip
    patched = patch_config(setup, changes, tmp_path / "config.yaml", display_root=tmp_path)
    removed, added = _changed_lines(patched.diff)
    assert added == [
        "  scheduler_patience: 5  # epochs without improvement",
        "  scheduler_factor: 0.5",
        "  early_stopping_patience: 7",
        "  gradient_clip_value: 0.5  # passed to clip_grad_norm_",
    ]
    assert len(removed) == 4
    # both files named as the user can type them: relative to the report folder (issue 9)
    shown = display_path(SEED, tmp_path)
    assert not shown.startswith("/")
    assert patched.diff.startswith(f"--- {shown}\n+++ config.yaml\n")
    original = SEED.read_text().splitlines()
    new = patched.text.splitlines()
    assert [a for a, b in zip(original, new, strict=True) if a != b] == removed
    assert patched.describe(leaf_only=True) == [
        "scheduler_patience: 10 → 5", "scheduler_factor: 0.7 → 0.5",
        "early_stopping_patience: 10 → 7", "gradient_clip_value: 1.0 → 0.5",
    ]  # fmt: skip
    again = read_setup(patched.path)
    assert again.scheduler == replay.ReduceLROnPlateau(patience=5, factor=0.5)
    assert (again.early_stopping.patience, again.clip_grad_norm) == (7, 0.5)
    assert SEED.read_bytes() == source_bytes  # the source is untouched


def test_patch_scheduler_switch_writes_kind_and_parameters(tmp_path: Path) -> None:
    setup = read_setup(SEED)
    spec = replay.CosineAnnealingLR(T_max=50, eta_min=1e-6)
    patched = patch_config(setup, {"scheduler": spec}, tmp_path / "cosine.yaml")
    removed, added = _changed_lines(patched.diff)
    assert removed == ['  scheduler: "ReduceLROnPlateau"']
    assert added == ['  scheduler: "CosineAnnealingLR"', "  scheduler_T_max: 50",
                     "  scheduler_eta_min: 1.0e-06"]  # fmt: skip
    assert patched.text.index("scheduler_factor") < patched.text.index("scheduler_T_max")
    assert read_setup(patched.path).scheduler == spec
    assert patched.changes[0] == ("training.scheduler", "ReduceLROnPlateau", "CosineAnnealingLR")
    assert patched.changes[1] == ("training.scheduler_T_max", None, 50)
    assert "training.scheduler_patience" in patched.notes[0]


def test_patch_missing_keys_follow_the_flat_prefix(tmp_path: Path) -> None:
    setup = read_setup(SEED)
    changes = {"scheduler.cooldown": 2, "early_stopping.min_delta": 1e-4}
    patched = patch_config(setup, changes, tmp_path / "c.yaml")
    assert _changed_lines(patched.diff) == (
        [],
        ["  scheduler_cooldown: 2", "  early_stopping_min_delta: 0.0001"],
    )
    again = read_setup(patched.path)
    assert (again.scheduler.cooldown, again.early_stopping.min_delta) == (2, 1e-4)


def test_patch_nested_sections_get_nested_keys(tmp_path: Path) -> None:
    setup = read_setup(DATA / "nested_sections.yaml")
    changes = {"scheduler": replay.ReduceLROnPlateau(patience=3), "clip_grad_norm": 1.0}
    patched = patch_config(setup, changes, tmp_path / "n.yaml")
    assert "scheduler:\n  type: ReduceLROnPlateau\n" in patched.text
    assert "  gamma: 0.5\n  patience: 3\n" in patched.text
    assert "trainer:\n  max_epochs: 30\n  gradient_clip_val: 1.0\n" in patched.text
    again = read_setup(patched.path)
    assert (again.scheduler, again.clip_grad_norm) == (replay.ReduceLROnPlateau(patience=3), 1.0)


def test_patch_adds_a_section_in_a_file_without_one(tmp_path: Path) -> None:
    source = tmp_path / "config.yaml"
    source.write_text("train:\n  lr: 0.1  # base\n  epochs: 10\n")
    setup = read_setup(source)
    spec = replay.StepLR(step_size=3)
    patched = patch_config(setup, {"scheduler": spec, "early_stopping.patience": 4},
                           tmp_path / "out.yaml")  # fmt: skip
    assert patched.text == (
        "train:\n  lr: 0.1  # base\n  epochs: 10\n  scheduler: StepLR\n"
        "  scheduler_step_size: 3\n  early_stopping_patience: 4\n"
    )
    again = read_setup(patched.path)
    assert (again.scheduler, again.early_stopping.patience) == (spec, 4)


def test_patch_lightning_keeps_python_tags(tmp_path: Path) -> None:
    setup = read_setup(DATA / "lightning_hparams_python_tag.yaml")
    patched = patch_config(setup, {"learning_rate": 5e-4}, tmp_path / "hparams.yaml")
    assert _changed_lines(patched.diff) == (["learning_rate: 0.001"], ["learning_rate: 0.0005"])
    assert "optimizer: !!python/name:torch.optim.adam.Adam ''" in patched.text


def test_patch_wandb_config(tmp_path: Path) -> None:
    setup = read_setup(DATA / "wandb_run/files/config.yaml")
    changes = {"learning_rate": 5e-5, "clip_grad_norm": 1.0, "early_stopping.patience": 3}
    patched = patch_config(setup, changes, tmp_path / "config.yaml")
    assert "        grad_clip: 1.0\n        lr: 5.0e-05\n" in patched.text
    assert patched.text.endswith("        seed: 67\n        early_stopping_patience: 3\n")
    again = read_setup(patched.path)
    assert (again.learning_rate, again.clip_grad_norm) == (5e-5, 1.0)
    assert again.early_stopping.patience == 3


def test_patch_hf_json_keeps_layout(tmp_path: Path) -> None:
    setup = read_setup(DATA / "hf_output/training_args.json")
    changes = {"scheduler.patience": 2, "learning_rate": 2e-5}
    patched = patch_config(setup, changes, tmp_path / "training_args.json")
    assert _changed_lines(patched.diff) == (
        ['  "learning_rate": 5e-05,', '  "lr_scheduler_kwargs": {},'],
        ['  "learning_rate": 2e-05,', '  "lr_scheduler_kwargs": {', '    "patience": 2', "  },"],
    )
    again = read_setup(patched.path)
    assert (again.scheduler.patience, again.learning_rate) == (2, 2e-5)


def test_patch_hf_cosine_with_min_lr(tmp_path: Path) -> None:
    setup = read_setup(DATA / "hf_output/training_args.json")
    spec = replay.CosineAnnealingLR(T_max=100, eta_min=1e-6)
    patched = patch_config(setup, {"scheduler": spec}, tmp_path / "training_args.json")
    data = json.loads(patched.text)
    assert data["lr_scheduler_type"] == "cosine_with_min_lr"
    assert data["lr_scheduler_kwargs"] == {"min_lr": 1e-6}
    with pytest.raises(UsageError, match="Hugging Face has no lr_scheduler_type for StepLR"):
        patch_config(setup, {"scheduler": replay.StepLR(step_size=2)}, tmp_path / "s.json")


def test_patch_existing_dest_is_moved_to_bak(tmp_path: Path) -> None:
    dest = tmp_path / "config.yaml"
    dest.write_text("old: 1\n")
    patched = patch_config(read_setup(SEED), {"learning_rate": 1e-3}, dest)
    assert patched.backup == tmp_path / "config.yaml.bak"
    assert patched.backup.read_text() == "old: 1\n"
    assert dest.read_text() == patched.text


def test_patch_dest_folder_gets_the_source_name(tmp_path: Path) -> None:
    patched = patch_config(read_setup(SEED), {"learning_rate": 1e-3}, tmp_path)
    assert patched.path == tmp_path / "config.yaml"


def test_patch_refuses_to_overwrite_the_source(tmp_path: Path) -> None:
    source = tmp_path / "config.yaml"
    shutil.copy(SEED, source)
    setup = read_setup(source)
    with pytest.raises(UsageError, match=r"refusing to overwrite the source config .*config\.yaml"):
        patch_config(setup, {"learning_rate": 1e-3}, tmp_path / "." / "config.yaml")
    assert source.read_text() == SEED.read_text()


def test_patch_unknown_field_suggests(tmp_path: Path) -> None:
    with pytest.raises(
        UsageError, match=r"cannot patch 'learning_rat'.*did you mean 'learning_rate'"
    ):
        patch_config(read_setup(SEED), {"learning_rat": 1e-3}, tmp_path / "x.yaml")


def test_patch_same_value_changes_nothing(tmp_path: Path) -> None:
    patched = patch_config(read_setup(SEED), {"scheduler.patience": 10}, tmp_path / "x.yaml")
    assert (patched.changes, patched.diff, patched.text) == ([], "", SEED.read_text())


@pytest.mark.parametrize(
    ("value", "old", "expected"),
    [(5e-05, "", "5.0e-05"), (0.0003, "", "0.0003"), (1e-06, "", "1.0e-06"), (10, "", "10"),
     (True, "", "true"), (None, "", "null"), ("cosine", "", "cosine"),
     ("CosineAnnealingLR", '"x"', '"CosineAnnealingLR"'), ("cosine", "'x'", "'cosine'"),
     ("yes", "", '"yes"'), ("a: b", "", '"a: b"')],
)  # fmt: skip
def test_yaml_scalar_reads_back_the_same_in_yaml_1_1_and_1_2(value, old, expected) -> None:
    assert yaml_scalar(value, old) == expected


def test_describe_change() -> None:
    assert describe_change("training.scheduler_patience", 10, 5) == (
        "training.scheduler_patience: 10 → 5"
    )
    assert describe_change("training.scheduler_T_max", None, 50, leaf_only=True) == (
        "scheduler_T_max: added, 50"
    )


def test_patch_wandb_new_top_level_key_is_value_wrapped(tmp_path: Path) -> None:
    source = tmp_path / "config.yaml"
    source.write_text("_wandb:\n  value:\n    cli_version: 0.24.0\nepochs:\n  value: 5\n")
    patched = patch_config(read_setup(source), {"learning_rate": 0.001}, tmp_path / "out.yaml")
    assert patched.text.endswith("epochs:\n  value: 5\nlearning_rate:\n  value: 0.001\n")
    assert read_setup(patched.path).learning_rate == 0.001
