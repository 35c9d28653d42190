"""read_setup: keys nested or flat, in several spellings, each with its provenance."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import replay
from reporter.config import read_setup
from reporter.errors import ConfigError

DATA = Path(__file__).parent / "data"
SEED = DATA / "seed_nested"


def _read(tmp_path: Path, text: str, name: str = "config.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return read_setup(path, display_root=tmp_path)


def test_read_seed_nested_maps_every_field_with_provenance() -> None:
    setup = read_setup(SEED / "config/config.yaml", display_root=SEED)
    assert setup.framework == "torch"
    assert (setup.optimizer, setup.learning_rate, setup.epochs, setup.batch_size) == (
        "adam",
        0.0005,
        50,
        32,
    )
    assert setup.scheduler == replay.ReduceLROnPlateau(patience=10, factor=0.7)
    assert setup.early_stopping.patience == 10
    assert setup.early_stopping.semantics == "lightning"
    assert setup.clip_grad_norm == 1.0
    assert (
        setup.source_of("scheduler.patience") == "config/config.yaml: training.scheduler_patience"
    )
    assert setup.source_of("learning_rate") == "config/config.yaml: training.learning_rate"
    assert setup.source_of("scheduler.threshold") == "torch default"
    assert 'the key says "value"' in setup.provenance["clip_grad_norm"].note
    assert setup.raw["training"]["scheduler_patience"] == 10
    assert setup.config_path == SEED / "config/config.yaml"


def test_read_flat_cosine_defaults_t_max_to_epochs() -> None:
    setup = read_setup(DATA / "flat_plain.yaml", display_root=DATA)
    assert setup.scheduler == replay.CosineAnnealingLR(T_max=20, eta_min=1e-6)
    prov = setup.provenance["scheduler.T_max"]
    assert (prov.key, prov.note) == ("num_epochs", "T_max defaulted to the number of epochs")
    assert setup.learning_rate == 3e-4  # `3e-4` is a float in YAML 1.2
    assert setup.early_stopping == replay.EarlyStopping(patience=4, min_delta=0.001)
    assert (
        setup.source_of("early_stopping")
        == "flat_plain.yaml: early_stopping (lightning counting rule)"
    )
    assert setup.clip_grad_norm == 0.5


def test_read_nested_sections() -> None:
    setup = read_setup(DATA / "nested_sections.yaml")
    assert setup.scheduler == replay.StepLR(step_size=10, gamma=0.5)
    assert (setup.optimizer, setup.learning_rate, setup.epochs) == ("SGD", 0.1, 30)
    assert setup.provenance["learning_rate"].key == "optimizer.lr"
    assert setup.early_stopping == replay.EarlyStopping(patience=5, min_delta=0.0, mode="min")


def test_read_lightning_hparams_with_python_tags_does_not_execute_them() -> None:
    setup = read_setup(DATA / "lightning_hparams_python_tag.yaml")
    assert setup.framework == "lightning"
    assert setup.optimizer == "Adam"
    assert setup.provenance["optimizer"].note == "from the YAML tag"
    assert "!!python/object:torch.nn.modules.loss.MSELoss" in setup.provenance["config"].note
    assert setup.clip_grad_norm == 0.5
    assert setup.raw["loss_fn"] == {"reduction": "mean"}


def test_read_wandb_values_are_unwrapped() -> None:
    setup = read_setup(DATA / "wandb_run/files/config.yaml", display_root=DATA)
    assert setup.learning_rate == 0.0001
    assert setup.provenance["learning_rate"].key == "train.value.lr"
    assert setup.clip_grad_norm is None
    assert setup.provenance["clip_grad_norm"].note == "-1: no clipping"
    assert setup.provenance["config"].note.startswith("W&B yaml")
    assert setup.framework == "unknown"


def test_read_hf_training_args() -> None:
    setup = read_setup(DATA / "hf_output/training_args.json")
    assert setup.framework == "hf"
    assert setup.scheduler == replay.ReduceLROnPlateau()
    assert (setup.optimizer, setup.learning_rate, setup.epochs, setup.batch_size) == (
        "adamw_torch",
        5e-05,
        3,
        8,
    )
    assert setup.clip_grad_norm == 1.0


def test_read_hf_cosine_needs_max_steps(tmp_path: Path) -> None:
    args = {"learning_rate": 1e-4, "lr_scheduler_type": "cosine", "max_steps": -1}
    setup = _read(tmp_path, json.dumps(args), "training_args.json")
    assert setup.scheduler is None
    assert "unknown" in setup.provenance["scheduler"].note
    args.update(max_steps=1000, lr_scheduler_type="cosine_with_min_lr",
                lr_scheduler_kwargs={"min_lr": 1e-6})  # fmt: skip
    setup = _read(tmp_path, json.dumps(args), "training_args.json")
    assert setup.scheduler == replay.CosineAnnealingLR(T_max=1000, eta_min=1e-6)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("learning_rate: 0.01\n", "learning_rate"),
        ("lr: 0.01\n", "lr"),
        ("lr0: 0.01\n", "lr0"),
        ("base_lr: 0.01\n", "base_lr"),
        ("optimizer:\n  lr: 0.01\n", "optimizer.lr"),
        ("train:\n  optimizer:\n    learning_rate: '1e-2'\n", "train.optimizer.learning_rate"),
    ],
)
def test_read_learning_rate_spellings(tmp_path: Path, text: str, key: str) -> None:
    setup = _read(tmp_path, text)
    assert setup.learning_rate == 0.01
    assert setup.provenance["learning_rate"].key == key


SCHEDULER_CASES = {
    "class": ("scheduler: ReduceLROnPlateau\n", replay.ReduceLROnPlateau()),
    "snake": (
        "scheduler: reduce_on_plateau\nscheduler_patience: 3\n",
        replay.ReduceLROnPlateau(patience=3),
    ),
    "section": (
        "lr_scheduler:\n  name: plateau\n  factor: 0.5\n  cooldown: 2\n  threshold_mode: abs\n",
        replay.ReduceLROnPlateau(factor=0.5, cooldown=2, threshold_mode="abs"),
    ),
    "dotted-class": (
        "scheduler: torch.optim.lr_scheduler.CosineAnnealingLR\nT_max: 7\n",
        replay.CosineAnnealingLR(T_max=7),
    ),
    "nested-cosine": (
        "scheduler:\n  type: cosine\n  eta_min: 0.001\nepochs: 12\n",
        replay.CosineAnnealingLR(T_max=12, eta_min=0.001),
    ),
    "steplr": (
        "scheduler: StepLR\nscheduler_step_size: 4\nscheduler_gamma: 0.5\n",
        replay.StepLR(step_size=4, gamma=0.5),
    ),
    "lr-prefix": ("scheduler: step\nlr_step_size: 3\n", replay.StepLR(step_size=3)),
    "constant": ("scheduler: constant\n", replay.ConstantSchedule()),
    "none": ("scheduler: none\n", replay.ConstantSchedule()),
    "null": ("scheduler: null\n", replay.ConstantSchedule()),
    "inferred": (
        "scheduler_patience: 2\nscheduler_factor: 0.2\n",
        replay.ReduceLROnPlateau(patience=2, factor=0.2),
    ),
}


@pytest.mark.parametrize(
    ("text", "expected"), list(SCHEDULER_CASES.values()), ids=list(SCHEDULER_CASES)
)
def test_read_scheduler_spellings(tmp_path: Path, text: str, expected: object) -> None:
    assert _read(tmp_path, text).scheduler == expected


def test_read_scheduler_kind_inferred_from_params_is_noted(tmp_path: Path) -> None:
    setup = _read(tmp_path, "scheduler_patience: 2\n")
    assert setup.provenance["scheduler"].note == "kind inferred from its parameters"


def test_read_unknown_scheduler_suggests_a_name(tmp_path: Path) -> None:
    setup = _read(tmp_path, "scheduler: ReduceLROnPlatau\n")
    assert setup.scheduler is None
    assert "not replayable" in setup.provenance["scheduler"].note
    assert "did you mean 'ReduceLROnPlateau'?" in setup.provenance["config"].note


def test_read_invalid_scheduler_value_is_noted_not_raised(tmp_path: Path) -> None:
    setup = _read(tmp_path, "scheduler: plateau\nscheduler_factor: 1.5\n")
    assert setup.scheduler is None
    assert "factor must be < 1.0" in setup.provenance["scheduler"].note


def test_read_cosine_without_t_max_or_epochs(tmp_path: Path) -> None:
    setup = _read(tmp_path, "scheduler: cosine\n")
    assert setup.scheduler is None
    assert setup.provenance["scheduler"].note == "CosineAnnealingLR needs T_max, not in the config"


@pytest.mark.parametrize(
    ("text", "expected", "note"),
    [
        ("gradient_clip_value: 1.0\n", 1.0, 'the key says "value"'),
        ("grad_clip: 2\n", 2.0, ""),
        ("clip_grad_norm: 0.5\n", 0.5, ""),
        ("max_grad_norm: 1.0\n", 1.0, ""),
        ("gradient_clip_val: 0.5\n", 0.5, "Lightning clips by norm"),
        ("gradient_clip_val: 0.5\ngradient_clip_algorithm: value\n", None, "by value"),
        ("clip_grad_value: 0.5\n", None, "by value"),
        ("max_grad_norm: 0\n", None, "no clipping"),
        ("grad_clip: null\n", None, "no clipping"),
    ],
)
def test_read_clipping_spellings(tmp_path: Path, text: str, expected: float | None, note: str):
    setup = _read(tmp_path, text)
    assert setup.clip_grad_norm == expected
    assert note in setup.provenance["clip_grad_norm"].note


@pytest.mark.parametrize("key", ["epochs", "num_epochs", "max_epochs", "num_train_epochs"])
def test_read_epoch_spellings(tmp_path: Path, key: str) -> None:
    assert _read(tmp_path, f"{key}: 25\n").epochs == 25


@pytest.mark.parametrize(
    ("text", "patience", "min_delta"),
    [
        ("early_stopping_patience: 6\n", 6, 0.0),
        ("early_stopping:\n  patience: 6\n  min_delta: 0.01\n", 6, 0.01),
        ("early_stopping: true\npatience: 6\n", 6, 0.0),
        ("es_patience: 6\nmin_delta: 0.01\n", 6, 0.01),
        ("min_delta: 0.01\n", 3, 0.01),
    ],
)
def test_read_early_stopping(tmp_path: Path, text: str, patience: int, min_delta: float) -> None:
    setup = _read(tmp_path, text)
    assert (setup.early_stopping.patience, setup.early_stopping.min_delta) == (patience, min_delta)


def test_read_early_stopping_switched_off(tmp_path: Path) -> None:
    setup = _read(tmp_path, "early_stopping: false\nearly_stopping_patience: 5\n")
    assert setup.early_stopping is None
    assert setup.provenance["early_stopping"].note == "early stopping switched off"


def test_read_bare_patience_is_ambiguous_and_kept_raw(tmp_path: Path) -> None:
    setup = _read(tmp_path, "scheduler: plateau\npatience: 5\n")
    assert setup.scheduler == replay.ReduceLROnPlateau()
    assert setup.early_stopping is None
    assert "ambiguous keys not mapped: patience" in setup.provenance["config"].note
    assert setup.raw["patience"] == 5


def test_read_conflicting_keys_are_noted(tmp_path: Path) -> None:
    setup = _read(tmp_path, "learning_rate: 0.01\noptimizer:\n  lr: 0.02\n")
    assert setup.learning_rate == 0.01
    assert "also found optimizer.lr = 0.02" in setup.provenance["config"].note


def test_read_ultralytics_patience_is_early_stopping(tmp_path: Path) -> None:
    setup = _read(tmp_path, "lr0: 0.01\nepochs: 100\npatience: 50\nbatch: 16\n", "args.yaml")
    assert setup.early_stopping.patience == 50
    assert (setup.learning_rate, setup.batch_size) == (0.01, 16)


def test_read_yaml_syntax_error_names_file_and_line() -> None:
    # the flow list opened on line 4 is still open when line 5 starts a key
    with pytest.raises(
        ConfigError,
        match=r"unclosed_flow_list\.yaml:5: invalid YAML: while parsing a flow sequence "
        r"\(from line 4\): expected ',' or '\]', but got ':'$",
    ) as info:
        read_setup(DATA / "unclosed_flow_list.yaml")
    assert info.value.line == 5


def test_read_json_syntax_error_names_line(tmp_path: Path) -> None:
    path = tmp_path / "training_args.json"
    path.write_text('{\n  "learning_rate": 1e-4,\n}\n')
    with pytest.raises(ConfigError, match=r"training_args\.json:3: invalid JSON: "):
        read_setup(path)


def test_read_top_level_list_is_refused() -> None:
    with pytest.raises(
        ConfigError, match=r"top_level_list\.yaml: the top level is a list; expected"
    ):
        read_setup(DATA / "top_level_list.yaml")


def test_read_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("# nothing yet\n")
    with pytest.raises(ConfigError, match=r"config\.yaml: the config is empty"):
        read_setup(path)
