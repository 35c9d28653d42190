"""Partially valid files are read as far as they are valid, with a note (issue 2)."""

from __future__ import annotations

from reporter.ingest import read_run


def test_lightning_cut_last_row(tmp_path):
    path = tmp_path / "metrics.csv"
    path.write_text("epoch,step,train_loss\n0,1,0.5\n0,3,0.4\n1,5")
    run = read_run(path)
    assert run.series("train/loss")["value"].tolist() == [0.5, 0.4]
    assert run.notes == ["stopped at line 4: the row is cut short (2 of 3 cells); read 2 rows "
                         "before it"]


def test_last_line_without_line_end_is_kept_with_note(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("epoch,loss\n0,1.0\n1,0.9")
    run = read_run(path)
    assert run.series("train/loss")["value"].tolist() == [1.0, 0.9]
    assert "has no line end" in run.notes[0]


def test_bom_and_crlf(tmp_path):
    path = tmp_path / "log.csv"
    path.write_bytes(b"\xef\xbb\xbfepoch,loss\r\n0,1.0\r\n1,0.9\r\n")
    assert read_run(path).series("train/loss")["value"].tolist() == [1.0, 0.9]
