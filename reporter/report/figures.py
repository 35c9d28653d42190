"""Matplotlib figures (Agg, no pyplot): the run's curves with the options' LR, and the proxy.

Each function takes the Analysis dict and returns PNG bytes, or None when there is nothing
to draw. matplotlib is imported here only.
"""

from __future__ import annotations

import io
from typing import Any

from reporter.report.filters import fmt_ratio

COLORS = {"train/loss": "#1f77b4", "val/loss": "#d62728", "lr": "#444444"}
OPTION_COLORS = ("#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


def _figure(rows: int, height: float):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, height), dpi=110)
    axes = fig.subplots(rows, 1, sharex=True, squeeze=False)[:, 0]
    return fig, axes


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def history_figure(data: dict[str, Any]) -> bytes | None:
    """Losses on top (log scale, spike marked), LR below: observed and each option's replay."""
    series = data["series"]
    losses = [m for m in ("train/loss", "val/loss") if m in series]
    if not losses:
        return None
    fig, (ax, ax_lr) = _figure(2, 6.4)
    for m in losses:
        s = series[m]
        ax.plot(s["x"], s["y"], label=f"{m} (observed)", color=COLORS[m], lw=1.6)
    positive = all(v is None or v > 0 for m in losses for v in series[m]["y"])
    if positive:
        ax.set_yscale("log")
    spike = data["diagnosis"]["primary_spike"]
    if spike:
        ev = spike["evidence"]
        ax.axvspan(
            ev["onset"],
            ev["recovered_at"] or series[losses[-1]]["x"][-1],
            color="#d62728",
            alpha=0.08,
        )
        ax.axvline(ev["onset"], color="#d62728", ls="--", lw=1)
        ax.annotate(
            f"spike: {fmt_ratio(ev['ratio'])} best",
            (ev["onset"], ev["peak_value"]),
            xytext=(-6, -14),
            textcoords="offset points",
            ha="right",
            color="#d62728",
            fontsize=8,
        )
    ax.set_ylabel("loss")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    ax.set_title(data["headline"], fontsize=10)

    lr = series.get("lr_used")
    logged = series.get("lr")
    if logged and logged["axis"] == "step" and len(logged["x"]) > len(lr["x"] if lr else []):
        # per-step logs: draw every logged LR, not only the values at the evaluation points
        ax_lr.plot(logged["x"], logged["y"], color=COLORS["lr"], lw=2, label="LR (observed)")
    elif lr:
        ax_lr.step(
            lr["x"], lr["y"], where="post", color=COLORS["lr"], lw=2, label="LR used (observed)"
        )
    x = series[losses[-1]]["x"]
    for i, opt in enumerate(data["options"]):
        rep = opt["replay"]
        ax_lr.step(
            x[: len(rep["lr"])],
            rep["lr"],
            where="post",
            lw=1.2,
            ls="--",
            color=OPTION_COLORS[i % len(OPTION_COLORS)],
            label=f"option {i + 1}: {opt['title']} (replay)",
        )
    if spike:
        ax_lr.axvline(spike["evidence"]["onset"], color="#d62728", ls="--", lw=1)
    ax_lr.set_yscale("log")
    ax_lr.set_ylabel("learning rate")
    axis = data["run"]["axis"]
    ax_lr.set_xlabel(f"{axis} (0-based)" if axis == "epoch" else f"{axis} (as logged)")
    ax_lr.grid(alpha=0.3)
    if ax_lr.get_legend_handles_labels()[0]:
        ax_lr.legend(fontsize=7, loc="lower left")
    else:
        ax_lr.text(0.5, 0.5, "no learning rate in the logs", transform=ax_lr.transAxes,
                   ha="center", va="center", color="#777777")
    fig.tight_layout()
    return _png(fig)


def confirmation_figure(data: dict[str, Any]) -> bytes | None:
    """Validation loss of every confirmation trial: one panel per setting, a line per seed."""
    conf = data.get("confirmation")
    if not conf:
        return None
    curves = conf["curves"]
    names = list(curves)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(min(3.0 * len(names), 12), 3.2), dpi=110)
    axes = fig.subplots(1, len(names), sharey=True, squeeze=False)[0]
    titles = {"current": "current settings"}
    titles.update({o["key"]: f"option {i + 1}" for i, o in enumerate(data["options"])})
    for ax, name in zip(axes, names, strict=True):
        for seed_curve in curves[name]:
            ax.plot(range(len(seed_curve)), seed_curve, lw=1)
        t = conf["trials"][name]
        ax.set_title(
            f"{titles.get(name, name)}\nspiked {t['spiked']}/{t['n']}, "
            f"collapsed {t['collapsed']}/{t['n']}",
            fontsize=9,
        )
        ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.set_xlabel("epoch")
    axes[0].set_ylabel(f"val loss, {conf['subject']} (measured)")
    fig.tight_layout()
    return _png(fig)
