"""Outputs are written atomically, one run's set all together, stale ones removed or listed.

Issue 11, item 6.
"""

import json
import os
import signal
from pathlib import Path

import pytest

from reporter.cli.main import main
from reporter.report import atomic
from reporter.report.atomic import MANIFEST_NAME, staged, write_bytes, write_now

SEED = Path(__file__).resolve().parents[2] / "samples" / "seed_like"


def tree(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` (hidden ones included) with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def temporaries(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if atomic.TMP_MARK in p.name]


def commit(root: Path, files: dict[str, bytes]) -> atomic.CommitResult:
    with staged(root) as outputs:
        for name, payload in files.items():
            write_bytes(root / name, payload)
    return outputs.commit()


def manifest(root: Path) -> dict[str, str]:
    return json.loads((root / MANIFEST_NAME).read_text())["files"]


def test_write_now_new_file_has_the_bytes_and_no_temporary_left(tmp_path):
    assert write_now(tmp_path / "sub" / "a.md", b"new\n") is None
    assert tree(tmp_path) == {"sub/a.md": b"new\n"}


def test_write_now_existing_other_file_is_kept_as_bak(tmp_path):
    (tmp_path / "a.md").write_bytes(b"the user's\n")
    assert write_now(tmp_path / "a.md", b"ours\n") == tmp_path / "a.md.bak"
    assert tree(tmp_path) == {"a.md": b"ours\n", "a.md.bak": b"the user's\n"}


def test_write_now_same_bytes_leaves_the_file_alone(tmp_path):
    path = tmp_path / "a.md"
    path.write_bytes(b"same\n")
    os.utime(path, (1, 1))
    assert write_now(path, b"same\n") is None
    assert path.stat().st_mtime == 1 and tree(tmp_path) == {"a.md": b"same\n"}


def test_write_now_interrupted_while_writing_leaves_old_file_and_no_temporary(
        tmp_path, monkeypatch):
    (tmp_path / "a.md").write_bytes(b"old\n")

    def interrupted(_fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_now(tmp_path / "a.md", b"new\n")
    assert tree(tmp_path) == {"a.md": b"old\n"}


def test_staged_writes_nothing_until_commit(tmp_path):
    with staged(tmp_path) as outputs:
        assert write_bytes(tmp_path / "a.md", b"a") == tmp_path / "a.md"
        assert tree(tmp_path) == {}
    result = outputs.commit()
    assert result.written == [tmp_path / "a.md"]
    assert tree(tmp_path).keys() == {"a.md", MANIFEST_NAME}


def test_staged_block_left_by_ctrl_c_writes_nothing(tmp_path):
    (tmp_path / "report.json").write_bytes(b"earlier\n")
    with pytest.raises(KeyboardInterrupt), staged(tmp_path):
        write_bytes(tmp_path / "report.md", b"half of a run")
        raise KeyboardInterrupt
    assert write_bytes(tmp_path / "after.md", b"x") and (tmp_path / "after.md").exists()
    assert tree(tmp_path) == {"report.json": b"earlier\n", "after.md": b"x"}


def test_commit_failing_on_one_file_replaces_none_and_leaves_no_temporary(tmp_path):
    (tmp_path / "a.md").write_bytes(b"old a\n")
    (tmp_path / "b.md").mkdir()  # cannot be written as a file
    with staged(tmp_path) as outputs:
        write_bytes(tmp_path / "a.md", b"new a\n")
        write_bytes(tmp_path / "b.md", b"new b\n")
    with pytest.raises(IsADirectoryError, match=r"b\.md: is a folder"):
        outputs.commit()
    assert tree(tmp_path) == {"a.md": b"old a\n"}


def test_commit_ctrl_c_during_renames_is_held_until_all_are_done(tmp_path, monkeypatch):
    real_replace = os.replace
    calls = []

    def replace_with_a_ctrl_c(src, dst):
        if not calls:
            signal.raise_signal(signal.SIGINT)  # the handler runs now, in this thread
        calls.append(dst)
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace_with_a_ctrl_c)
    files = {"a.md": b"a", "b.html": b"b", "c/d.png": b"d"}
    with pytest.raises(KeyboardInterrupt):
        commit(tmp_path, files)
    assert tree(tmp_path).keys() == {*files, MANIFEST_NAME}
    assert not temporaries(tmp_path)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_commit_removes_unedited_files_of_the_previous_run(tmp_path):
    commit(tmp_path, {"report.md": b"md", "report.html": b"html", "run_a/report.md": b"a"})
    result = commit(tmp_path, {"report.md": b"md 2"})
    assert sorted(result.removed) == [tmp_path / "report.html", tmp_path / "run_a" / "report.md"]
    assert result.stale == []
    assert not (tmp_path / "run_a").exists()  # the folder it emptied goes too
    assert manifest(tmp_path).keys() == {"report.md"}


def test_commit_keeps_and_lists_edited_files_of_the_previous_run(tmp_path):
    commit(tmp_path, {"report.md": b"md", "report.json": b"{}"})
    (tmp_path / "report.json").write_bytes(b'{"edited": true}')
    result = commit(tmp_path, {"report.md": b"md"})
    assert result.stale == [tmp_path / "report.json"] and result.removed == []
    assert (tmp_path / "report.json").read_bytes() == b'{"edited": true}'
    # still listed on the next run; removed once it matches what we wrote again
    assert commit(tmp_path, {"report.md": b"md"}).stale == [tmp_path / "report.json"]
    (tmp_path / "report.json").write_bytes(b"{}")
    assert commit(tmp_path, {"report.md": b"md"}).removed == [tmp_path / "report.json"]


def test_commit_never_removes_a_file_it_did_not_write(tmp_path):
    (tmp_path.parent / "outside.txt").write_bytes(b"x")
    (tmp_path / "notes.txt").write_bytes(b"mine")
    digest = atomic._sha256(tmp_path.parent / "outside.txt")
    (tmp_path / MANIFEST_NAME).write_text(json.dumps({"version": 1,
                                                      "files": {"../outside.txt": digest}}))
    result = commit(tmp_path, {"report.md": b"md"})
    assert result.removed == [] and result.stale == []
    assert (tmp_path.parent / "outside.txt").exists() and (tmp_path / "notes.txt").exists()


def test_commit_with_an_unreadable_manifest_removes_nothing(tmp_path):
    commit(tmp_path, {"report.md": b"md", "report.html": b"html"})
    (tmp_path / MANIFEST_NAME).write_text("{ not json")
    result = commit(tmp_path, {"report.md": b"md"})
    assert result.removed == [] and (tmp_path / "report.html").exists()
    assert manifest(tmp_path).keys() == {"report.md"}


def test_analyze_with_fewer_formats_removes_unedited_outputs_and_lists_edited_ones(
        tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("the user's own file\n")
    argv = ["analyze", str(SEED), "-o", str(out), "--confirm", "off", "-q"]
    assert main([*argv, "--format", "md,html,json"]) == 0
    assert {"report.html", "report.json", MANIFEST_NAME} <= set(tree(out))
    (out / "report.json").write_text("edited by the user\n")
    capsys.readouterr()

    assert main([*argv, "--format", "md"]) == 0
    err = capsys.readouterr().err
    assert not (out / "report.html").exists()  # ours, unedited: removed
    assert (out / "report.json").read_text() == "edited by the user\n"  # edited: kept
    assert err.count("\n") == 1 and err.startswith("reporter: stale: 1 file(s)")
    assert err.rstrip().endswith(str(out / "report.json"))
    assert (out / "notes.txt").read_text() == "the user's own file\n"
    assert "report.json" in manifest(out) and "report.html" not in manifest(out)
    assert not temporaries(out)


def test_commit_replaces_its_own_unedited_output_without_a_backup(tmp_path):
    commit(tmp_path, {"report.md": b"first run\n"})
    commit(tmp_path, {"report.md": b"second run\n"})
    assert sorted(tree(tmp_path)) == sorted(["report.md", MANIFEST_NAME])
    assert (tmp_path / "report.md").read_bytes() == b"second run\n"


def test_commit_keeps_an_edited_earlier_output_as_bak(tmp_path):
    commit(tmp_path, {"report.md": b"first run\n"})
    (tmp_path / "report.md").write_bytes(b"first run, with the user's notes\n")
    commit(tmp_path, {"report.md": b"second run\n"})
    assert (tmp_path / "report.md.bak").read_bytes() == b"first run, with the user's notes\n"
    assert (tmp_path / "report.md").read_bytes() == b"second run\n"
