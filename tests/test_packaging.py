"""The built wheel: its name, every package, the templates, the command, and a report rendered
from a non-editable install. The wheel is built in a copy of the tree, never in the checkout."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
DIST = "training-fix-reporter"
LOCK = ROOT / "requirements" / "test.lock"

SCRIPT = """
import importlib.util, sys
from pathlib import Path
import reporter, replay
assert reporter.__file__.startswith(sys.argv[1]), reporter.__file__
assert replay.__file__.startswith(sys.argv[1]), replay.__file__
spec = importlib.util.spec_from_file_location("seedlike", sys.argv[2])
seedlike = importlib.util.module_from_spec(spec); spec.loader.exec_module(seedlike)
run = seedlike.write_seedlike(Path("run"))
from reporter.cli.main import main
sys.exit(main(["analyze", str(run), "-o", "out", "--confirm", "off", "-q"]))
"""

# what a build leaves behind, and what is not part of the source
_NOT_SOURCE = (".git", ".venv", "out", "build", "dist", "*.egg-info", "__pycache__",
               ".pytest_cache", ".ruff_cache", ".mypy_cache", ".hypothesis")


def _source_files(root: Path) -> list[str] | None:
    """The files git would put in a commit (tracked and new, not ignored), or None without git."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                                 "--exclude-standard"], cwd=root, check=True,
                                capture_output=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return [name for name in listed.decode().split("\0") if name]


def copy_source_tree(root: Path, dest: Path) -> Path:
    """Copy the project's source (not its venv, caches or build output) to ``dest``."""
    files = _source_files(root)
    if files is None:
        shutil.copytree(root, dest, ignore=shutil.ignore_patterns(*_NOT_SOURCE))
        return dest
    for name in files:
        src = root / name
        if src.is_file():  # a tracked file deleted in the work tree is skipped
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)
    return dest


