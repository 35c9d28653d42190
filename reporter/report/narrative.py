"""The story half of the view model: what happened (timeline) and why (root cause).

Each sentence is built from observed or replayed numbers in the Analysis dict.
"""

from __future__ import annotations

import itertools
import re

from reporter.report.filters import fmt_number, fmt_ratio, fmt_x


def at(data: dict, axis: str, x: float | None) -> str:
    """``"epoch 28"``: an epoch index or a step, named as the run's log names it (an epoch
    index plus ``run.epoch_base``; steps as logged)."""
    return f"{axis} {shown_x(data, axis, x)}"


def shown_x(data: dict, axis: str, x: float | None) -> str:
    """The number alone: ``"28"``."""
    base = data["run"].get("epoch_base", 0) if axis == "epoch" else 0
    return fmt_x(None if x is None else x + base)


def between(data: dict, axis: str, a: float, b: float) -> str:
    """``"epochs 1–23"``."""
    return f"{axis}s {shown_x(data, axis, a)}–{shown_x(data, axis, b)}"


def convention(run: dict) -> str:
    """The report's one numbering convention, stated once (issue 9, item 3)."""
    if run.get("axis") == "step":
        return "steps are numbered as logged"
    if run.get("epoch_base"):
        return "epochs are counted from 1, as in your log"
    return "epochs are counted from 0, as in your log"


def extent(run: dict) -> str:
    """``"40 train/loss points, 10 val/loss points, steps 4–160"``: what the log covers, and
    how many earlier points a restart replaced (they are not analysed)."""
    text = _covered(run)
    if run.get("superseded"):
        text += (f" (and {run['superseded']} earlier loss points, replaced by a restart at "
                 "the same steps, not analysed: see Data Notes)")
    return text


def _covered(run: dict) -> str:
    axis = run.get("axis", "epoch")
    counts = run.get("counts") or {}
    span = run.get("span")
    if axis == "epoch" and span and counts and all(
        n == span[1] - span[0] + 1 for n in counts.values()
    ):
        return f"{next(iter(counts.values()))} epochs logged"
    parts = [f"{n} {m} points" for m, n in counts.items()]
    if span:
        parts.append(between({"run": run}, axis, span[0], span[1]))
    return ", ".join(parts) or f"{run.get('length', 0)} {axis}s logged"


def _count(n: float, unit: str) -> str:
    """``1 epoch``, ``3 epochs``."""
    return f"{fmt_x(n)} {unit}" + ("" if n == 1 else "s")


