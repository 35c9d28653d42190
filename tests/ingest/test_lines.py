"""Lines as the program printed them (``_lines``): the ``srun --label`` rank label (issue 7)."""

from __future__ import annotations

import pytest

from reporter.ingest import read_run
from reporter.ingest._lines import fragments, rank_labelled
from tests.ingest.conftest import DATA


@pytest.mark.parametrize(("lines", "labelled"), [
    (["0: iter 1: loss 2.0", "1: iter 1: loss 2.1", "0: iter 2: loss 1.9",
      "1: iter 2: loss 2.0", "0: iter 3: loss 1.8", "1: iter 3: loss 1.9", ""], True),
    (["0: iter 1: loss 2.0", "iter 2: loss 1.9"], False),  # one line has none
    (["1: 0.52", "2: 0.48", "3: 0.47", "4: 0.41"], False),  # a step counter, not ranks
    (["1: 0.52", "1: 0.5", "2: 0.48", "2: 0.45"], False),  # a step with two values each
    (["0: iter 1: loss 2.0", "0: iter 2: loss 1.9"], False),  # two lines say too little
    (["0/5 7.31G 0.09", "0/5 7.31G 0.08"], False),  # a console-table counter
])
def test_rank_labelled(lines, labelled):
    assert rank_labelled(lines) is labelled


def test_the_label_is_removed_only_when_asked():
    assert list(fragments(["0: iter 1: loss 2.0\n"], ranks=True)) == [(1, "iter 1: loss 2.0")]
    assert list(fragments(["0: iter 1: loss 2.0\n"])) == [(1, "0: iter 1: loss 2.0")]


def test_an_srun_labelled_log_reads_like_the_clean_one(tmp_path):
    source = DATA / "text_log" / "nanogpt_iter_lines.log"
    clean = read_run(source)
    text = source.read_text(encoding="utf-8")
    labelled = tmp_path / source.name
    lines = [line for line in text.splitlines(keepends=True) if line.strip()]
    labelled.write_text("".join(f"{i % 2}: {line}" for i, line in enumerate(lines)),
                        encoding="utf-8")
    run = read_run(labelled)
    assert run.scalars.equals(clean.scalars)