def _build_leftovers(root: Path) -> dict[str, int]:
    """``build/``, ``dist/`` and ``*.egg-info`` in ``root``, each with its modification time."""
    found = [root / "build", root / "dist", *root.glob("*.egg-info")]
    return {path.name: path.stat().st_mtime_ns for path in found if path.exists()}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel built by pip from a copy of the tree; the checkout is left as it was."""
    before = _build_leftovers(ROOT)
    tmp = tmp_path_factory.mktemp("packaging")
    tree = copy_source_tree(ROOT, tmp / "tree")
    wheels = tmp / "wheels"
    # the build backend at the locked version, as `make test` installs it
    env = {**os.environ, "PIP_BUILD_CONSTRAINT": str(LOCK)} if LOCK.is_file() else None
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w",
                           str(wheels), str(tree)], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert _build_leftovers(ROOT) == before, "the build wrote build/ or *.egg-info in the checkout"
    (built,) = wheels.glob("*.whl")
    return built


def _wheel_names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def _dist_info(wheel: Path, name: str) -> str:
    with zipfile.ZipFile(wheel) as archive:
        (path,) = [n for n in archive.namelist() if n.endswith(f".dist-info/{name}")]
        return archive.read(path).decode()


def _locked() -> dict[str, str]:
    """``requirements/test.lock`` as {normalized name: exact version}."""
    pins = {}
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, sep, version = line.partition("==")
            assert sep and version and " " not in line, f"not an exact pin: {line!r}"
            pins[canonicalize_name(name)] = version
    return pins


def test_lock_pins_torch_and_every_dependency_within_its_range():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11
    pins = _locked()
    assert pins["torch"] == "2.13.0"
    assert {"pip", "setuptools", "pytest", "ruff", "mypy", "hypothesis"} <= set(pins)
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    extras = pyproject["project"]["optional-dependencies"]
    for text in (*pyproject["build-system"]["requires"], *pyproject["project"]["dependencies"],
                 *extras["dev"], *extras["frameworks"], *extras["ray"]):
        req = Requirement(text)
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is not in {LOCK.name}: run make lock"
        assert req.specifier.contains(pins[name], prereleases=True), (text, pins[name])


def test_pre_commit_hooks_use_the_locked_versions():
    pins = _locked()
    config = (ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    hooks = re.findall(r"[\"']([A-Za-z0-9._-]+)==([^\"']+)[\"']", config)
    assert {canonicalize_name(name) for name, _ in hooks} >= {"ruff", "mypy"}
    for name, version in hooks:
        assert pins[canonicalize_name(name)] == version, f"{name}=={version} in the hooks"


def test_copy_source_tree_leaves_out_venv_caches_and_build_output(tmp_path):
    tree = copy_source_tree(ROOT, tmp_path / "tree")
    assert (tree / "pyproject.toml").is_file()
    assert (tree / "reporter" / "cli" / "main.py").is_file()
    assert (tree / "templates" / "md" / "report.md.j2").is_file()
    for name in (".venv", ".git", "build", "out"):
        assert not (tree / name).exists(), name
    assert not list(tree.glob("*.egg-info"))
    assert not list(tree.rglob("__pycache__"))


def test_distribution_name_is_the_one_hints_and_readme_give():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11
    from reporter.errors import DISTRIBUTION, MissingDependencyError

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["name"] == DIST == DISTRIBUTION
    assert pyproject["project"]["scripts"] == {"reporter": "reporter.cli.main:main"}
    hint = MissingDependencyError("lightning", "reading x", extra="frameworks").hint
    assert hint == f"install it: pip install '{DIST}[frameworks]'"
    assert f"pip install {DIST}" in (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.slow
def test_wheel_has_the_distribution_name_and_the_reporter_command(wheel):
    assert wheel.name.startswith(DIST.replace("-", "_") + "-")
    assert f"\nName: {DIST}\n" in _dist_info(wheel, "METADATA")
    entry_points = _dist_info(wheel, "entry_points.txt")
    assert "[console_scripts]" in entry_points
    assert "reporter = reporter.cli.main:main" in entry_points


@pytest.mark.slow
def test_wheel_holds_every_package_and_the_templates(wheel):
    tomllib = pytest.importorskip("tomllib")  # Python 3.11
    names = _wheel_names(wheel)
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    for package in pyproject["tool"]["setuptools"]["packages"]:
        folder = package.replace(".", "/") + "/"
        assert any(n.startswith(folder) for n in names), f"{package} is not in the wheel"
    for package in ("reporter", "reporter.cli", "reporter.analysis", "reporter.fidelity",
                    "reporter.remedies", "reporter.templates", "replay"):
        assert package.replace(".", "/") + "/__init__.py" in names, package
    # every module of the source tree is in the wheel
    for source in (*ROOT.glob("reporter/**/*.py"), *ROOT.glob("replay/*.py")):
        module = source.relative_to(ROOT).as_posix()
        assert module in names, f"{module} is not in the wheel"
    templates = {p.relative_to(ROOT / "templates").as_posix()
                 for p in (ROOT / "templates").rglob("*") if p.suffix in {".j2", ".css"}}
    assert templates
    for template in templates:
        assert f"reporter/templates/{template}" in names, f"template {template} is missing"
    assert "reporter/templates/md/report.md.j2" in names


@pytest.mark.slow
def test_wheel_install_renders_report_from_packaged_templates(wheel, tmp_path):
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target",
                    str(site), str(wheel)], check=True, capture_output=True)
    assert (site / "reporter" / "templates" / "md" / "report.md.j2").is_file()
    work = tmp_path / "work"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(site), str(ROOT / "tests" /
                                                                       "seedlike.py")],
                          cwd=work, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    report = (work / "out" / "TRAINING_INSTABILITY_FIX.md").read_text()
    assert report.startswith("# Training Instability Fix - Loss Spike at Epoch 13")
    assert (work / "out" / "report.html").stat().st_size > 10_000
