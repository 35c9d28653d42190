"""A non-editable install (a built wheel) ships the templates and renders a report."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

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


@pytest.mark.slow
def test_wheel_install_renders_report_from_packaged_templates(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w",
                    str(wheels), str(ROOT)], check=True, capture_output=True)
    (wheel,) = wheels.glob("reporter-*.whl")
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
