"""Matplotlib figures (Agg, no pyplot): the run's curves with the options' LR, and the proxy.

Each function takes the Analysis dict and returns PNG bytes, or None when there is nothing
to draw. matplotlib is imported here only.
"""

from __future__ import annotations

import io
from typing import Any

from reporter.report.filters import fmt_ratio

COLORS = {"train/loss": "#1f77b4", "val/loss": "#d62728", "lr": "#444444"}
OPTION_COLORS = ("#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#e377c2")
DPI = 200  # twice the CSS pixel density the reports lay figures out at (sharp on 2x screens)
CSS_WIDTH = 900  # the width the HTML shows a figure at, in CSS pixels


def _figure(rows: int, height: float):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(CSS_WIDTH / 100, height), dpi=DPI)
    axes = fig.subplots(rows, 1, sharex=True, squeeze=False)[:, 0]
    return fig, axes


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def _base(data: dict[str, Any], axis: str) -> int:
    """Added to an epoch index so the axis counts as the run's log does (issue 9, item 3)."""
    return int(data["run"].get("epoch_base", 0)) if axis == "epoch" else 0


def _shift(xs, base: int) -> list:
    return [x + base for x in xs]


def _losses(data: dict[str, Any]) -> list[str]:
    return [m for m in ("train/loss", "val/loss") if m in data["series"]]


def _lr_drawn(data: dict[str, Any]) -> bool:
    """The LR panel has something to show: a logged LR or an option's replayed LR."""
    series = data["series"]
    return bool(series.get("lr_used") or series.get("lr")
                or any(o["replay"]["lr"] for o in data["options"]))


def _replay_split(rep: dict) -> int | None:
    """Index of the first conditional point of a replayed LR (None: exact throughout)."""
    c = rep.get("conditional_from")
    return c if c is not None and c < len(rep["lr"]) else None


def history_figure(data: dict[str, Any]) -> bytes | None:
    """Losses on top (log scale, spike marked), LR below when there is one: the LR the run
    used and each option's replay, solid while exact, dotted where conditional."""
    series = data["series"]
    losses = _losses(data)
    if not losses:
        return None
    with_lr = _lr_drawn(data)
    fig, axes = _figure(2 if with_lr else 1, 6.0 if with_lr else 3.4)
    ax = axes[0]
    axis = series[losses[-1]]["axis"]
    base = _base(data, axis)
    for m in losses:
        s = series[m]
        ax.plot(_shift(s["x"], base), s["y"], label=f"{m} (O)", color=COLORS[m], lw=1.6)
    if all(v is None or v > 0 for m in losses for v in series[m]["y"]):
        ax.set_yscale("log")
    spike = data["diagnosis"]["primary_spike"]
    if spike:
        _mark_spike(ax, spike["evidence"], series[losses[-1]]["x"][-1], base)
    ax.set_ylabel("loss")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    ax.set_title(data["headline"], fontsize=10)
    if with_lr:
        _lr_panel(axes[1], data, spike, base)
    _x_axis(axes[-1], axis, base)
    fig.tight_layout()
    return _png(fig)


def _mark_spike(ax, ev: dict, last_x: float, base: int) -> None:
    ax.axvspan(ev["onset"] + base, (ev["recovered_at"] or last_x) + base,
               color="#d62728", alpha=0.08)
    ax.axvline(ev["onset"] + base, color="#d62728", ls="--", lw=1)
    ax.annotate(f"spike: {fmt_ratio(ev['ratio'])} best", (ev["onset"] + base, ev["peak_value"]),
                xytext=(-6, -14), textcoords="offset points", ha="right", color="#d62728",
                fontsize=8)


def _lr_panel(ax, data: dict[str, Any], spike: dict | None, base: int) -> None:
    series = data["series"]
    lr, logged = series.get("lr_used"), series.get("lr")
    if logged and logged["axis"] == "step" and len(logged["x"]) > len(lr["x"] if lr else []):
        # per-step logs: draw every logged LR, not only the values at the evaluation points
        ax.plot(_shift(logged["x"], base), logged["y"], color=COLORS["lr"], lw=2,
                label="LR logged (O)")
    elif lr:
        ax.step(_shift(lr["x"], base), lr["y"], where="post", color=COLORS["lr"], lw=2,
                label="LR used (O)")
    watched = lr or series[_losses(data)[-1]]
    x = _shift(watched["x"], base)
    same = []
    for i, opt in enumerate(data["options"]):
        rep = opt["replay"]
        if lr and rep["lr"] == list(lr["y"][:len(rep["lr"])]):
            same.append(str(i + 1))  # its line would only hide the run's own
            continue
        n = min(len(x), len(rep["lr"]))
        split = _replay_split(rep)
        color = OPTION_COLORS[i % len(OPTION_COLORS)]
        solid = n if split is None else min(n, split + 1)
        ax.step(x[:solid], rep["lr"][:solid], where="post", lw=1.4, color=color,
                label=f"option {i + 1}: {opt['title']} (E)")
        if split is not None and split < n:
            ax.step(x[split:n], rep["lr"][split:n], where="post", lw=1.4, ls=":",
                    color=color, label=f"option {i + 1} from here: conditional (C)")
    if same:
        ax.plot([], [], " ", label=f"option{'s' if len(same) > 1 else ''} {', '.join(same)}: "
                "the run's LR unchanged")
    values = [v for line in ax.get_lines() for v in line.get_ydata()]
    if values and all(v is not None and v > 0 for v in values) and max(values) > 4 * min(values):
        ax.set_yscale("log")  # several orders of reduction; a linear axis reads better otherwise
    if spike:
        ax.axvline(spike["evidence"]["onset"] + base, color="#d62728", ls="--", lw=1)
    ax.set_ylabel("learning rate")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower left")


