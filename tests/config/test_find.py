"""find_config: --config wins, then a fixed search order beside the run and two folders up."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reporter.config import find_config
from reporter.errors import ConfigError


def _touch(root: Path, *names: str, text: str = "lr: 0.1\n") -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_find_explicit_file_wins_over_candidates(tmp_path: Path) -> None:
    _touch(tmp_path, "run/history.json", "run/config.yaml", "elsewhere/mine.yaml")
    found = find_config(tmp_path / "run/history.json", tmp_path / "elsewhere/mine.yaml")
    assert found == tmp_path / "elsewhere/mine.yaml"


def test_find_explicit_missing_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.yaml: config file not found$"):
        find_config(tmp_path, tmp_path / "nope.yaml")


def test_find_explicit_folder_is_searched(tmp_path: Path) -> None:
    _touch(tmp_path, "cfgs/hparams.yaml")
    assert find_config(tmp_path / "run", tmp_path / "cfgs") == tmp_path / "cfgs/hparams.yaml"
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="no training config found"):
        find_config(tmp_path / "run", tmp_path / "empty")


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (["config.yaml", "config/config.yaml", "hparams.yaml"], "config.yaml"),
        (["config.yml", "config/config.yaml"], "config.yml"),
        (["config/a.yaml", "config/config.yaml"], "config/config.yaml"),
        (["config/b.yaml", "config/a.yml", "hparams.yaml"], "config/a.yml"),
        (["hparams.yaml", "args.yaml"], "hparams.yaml"),
        (["args.yaml", "files/config.yaml"], "args.yaml"),
        (["files/config.yaml", "training_args.json"], "files/config.yaml"),
        (["training_args.json"], "training_args.json"),
    ],
    ids=["root-first", "yml", "config-dir-prefers-config", "config-dir-sorted", "lightning",
         "ultralytics", "wandb", "hf"],
)  # fmt: skip
def test_find_search_order(tmp_path: Path, files: list[str], expected: str) -> None:
    _touch(tmp_path, "metrics.csv", *files)
    assert find_config(tmp_path / "metrics.csv") == tmp_path / expected


def test_find_run_directory_searches_itself(tmp_path: Path) -> None:
    _touch(tmp_path, "wandb/run-1/files/config.yaml")
    assert find_config(tmp_path / "wandb/run-1") == tmp_path / "wandb/run-1/files/config.yaml"


def test_find_nearest_folder_wins_over_parent(tmp_path: Path) -> None:
    _touch(tmp_path, "config.yaml", "lightning_logs/version_0/hparams.yaml")
    run = tmp_path / "lightning_logs/version_0/metrics.csv"
    _touch(tmp_path, "lightning_logs/version_0/metrics.csv")
    assert find_config(run) == tmp_path / "lightning_logs/version_0/hparams.yaml"


def test_find_goes_up_two_folders_and_no_further(tmp_path: Path) -> None:
    _touch(tmp_path, "config/config.yaml", "a/b/run.json", "a/b/c/run.json")
    assert find_config(tmp_path / "a/b/run.json") == tmp_path / "config/config.yaml"
    assert find_config(tmp_path / "a/b/c/run.json") is None


def test_find_hf_config_json_only_with_training_keys(tmp_path: Path) -> None:
    _touch(tmp_path, "config.json", text=json.dumps({"hidden_size": 768}))
    assert find_config(tmp_path / "trainer_state.json") is None
    _touch(tmp_path, "config.json", text=json.dumps({"learning_rate": 1e-4}))
    assert find_config(tmp_path / "trainer_state.json") == tmp_path / "config.json"


def test_find_nothing_returns_none(tmp_path: Path) -> None:
    _touch(tmp_path, "x/y/z/history.json")
    assert find_config(tmp_path / "x/y/z/history.json") is None
