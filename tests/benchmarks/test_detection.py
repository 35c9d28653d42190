"""``benchmarks/detection.py``'s seeds: the ``--seeds`` list and the pooled figures."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
if str(BENCH) not in sys.path:
    sys.path.append(str(BENCH))

from detection import DETECTORS, CaseResult, plan, print_seeds, seed_list, summary  # noqa: E402
from detection_scoring import CLASSES, Outcome  # noqa: E402


@pytest.mark.parametrize(("text", "seeds"), [
    ("8", (8,)), ("8,9,10,11", (8, 9, 10, 11)), ("8-11", (8, 9, 10, 11)), ("9, 8,9", (9, 8)),
])
def test_seed_list_reads_commas_and_ranges(text, seeds):
    assert seed_list(text) == seeds


def test_seed_list_names_what_it_cannot_read():
    with pytest.raises(argparse.ArgumentTypeError, match="8,x"):
        seed_list("8,x")


def _case(kind: str, seed: int, found: bool, stray: int = 0) -> CaseResult:
    outcome = Outcome(found, 0 if found else None, stray)
    return CaseResult(kind, 0, seed, "gan", "", "", 10, dict.fromkeys(DETECTORS, outcome), 0.0)


def test_summary_pools_the_seeds_and_print_seeds_gives_each(capsys):
    # seed 8: 1 of 2 anomalies found, no false alarm; seed 9: 2 of 2, 1 of 2 healthy runs
    # with an alarm; pooled: 3 of 4, 1 of 4
    results = [_case("spike_recovered", 8, True), _case("spike_recovered", 8, False),
               _case("healthy", 8, False), _case("healthy", 8, False),
               _case("spike_recovered", 9, True), _case("spike_recovered", 9, True),
               _case("healthy", 9, False, stray=2), _case("healthy", 9, False)]
    assert summary(results) == (0.75, 0.25)
    print_seeds(results, (8, 9))
    rows = {line.split()[0]: line.split("|")[1].strip() for line in
            capsys.readouterr().out.splitlines() if "|" in line}
    assert rows == {"seed": "ours", "8": "50.0/0.0%", "9": "100.0/50.0%", "pooled": "75.0/25.0%"}


def test_plan_is_one_set_per_seed():
    assert plan(1, 2, 9) == [*[(k, 0, 9) for k in CLASSES], ("healthy", 0, 9), ("healthy", 1, 9)]