def _x_axis(ax, axis: str, base: int) -> None:
    from matplotlib.ticker import MaxNLocator

    if axis == "epoch":
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel(f"epoch (counted from {base}, as in your log)")
    else:
        ax.set_xlabel(f"{axis} (as logged)")


def describe(data: dict[str, Any], file: str) -> dict[str, str] | None:
    """Alt text and caption of the history figure, saying what this run's figure shows."""
    from reporter.report.narrative import at, between

    series = data["series"]
    losses = _losses(data)
    if not losses:
        return None
    s = series[losses[-1]]
    axis = s["axis"]
    span = between(data, axis, s["x"][0], s["x"][-1])
    alt = [f"Line chart of {' and '.join(losses)} over {span}"]
    caption = [f"{'Top' if _lr_drawn(data) else 'The figure'}: the logged losses (O)"]
    spike = data["diagnosis"]["primary_spike"]
    if spike:
        ev = spike["evidence"]
        where = at(data, ev["axis"], ev["onset"])
        alt.append(f"{spike['metric']} jumps at {where} to {fmt_ratio(ev['ratio'])} its best"
                   + (", then stays high" if not ev["recovered"] else ", then recovers"))
        caption[0] += f", the spike from {where} shaded"
    if _lr_drawn(data):
        lr = series.get("lr_used") or series.get("lr")
        values = {v for v in (lr["y"] if lr else []) if v is not None}
        used = ("no logged LR" if not lr else f"the logged LR, constant at {min(values):.4g}"
                if len(values) == 1 else "the logged LR")
        opts = len(data["options"])
        alt.append(f"below, {used}" + (f" and the replayed LR of {opts} option"
                                       f"{'s' if opts > 1 else ''}" if opts else ""))
        cap = "Bottom: the LR the run used (O)" if lr else "Bottom: no LR was logged"
        if opts:
            cap += ("; each option's replayed LR, solid while exact (E)" + (
                ", dotted from where it is conditional (C)"
                if any(_replay_split(o["replay"]) is not None for o in data["options"]) else ""))
        caption.append(cap)
    thinned = _thinned(data, losses)
    if thinned:
        caption.append(f"Drawn from the thinned plot series ({thinned}: in each bucket the lowest "
                       "and highest value, every non-finite point and every change of a stepwise "
                       "curve; the findings used every point)")
    return {"file": file, "alt": "; ".join(alt) + ".", "caption": ". ".join(caption) + "."}


def _thinned(data: dict[str, Any], losses: list[str]) -> str:
    """``train/loss 8,002 of 1,000,000 points`` for each loss drawn from fewer points than
    the run logged (``report.json`` keeps plot series thinned; issue 8, item 8)."""
    counts = data["run"].get("counts", {})
    parts = [f"{m} {len(data['series'][m]['x']):,} of {counts[m]:,} points" for m in losses
             if counts.get(m, 0) > len(data["series"][m]["x"])]
    return ", ".join(parts)


def trial_epochs(conf: dict[str, Any], base: int, length: int) -> range:
    """The epochs (named from ``base``) of a confirmation curve of ``length`` points: from 0,
    or from K for a trial rewound to the checkpoint saved after K epochs."""
    first = base + int((conf.get("rewind") or {}).get("epoch") or 0)
    return range(first, first + length)


def confirmation_figure(data: dict[str, Any]) -> bytes | None:
    """Validation loss of every confirmation trial: one panel per setting, a line per seed."""
    conf = data.get("confirmation")
    if not conf:
        return None
    curves = conf["curves"]
    names = list(curves)
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(min(2.6 * len(names), CSS_WIDTH / 100), 3.2), dpi=DPI)
    axes = fig.subplots(1, len(names), sharey=True, squeeze=False)[0]
    base = _base(data, "epoch")  # the report's one convention, for the trainings' epochs too
    titles = {"current": "current settings"}
    titles.update({o["key"]: f"option {i + 1}" for i, o in enumerate(data["options"])})
    rewind = conf.get("rewind") or {}
    for ax, name in zip(axes, names, strict=True):
        for seed_curve in curves[name]:
            ax.plot(trial_epochs(conf, base, len(seed_curve)), seed_curve, lw=1)
        if rewind.get("failure_epoch") is not None:
            ax.axvline(base + rewind["failure_epoch"], color="0.5", ls=":", lw=1)
        t = conf["trials"][name]
        ax.set_title(
            f"{titles.get(name, name)}\nspiked {t['spiked']}/{t['n']}, "
            f"collapsed {t['collapsed']}/{t['n']}",
            fontsize=9,
        )
        ax.set_yscale("log")
        ax.grid(alpha=0.3)
        _x_axis(ax, "epoch", base)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))  # narrow panels
        ax.set_xlabel("")
    axes[0].set_ylabel(f"val loss, {conf['subject']} (measured)")
    since = f"\ntrained from the checkpoint saved after {rewind['epoch']} epochs" if rewind else ""
    if rewind.get("failure_epoch") is not None:
        since += "; dotted: where your run failed"
    fig.supxlabel(f"epoch of each training (counted from {base}, as in this report){since}",
                  fontsize=9)
    fig.tight_layout()
    return _png(fig)