def timeline(data: dict, spike: dict | None, collapse: dict | None) -> list[dict]:
    """The 'what happened' lines, each labelled observed."""
    series = data["series"]
    metric = spike["metric"] if spike else ("val/loss" if "val/loss" in series else "train/loss")
    s = series.get(metric)
    if not s:
        return []
    x, y = s["x"], s["y"]
    axis = s["axis"]
    rows = []
    if spike:
        ev = spike["evidence"]
        best_at = ev["best_at"]
        rows.append(
            {
                "when": between(data, axis, x[0], best_at),
                "what": f"{metric} fell from {fmt_number(y[0])} to its best, "
                f"{fmt_number(ev['best_before'])}",
            }
        )
        rows.append(
            {
                "when": at(data, axis, ev["onset"]),
                "what": f"{metric} jumped to {fmt_number(ev['onset_value'])}"
                f" (peak {fmt_number(ev['peak_value'])} at {at(data, axis, ev['peak'])}, "
                f"{fmt_ratio(ev['ratio'])} the best)",
            }
        )
        rows.extend(_began_row(data, spike))
        if collapse:
            cev = collapse["evidence"]
            rows.append(
                {
                    "when": between(data, axis, collapse["start"], collapse["end"]),
                    "what": f"{metric} stayed flat at {fmt_number(cev['plateau_level'])} "
                    f"({fmt_ratio(cev['ratio_to_first'])} its first value, "
                    f"{fmt_number(cev['first_value'])})",
                }
            )
        elif ev["recovered"]:
            rows.append(
                {
                    "when": at(data, axis, ev["recovered_at"]),
                    "what": f"{metric} back near its level before the spike",
                }
            )
    else:
        points = [(xi, v) for xi, v in zip(x, y, strict=False) if v is not None]
        if points:
            last_x, last = points[-1]
            rows.append(
                {
                    "when": between(data, axis, points[0][0], last_x),
                    "what": f"{metric} went from {fmt_number(points[0][1])} to "
                    f"{fmt_number(last)} (best {fmt_number(min(v for _, v in points))})",
                }
            )
    late = next((f for f in data["diagnosis"]["findings"] if f["kind"] == "slow_reaction"), None)
    if late and late["evidence"]["first_reduction"] is not None:
        rows.append(
            {
                "when": at(data, axis, late["evidence"]["first_reduction"]),
                "what": "the logged LR went down for the first time after the spike",
            }
        )
    lr = series.get("lr_used")
    if lr and not late and _stepwise(lr["y"]):
        drops = [
            i
            for i in range(1, len(lr["y"]))
            if lr["y"][i] is not None and lr["y"][i - 1] is not None and lr["y"][i] < lr["y"][i - 1]
        ]
        if drops:
            rows.append(
                {
                    "when": at(data, axis, lr["x"][drops[0]]),
                    "what": f"first LR reduction, {fmt_number(lr['y'][drops[0] - 1])} → "
                    f"{fmt_number(lr['y'][drops[0]])}",
                }
            )
    for f in data["diagnosis"]["findings"]:
        if f["kind"] == "divergence":
            stays = " and stayed so" if f["evidence"].get("stays_nonfinite") else ""
            rows.append({"when": at(data, axis, f["start"]),
                         "what": f"{f['metric']} became NaN or infinite{stays}"})
    end = (data["run"].get("end") or {}).get("text", "run ended")
    rows.append({"when": at(data, axis, x[-1]), "what": f"last logged point ({end})"})
    return sorted(rows, key=_row_start)


def _began_row(data: dict, spike: dict) -> list[dict]:
    """The row of the spike on another curve that began the same event, if one did."""
    ev = spike["evidence"]
    first = next((f for f in data["diagnosis"]["findings"] if f["kind"] == "spike"
                  and f["metric"] == ev.get("began_in")
                  and f["evidence"]["onset"] == ev.get("began_at")), None)
    if first is None:
        return []
    fev = first["evidence"]
    return [{"when": at(data, fev["axis"], fev["onset"]),
             "what": f"{first['metric']} jumped to {fmt_number(fev['onset_value'])} "
                     f"({fmt_ratio(fev['ratio'])} its best): the same event, begun before "
                     f"{spike['metric']}'s next logged point"}]


