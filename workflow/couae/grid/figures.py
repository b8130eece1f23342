"""Figure 2 (generated grid samples per experiment beside the true data, and
training-loss curves per experiment) and the convergence figure (test
log-likelihood against training steps), each for one grid variant."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib.ticker import FormatStrFormatter, LogLocator, NullFormatter, SymmetricalLogLocator

from ..report.style import plt


def figure2(
    true_points: np.ndarray,
    samples: dict[str, np.ndarray],
    losses: dict[str, list[pd.DataFrame]],
    titles: dict[str, str],
    widths: dict[str, float],
    variant_title: str,
    max_points: int = 2000,
):
    """samples: experiment -> (n, 2) of one seed; losses: experiment -> per-seed
    histories; widths: experiment -> the width shown; variant_title: which data."""
    names = list(samples)
    n_cols = len(names) + 1
    fig, axes = plt.subplots(2, n_cols, figsize=(2.6 * n_cols, 5.4), squeeze=False)
    # a square about the true data's box (a grid's is centred on the origin; a points data set's need not be)
    low, high = true_points.min(0), true_points.max(0)
    centre, half = (low + high) / 2, (high - low).max() / 2 * 1.25
    panels = [("true data", true_points)] + [(f"{titles.get(n, n)} (x{widths[n]:g})", samples[n]) for n in names]
    for ax, (title, pts) in zip(axes[0], panels):
        pts = pts[:max_points]
        ax.scatter(pts[:, 0], pts[:, 1], s=1.5, alpha=0.4, linewidths=0)
        ax.set(xlim=centre[0] + (-half, half), ylim=centre[1] + (-half, half), aspect="equal", xticks=[], yticks=[])
        ax.set_title(textwrap.fill(title, 28), fontsize=9)
    axes[1, 0].axis("off")
    axes[1, 0].text(
        0.0,
        0.5,
        "samples: first seed\ncurves: every seed,\nmean loss per logging block",
        fontsize=9,
        va="center",
    )
    for ax, name in zip(axes[1, 1:], names):
        for frame in losses[name]:
            ax.plot(frame["step"], frame["loss"], lw=0.7, alpha=0.7)
        values = pd.concat([f["loss"] for f in losses[name]])
        if (values > 0).all():  # losses span decades: log, with ticks at 1, 2, 5 of each
            ax.set_yscale("log")
            ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
            ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
            ax.yaxis.set_minor_formatter(NullFormatter())
        else:  # the unbiased MMD^2 can be negative: symlog, linear near 0
            scale = max(float(np.abs(f["loss"]).quantile(0.1)) for f in losses[name]) or 1e-2
            ax.set_yscale("symlog", linthresh=scale)
            ax.yaxis.set_major_locator(SymmetricalLogLocator(linthresh=scale, base=10, subs=[1.0, 3.0]))
        ax.set_xlabel("step", fontsize=9)
        ax.set_ylabel("loss (mean per block)", fontsize=9)
        ax.tick_params(labelsize=9)
        ax.set_title(f"{name}: training loss", fontsize=9)
    fig.suptitle(textwrap.fill(variant_title, 100), fontsize=9)
    fig.tight_layout()
    return fig


def convergence_figure(summary: pd.DataFrame, references: pd.DataFrame, title: str, verdicts: list[str]):
    """One grid variant's `convergence_summary` rows: a panel per width, a line
    (mean over seeds) and a band (their range) per experiment against steps on
    a log axis; dashed, the variant's reference rows (its ceilings)."""
    widths = sorted(summary["width"].unique())
    experiments = list(dict.fromkeys(summary["experiment"]))
    fig, axes = plt.subplots(1, len(widths), figsize=(4.0 * len(widths), 4.0), squeeze=False, sharey=True)
    for ax, width in zip(axes[0], widths):
        for i, name in enumerate(experiments):
            rows = summary[(summary["experiment"] == name) & (summary["width"] == width)]
            if rows.empty:
                continue
            ax.plot(rows["step"], rows["mean"], marker="o", ms=3, color=f"C{i}", label=name)
            ax.fill_between(rows["step"], rows["min"], rows["max"], color=f"C{i}", alpha=0.15, lw=0)
        for style, (_, ref) in zip(["--", ":"], references.iterrows()):
            ax.axhline(ref["test_log_likelihood"], color="grey", ls=style, lw=1, label=ref["reference"])
        ax.set_xscale("log")
        steps = sorted(summary["step"].unique())
        ax.set_xticks(steps, [f"{s:,}" for s in steps])  # the evaluated steps, written out
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set(xlabel="training step", title=f"width x{width:g}")
        ax.tick_params(labelsize=9)
    axes[0, 0].set_ylabel("test log-likelihood (higher is better)")
    axes[0, -1].legend(fontsize=9, loc="center left", bbox_to_anchor=(1.02, 0.5))  # beside: the lines fill the axes
    fig.suptitle("\n".join([textwrap.fill(title, 110)] + [textwrap.fill(v, 110) for v in verdicts]), fontsize=9)
    fig.tight_layout()
    return fig
