"""Which checks ran on this run, on which curves, and which were skipped and why (issue 8,
item 5): a clean verdict says what it covered."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reporter.diagnose.series import Curve
    from reporter.ingest.run import Run

__all__ = ["Check", "coverage"]


@dataclass(frozen=True)
class Check:
    """One detector: ``ran`` on the curves named in ``detail``, or skipped for the reason in
    ``detail``."""

    name: str
    ran: bool
    detail: str


def _names(curves: list[str]) -> str:
    return ", ".join(curves)


def coverage(run: Run, found: dict[str, Curve], losses: list[str], evals: list[str], *,
             trend: list[str], spike_stuck: bool, tail_loss: str | None) -> list[Check]:
    """The checks of ``diagnose`` for this run.

    ``losses``: the loss curves the event rules read; ``evals``: the validation curves;
    ``trend``: the curves the trend rules (no progress, stall, slow divergence) read;
    ``spike_stuck``: a spike that did not recover was found (the LR reaction is checked then);
    ``tail_loss``: the loss the flat-tail rule reads beside the LR.
    """
    def check(name: str, on: list[str], reason: str) -> Check:
        return Check(name, True, _names(on)) if on else Check(name, False, reason)

    no_loss = "no loss curve"
    lr = "lr" in found
    checks = [
        check("non-finite loss (NaN, inf)", losses, no_loss),
        check("spikes", losses, no_loss),
        check("collapse to a flat plateau", losses, no_loss),
        check("no progress, stall, slow divergence", trend,
              "a GAN generator's loss is judged by the event rules only" if losses
              else no_loss),
        check("overfitting", evals, "no validation loss logged"),
        check("gradient-norm spikes", ["grad_norm"] if "grad_norm" in found else [],
              "no gradient norm logged"),
        Check("slow LR reaction to a spike", lr and spike_stuck,
              "lr" if lr and spike_stuck else
              ("no learning rate logged" if not lr else "no spike that stayed high")),
        check("long flat tail at the minimum LR", ["lr", tail_loss] if lr and tail_loss else [],
              "no learning rate logged" if not lr else no_loss),
        check("long stretch without gain (any LR)", [tail_loss] if tail_loss else [], no_loss),
        check("crash and fatal lines (traceback, OOM, NCCL, DataLoader, AMP overflow)",
              ["the log's lines"] if run.format == "text_log" else [],
              "not a text log: no console lines to read"),
        check("the run's own best checkpoint (selection metric)",
              ["best_metric"] if run.meta.get("best_metric") is not None else [],
              "the log records no best checkpoint (HF best_metric)"),
    ]
    return checks
