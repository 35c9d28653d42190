"""Bad input: exit code 2 and one line naming the file and the problem, never a traceback."""

import pytest

from reporter.cli.main import main


def _run(capsys, *argv):
    code = main(["analyze", *map(str, argv), "--confirm", "off", "-q"])
    err = capsys.readouterr().err
    return code, err


def _one_error_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.startswith("reporter: error:")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_missing_path(tmp_path, capsys):
    code, err = _run(capsys, tmp_path / "nope", "-o", tmp_path / "out")
    assert code == 2
    assert str(tmp_path / "nope") in _one_error_line(err)


def test_empty_file(tmp_path, capsys):
    f = tmp_path / "history.json"
    f.write_text("")
    code, err = _run(capsys, f, "-o", tmp_path / "out")
    assert code == 2
    assert str(f) in _one_error_line(err)


def test_truncated_json(tmp_path, capsys):
    f = tmp_path / "history.json"
    f.write_text('{"train_loss": [1.0, 0.5, 0.2], "val_loss": [1.0, 0.')
    code, err = _run(capsys, f, "-o", tmp_path / "out")
    assert code == 2
    line = _one_error_line(err)
    assert str(f) in line


def test_csv_without_loss_column(tmp_path, capsys):
    f = tmp_path / "training_log.csv"
    f.write_text("epoch,accuracy,val_accuracy\n0,0.5,0.4\n1,0.6,0.5\n")
    code, err = _run(capsys, f, "-o", tmp_path / "out")
    assert code == 2
    line = _one_error_line(err)
    assert str(f) in line and "loss" in line


def test_unknown_format(tmp_path, capsys):
    f = tmp_path / "notes.txt"
    f.write_text("nothing a training loop would write\n")
    code, err = _run(capsys, f, "-o", tmp_path / "out")
    assert code == 2
    assert str(f) in _one_error_line(err)


def test_forced_unknown_reader_suggests(tmp_path, capsys):
    f = tmp_path / "h.json"
    f.write_text('{"loss": [1, 0.5]}')
    code, err = _run(capsys, f, "--log-format", "history_jsn", "-o", tmp_path / "out")
    assert code == 2
    assert "history_json" in err


@pytest.mark.parametrize("loss", ["nope"])
def test_unknown_loss_metric(tmp_path, capsys, loss):
    f = tmp_path / "h.json"
    f.write_text('{"mean_loss": [1, 0.5, 0.4]}')
    code, err = _run(capsys, f, "--loss", loss, "-o", tmp_path / "out")
    assert code == 2
    assert "mean_loss" in err


def test_user_pattern_reads_a_custom_text_log(tmp_path, capsys):
    log = tmp_path / "train.log"
    log.write_text("".join(f"ep {i} loss {v} vloss {v + 0.05}\n"
                           for i, v in enumerate([1.0, 0.5, 0.2, 0.1, 0.9, 0.8])))
    out = tmp_path / "out"
    code = main(["analyze", str(log), "--pattern",
                 r"ep (?P<epoch>\d+) loss (?P<loss>[\d.]+) vloss (?P<val_loss>[\d.]+)",
                 "-o", str(out), "--confirm", "off", "-q"])
    assert code == 0
    assert (out / "TRAINING_INSTABILITY_FIX.md").read_text().startswith(
        "# Training Instability Fix - Loss Spike at Epoch 4")


def test_bad_user_pattern_exits_2(tmp_path, capsys):
    log = tmp_path / "train.log"
    log.write_text("ep 0 loss 1.0\n")
    code, err = _run(capsys, log, "--pattern", "ep (?P<epoch>", "-o", tmp_path / "out")
    assert code == 2
    assert "Traceback" not in err
