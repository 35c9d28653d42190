"""History inside torch checkpoints (issue 2; formats.md §9). Fixtures from torch 2.13.0."""

from __future__ import annotations

import pytest

from reporter.errors import LogFormatError
from reporter.ingest import read_run

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("name", ["history_dict.pt", "legacy_serialization.pt"])
def test_checkpoint_history_entry(datapath, name):
    run = read_run(datapath("torch_checkpoint", name))
    assert set(run.metrics) == {"train/loss", "val/loss", "lr"}
    assert len(run.series("train/loss")) == 12
    assert run.meta["framework"] == "torch"


def test_checkpoint_numpy_scalars_and_arrays_load_through_allowlist(datapath):
    run = read_run(datapath("torch_checkpoint", "numpy_scalars.pt"))
    assert len(run.series("train/loss")) == 12 and len(run.series("val/loss")) == 12


def test_checkpoint_tensor_lists_beside_weights(datapath):
    run = read_run(datapath("torch_checkpoint", "tensor_lists.pth"))
    assert set(run.metrics) == {"train/loss", "val/loss"}
    assert run.meta["epoch"] == 11


def test_checkpoint_with_unsafe_globals_is_refused_not_unpickled(datapath):
    path = datapath("torch_checkpoint", "unsafe_namespace.pt")
    with pytest.raises(LogFormatError, match=r"unsafe_namespace.pt: the checkpoint holds "
                                             r"objects that safe loading refuses: "
                                             r"argparse.Namespace$"):
        read_run(path)


def test_checkpoint_without_history_lists_its_keys(tmp_path):
    path = tmp_path / "model.pt"
    torch.save({"model": {"w": torch.zeros(2)}, "epoch": 3}, path)
    with pytest.raises(LogFormatError, match=r"model.pt: no training history in the checkpoint "
                                             r"\(keys: model, epoch\)$"):
        read_run(path)


def test_checkpoint_not_imported_by_the_package():
    import subprocess
    import sys

    code = "import sys, reporter.ingest; print('torch' in sys.modules, 'pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_checkpoint_without_torch_names_the_package(datapath, monkeypatch):
    """torch is optional for reading (style.md §7): blocked, the error says what to install."""
    import sys

    from reporter.errors import MissingDependencyError

    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(MissingDependencyError, match=r"needs the package 'torch'"):
        read_run(datapath("torch_checkpoint", "history_dict.pt"))
