"""The rooms of docs/architecture.md: each stage imports only the stages before it.

Imports under ``if TYPE_CHECKING:`` do not count (they are annotations, not dependencies).
``reporter/errors.py``, ``report/filters.py``, ``report/atomic.py`` and ``analysis/notes.py``
are leaves any room may use.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LEAVES = {"reporter.errors", "reporter.report.filters", "reporter.report.atomic",
          "reporter.analysis.notes"}
# room -> rooms it may import at run time (design.md, "Rooms")
ALLOWED = {
    "ingest": set(),
    "config": {"replay"},
    "diagnose": {"ingest"},
    "fidelity": {"replay", "ingest", "config", "diagnose"},
    "remedies": {"replay", "config", "diagnose"},
    "confirm": {"replay", "diagnose"},
    "report": {"templates"},
    "analysis": {"replay", "ingest", "config", "diagnose", "fidelity", "remedies", "confirm"},
}
STDLIB = set(sys.stdlib_module_names)


def _runtime_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
                   and "TYPE_CHECKING" in ast.unparse(node.test) for n in ast.walk(node)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


def _room(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] == "replay":
        return "replay"
    if parts[0] == "reporter" and len(parts) > 1:
        return parts[1]
    return None


@pytest.mark.parametrize("room", sorted(ALLOWED))
def test_layout_room_imports_only_earlier_rooms(room):
    bad = []
    for path in sorted((ROOT / "reporter" / room).rglob("*.py")):
        for module in _runtime_imports(path):
            target = _room(module)
            if (target is None or target == room or module in LEAVES
                    or any(module.startswith(leaf + ".") for leaf in LEAVES)):
                continue
            if target not in ALLOWED[room]:
                bad.append(f"{path.relative_to(ROOT)} imports {module}")
    assert not bad, "\n".join(bad)


def test_layout_replay_imports_numpy_and_the_standard_library_only():
    bad = []
    for path in sorted((ROOT / "replay").rglob("*.py")):
        for module in _runtime_imports(path):
            top = module.split(".")[0]
            if top not in STDLIB and top not in ("numpy", "replay"):
                bad.append(f"{path.relative_to(ROOT)} imports {module}")
    assert not bad, "\n".join(bad)


def test_layout_no_stage_module_loose_at_the_package_root():
    loose = sorted(p.name for p in (ROOT / "reporter").glob("*.py"))
    assert loose == ["__init__.py", "__main__.py", "errors.py"]


def test_layout_no_benchmark_script_is_named_like_a_package():
    """Benchmark tests put ``benchmarks/`` on ``sys.path`` and spawned workers inherit it: a
    ``benchmarks/replay.py`` once shadowed the ``replay`` package in a worker process."""
    packages = {p.name for p in ROOT.iterdir() if (p / "__init__.py").is_file()}
    scripts = {p.stem for p in (ROOT / "benchmarks").glob("*.py")}
    assert packages & {"replay", "reporter"} == {"replay", "reporter"}
    assert not scripts & packages