def _stepwise(values: list) -> bool:
    """An LR that changes in a few discrete drops (plateau, step), not a smooth decay."""
    finite = [v for v in values if v is not None]
    changes = sum(1 for a, b in itertools.pairwise(finite) if a != b)
    return 0 < changes <= max(1, len(finite) // 4)


def _row_start(row: dict) -> float:
    """The first number of a timeline row's ``when`` (rows are built out of order)."""
    found = re.search(r"-?\d+(?:\.\d+)?", row["when"])
    return float(found.group()) if found else 0.0


def _no_spike_causes(data: dict) -> list[str]:
    return [line for line, _kind in _finding_causes(data)]


def _divergence_consequence(ev: dict) -> str:
    """What a non-finite loss means: sustained, the weights are gone; isolated, the run went on."""
    if ev.get("sustained", True):
        return (" Once a loss is NaN the weights usually are too; the options below aim at "
                "the updates that led there (a lower LR, clipping).")
    return (" The run went on with finite losses after it, so the weights did not become NaN "
            "(one bad batch, or an overflow that mixed precision skipped); the options below "
            "aim at making such a step rarer (a lower LR, clipping).")


def _finding_causes(data: dict) -> list[tuple[str, str]]:
    """(sentence, finding kind) for divergence, overfitting and no-progress findings."""
    out = []
    for f in data["diagnosis"]["findings"]:
        ev = f["evidence"]
        if f["kind"] == "divergence":
            last = ev.get("last_finite_value")
            axis = data["series"].get(f["metric"], {}).get("axis", "epoch")
            first = not any(kind == "divergence" for _line, kind in out)
            out.append(
                (
                    f"{f['metric']} became NaN or infinite at {at(data, axis, f['start'])}"
                    + (
                        f" after a last finite value of {fmt_number(last)}"
                        if last is not None
                        else ""
                    )
                    + (", and stayed so" if ev.get("stays_nonfinite") else "")
                    + ("" if ev.get("sustained", True) else ", and was finite again after it")
                    + " (observed)."
                    + (_divergence_consequence(ev) if first else ""),
                    "divergence",
                )
            )
        elif f["kind"] == "overfitting" and ev.get("train_fell") is False:
            f_axis = data["series"].get(f["metric"], {}).get("axis", "epoch")
            out.append(
                (
                    f"{f['metric']} was lowest at {at(data, f_axis, ev['val_best_at'])} "
                    f"({fmt_number(ev['val_best'])}) and rose to {fmt_number(ev['val_last'])} "
                    f"while {ev['steady_eval']} did not rise (observed): the model got worse on "
                    "this evaluation set only. That is overfitting (or a shift of that set), not "
                    "a learning-rate instability.",
                    "overfitting",
                )
            )
        elif f["kind"] == "overfitting" and ev.get("selection_metric"):
            out.append((_selection_cause(data, f), "overfitting"))
        elif f["kind"] == "overfitting":
            axis = data["series"].get(f["metric"], {}).get("axis", "epoch")
            out.append(
                (
                    f"The validation loss was lowest at {at(data, axis, ev['val_best_at'])} "
                    f"({fmt_number(ev['val_best'])}) and rose to {fmt_number(ev['val_last'])} "
                    "while "
                    f"the training loss fell from {fmt_number(ev['train_at_val_best'])} to "
                    f"{fmt_number(ev['train_last'])} (observed): the model fits the training data "
                    "better and generalises worse. That is overfitting, not a learning-rate "
                    "instability.",
                    "overfitting",
                )
            )
        elif f["kind"] == "no_progress":
            out.append((f"{f['title']} (observed).", "no_progress"))
        elif f["kind"] == "crash":  # its title starts "the run crashed" / "the log ends"
            out.append((f"{f['title'][:1].upper()}{f['title'][1:]} (observed).", "crash"))
    return out


def _selection_cause(data: dict, f: dict) -> str:
    """An eval loss that rose while the run's selection metric improved (``diagnose.selection``)."""
    ev, sel = f["evidence"], data["diagnosis"].get("selection") or {}
    return (f"The validation loss was lowest at step {fmt_x(sel.get('loss_best_at'))} "
            f"({fmt_number(ev['val_best'])}) and rose to {fmt_number(ev['val_last'])}, while "
            f"{ev['selection_metric']}, the metric the run selects its best checkpoint by, went "
            f"from {fmt_number(ev['selection_at_loss_best'])} there to its best, "
            f"{fmt_number(ev['selection_best'])} at step {fmt_x(ev['selection_best_at'])} "
            "(observed): the model's outputs kept improving while its loss grew. That is not "
            "overfitting to fix by stopping on the loss, nor a learning-rate instability.")


def root_cause(data: dict, spike: dict | None, collapse: dict | None) -> list[str]:
    """Statements about why, each built from observed or replayed numbers."""
    if not spike:
        return _no_spike_causes(data)
    out = [line for line, kind in _finding_causes(data) if kind == "divergence"]
    ev = spike["evidence"]
    axis = ev["axis"]
    cur = data["current"]["replay"]
    plan = data["current"]["plan"]
    lr_at = cur.get("observed_lr_at_onset")
    if lr_at is not None:
        same = (
            "the base LR"
            if abs(lr_at - plan["learning_rate"]) <= 1e-6 * lr_at
            else f"down from the base {fmt_number(plan['learning_rate'])}"
        )
        out.append(
            f"When the spike began ({at(data, axis, ev['onset'])}) the run trained with LR "
            f"{fmt_number(lr_at)} ({same}; observed)."
        )
    else:
        out.append(
            "No learning rate was logged, so the LR in effect when the spike began is "
            "not known from the logs."
        )
    if ev["recovered"]:
        out.append(
            f"The loss came back near its level before the spike at "
            f"{at(data, axis, ev['recovered_at'])}, "
            f"{_count(ev['recovered_at'] - ev['onset'], axis)} "
            "after the spike began (observed). A transient spike that recovers by itself "
            "may need no fix; the options below make a repeat less likely."
        )
    sched = plan["scheduler"]
    if "ReduceLROnPlateau" in sched:  # torch's or Keras' plateau rule
        first = cur.get("first_reduction")
        best_at = ev["best_at"]
        if first is not None:
            gap = ev["onset"] - best_at
            watched = data["fidelity"]["metric"] if data["fidelity"] else "the loss"
            rule = (
                "Keras' rule (reduce when the wait count reaches patience)"
                if sched.startswith("Keras")
                else "torch's rule (reduce when the bad-epoch count exceeds patience)"
            )
            when = (
                "after the spike had begun."
                if first + 1 > ev["onset"]
                else "before the spike, yet the spike still happened."
            )
            out.append(
                f"{sched} watches {watched}: its best was at {at(data, axis, best_at)}, "
                f"{_count(gap, axis)} before the spike. By {rule} its first reduction comes "
                f"at the end of {at(data, axis, first)}, so the new LR applies from "
                f"{at(data, axis, first + 1)} "
                f"(exact replay), {when}"
            )
        else:
            out.append(f"{sched} never reduces the LR over the recorded {axis}s (exact replay).")
    gn = data["series"].get("grad_norm")
    if gn:
        before = [
            v for x, v in zip(gn["x"], gn["y"], strict=False) if x < ev["onset"] and v is not None
        ]
        window = [
            (v, x)
            for x, v in zip(gn["x"], gn["y"], strict=False)
            if ev["onset"] <= x <= ev["peak"] and v is not None
        ]
        if before and window:
            top, where = max(window)
            med = sorted(before)[len(before) // 2]
            out.append(
                f"The largest logged gradient norm from the spike's onset to its peak was "
                f"{fmt_number(top)} ({at(data, axis, where)}), {top / med:.1f}× its median before "
                f"the spike ({fmt_number(med)}; observed)."
                + (
                    f" Clipping at max_norm {fmt_number(plan['clip_grad_norm'])} scaled "
                    "that update down but did not prevent the jump: clip_grad_norm_ "
                    "limits the step length, not its direction."
                    if plan["clip_grad_norm"] and top > plan["clip_grad_norm"]
                    else ""
                )
            )
    if collapse:
        cev = collapse["evidence"]
        out.append(
            f"After the spike the loss settled at {fmt_number(cev['plateau_level'])}, "
            f"{fmt_ratio(cev['ratio_to_first'])} its first value, and stayed there for "
            f"{cev['plateau_points']} {axis}s, varying by {cev['plateau_spread']:.1%} of its level "
            "from lowest to highest (observed). That is "
            "the signature of a collapse to a constant prediction, which no LR schedule "
            "repairs: the options below aim at avoiding the spike, not at leaving the plateau."
        )
    return out
