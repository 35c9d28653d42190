"""Find the training config beside a run, map it to a TrainingSetup, write patched copies."""

from reporter.config.find import find_config, find_run_config, framework_written
from reporter.config.patch import PatchedConfig, describe_change, patch_config, plan_patch
from reporter.config.read import read_setup

__all__ = [
    "PatchedConfig",
    "describe_change",
    "find_config",
    "find_run_config",
    "framework_written",
    "patch_config",
    "plan_patch",
    "read_setup",
]
