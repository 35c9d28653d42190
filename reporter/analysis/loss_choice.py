"""Which of a run's losses the diagnosis reads, and why (issue 7, item 4).

The detectors read ``train/loss`` and ``val/loss`` (``diagnose.series.LOSS_METRICS``). Most
runs log those under a name ``ingest.aliases`` knows; the others are chosen here, from the
typed ``aliases.loss_kind`` of each metric, and the choice is stated in one
``Note("ingest.loss_choice")``:

- ``--loss NAME`` (any metric of the run) is the training loss;
- without a training loss: an aggregate (``mean_loss``, ``loss_total``), else a GAN's
  generator loss (the discriminator's stays beside it as a curve), else the run's other loss
  (one whose name says total or train first, else the first logged);
- without a validation loss: the first evaluation set logged (``val/<set>/loss``), else the
  test loss, as the held-out loss.

The chosen metric is renamed, so a curve is never drawn twice; the note gives its own name.
"""

from __future__ import annotations

from typing import Any

from reporter.analysis.notes import Note
from reporter.ingest.aliases import LossKind, canonical_name, loss_kind

__all__ = ["FALLBACK_LOSSES", "NOTE_CODE", "choose_loss"]

NOTE_CODE = "ingest.loss_choice"
# aggregate losses of physics-informed nets and hand-written loops with several terms
FALLBACK_LOSSES = ("total_loss", "mean_loss", "loss_total", "train_total_loss")


def choose_loss(run: Any, loss_metric: str | None = None) -> Note | None:
    """Rename the run's chosen losses to ``train/loss`` / ``val/loss``; the note says which.

    ``loss_metric`` (``--loss``) must be a metric of the run (``ingest.read_run`` checked it),
    native or canonical name. None when the run's losses needed no choice.
    """
    if loss_metric is not None:
        name = loss_metric if run.has(loss_metric) else canonical_name(loss_metric)
        if name != "train/loss":
            _rename(run, name, "train/loss", replace=True)
        return Note(NOTE_CODE, f"'{name}' is analysed as the training loss (chosen with "
                               "--loss).")
    order = _first_logged(run)
    kinds = {m: k for m in order if (k := loss_kind(m)) is not None}
    said = [_choose_train(run, kinds), _choose_held_out(run, kinds)]
    said = [s for s in said if s]
    return Note(NOTE_CODE, " ".join(said)) if said else None


def _choose_train(run: Any, kinds: dict[str, LossKind]) -> str | None:
    if "train/loss" in kinds:
        return None
    fallback = next((m for m in FALLBACK_LOSSES if m in kinds), None)
    if fallback is not None:
        _rename(run, fallback, "train/loss")
        return f"'{fallback}' is analysed as the training loss (the run's aggregate loss)."
    generator = _first(kinds, "generator")
    if generator is not None:
        _rename(run, generator, "train/loss")
        run.meta["train_loss_role"] = "generator"  # the detectors skip its trend rules
        critic = _first(kinds, "discriminator")
        beside = (f" and the discriminator loss '{critic}' is read beside it as a curve"
                  if critic else "")
        return (f"A GAN: the generator loss '{generator}' is analysed as the training loss"
                f"{beside}. The two play against each other, so a rising generator loss is "
                "not by itself a failure; a spike, NaN or collapse still is.")
    others = [m for m, k in kinds.items() if k.role == "other"]
    if not others or ("val/loss" in kinds and not _says_train(others)):
        return None
    chosen = _preferred(others)
    _rename(run, chosen, "train/loss")
    rest = [m for m in others if m != chosen]
    also = f" (also logged: {', '.join(rest[:8])}; --loss NAME analyses another)" if rest else ""
    return (f"'{chosen}' is analysed as the training loss: the run logged no loss under a "
            f"known training-loss name{also}.")


def _choose_held_out(run: Any, kinds: dict[str, LossKind]) -> str | None:
    sets = [m for m, k in kinds.items() if k.role == "val" and k.eval_set is not None]
    if "val/loss" in kinds:
        if not sets:
            return None
        return (f"val/loss is the analysed validation loss; the other evaluation sets "
                f"({', '.join(sets)}) are read as curves beside it.")
    if sets:
        _rename(run, sets[0], "val/loss")
        rest = f"; the other sets ({', '.join(sets[1:])}) are read as curves beside it" \
            if len(sets) > 1 else ""
        return (f"val/loss is the evaluation set '{kinds[sets[0]].eval_set}' "
                f"({sets[0]}), the first one logged{rest}.")
    test = _first(kinds, "test")
    if test is None:
        return None
    _rename(run, test, "val/loss")
    alone = "" if run.has("train/loss") else " and no training loss"
    return (f"The run logged no validation loss{alone}: its test loss '{test}' is analysed as "
            "the held-out loss, in the place of the validation loss.")


def _first(kinds: dict[str, LossKind], role: str) -> str | None:
    return next((m for m, k in kinds.items() if k.role == role), None)


def _says_train(names: list[str]) -> bool:
    return any("train" in n.lower() for n in names)


def _preferred(names: list[str]) -> str:
    """A name that says total, else one that says train, else the first logged."""
    for word in ("total", "train"):
        hit = next((n for n in names if word in n.lower()), None)
        if hit is not None:
            return hit
    return names[0]


def _first_logged(run: Any) -> list[str]:
    """The run's metric names in the order they first appear."""
    return [str(m) for m in run.scalars["metric"].unique()]  # pandas keeps that order


def _rename(run: Any, source: str, target: str, *, replace: bool = False) -> None:
    frame = run.scalars
    if replace:
        frame = frame[frame["metric"] != target]
    frame = frame.copy()
    if hasattr(frame["metric"], "cat") and target not in frame["metric"].cat.categories:
        frame["metric"] = frame["metric"].cat.add_categories([target])  # a text log's codes
    frame.loc[frame["metric"] == source, "metric"] = target
    run.scalars = frame.reset_index(drop=True)
