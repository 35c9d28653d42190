"""Find the training config beside a run, map it to a TrainingSetup, write patched copies."""

from reporter.config.find import find_config
from reporter.config.patch import PatchedConfig, describe_change, patch_config, plan_patch
from reporter.config.read import read_setup

__all__ = ["PatchedConfig", "describe_change", "find_config", "patch_config", "plan_patch",
           "read_setup"]
