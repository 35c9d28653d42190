import subprocess
import sys

import pytest

from reporter.cli import exitcodes
from reporter.cli.main import main


def test_help_does_not_import_heavy_modules():
    code = (
        "import sys; from reporter.cli.main import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('numpy', 'pandas', 'matplotlib', 'torch') if m in sys.modules]\n"
        "print('HEAVY=' + ','.join(heavy), file=sys.stderr)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "analyze" in out.stdout
    assert out.stderr.strip().splitlines()[-1] == "HEAVY="


def test_main_without_command_prints_usage_and_exits_2(capsys):
    assert main([]) == exitcodes.BAD_INPUT
    assert "commands:" in capsys.readouterr().err


def test_main_unknown_command_suggests(capsys):
    assert main(["analyse", "x"]) == exitcodes.BAD_INPUT
    err = capsys.readouterr().err
    assert "unknown command 'analyse'" in err and "did you mean 'analyze'?" in err


def test_main_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("reporter ")


@pytest.mark.parametrize(
    "argv", [["analyze", "--format", "pdf", "x"], ["analyze", "--seeds", "0", "x"]]
)
def test_analyze_bad_options_exit_2(argv, capsys):
    assert main(argv) == exitcodes.BAD_INPUT
    assert capsys.readouterr().err.startswith("reporter: error:")


def test_python_dash_m_reporter_runs():
    out = subprocess.run([sys.executable, "-m", "reporter", "--help"], capture_output=True,
                         text=True)
    assert out.returncode == 0 and "analyze" in out.stdout
