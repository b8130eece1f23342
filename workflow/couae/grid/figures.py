"""Figure 2: generated grid samples per experiment beside the true data, and
training-loss curves per experiment."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd

from ..report.style import plt


def figure2(
    true_points: np.ndarray,
    samples: dict[str, np.ndarray],
    losses: dict[str, list[pd.DataFrame]],
    titles: dict[str, str],
    width: float,
    max_points: int = 2000,
):
    """samples: experiment -> (n, 2) of one seed; losses: experiment -> per-seed histories."""
    names = list(samples)
    n_cols = len(names) + 1
    fig, axes = plt.subplots(2, n_cols, figsize=(2.6 * n_cols, 5.4), squeeze=False)
    lim = np.abs(true_points).max() * 1.25
    panels = [("true data", true_points)] + [(titles.get(n, n), samples[n]) for n in names]
    for ax, (title, pts) in zip(axes[0], panels):
        pts = pts[:max_points]
        ax.scatter(pts[:, 0], pts[:, 1], s=1.5, alpha=0.4, linewidths=0)
        ax.set(xlim=(-lim, lim), ylim=(-lim, lim), aspect="equal", xticks=[], yticks=[])
        ax.set_title(textwrap.fill(title, 28), fontsize=8)
    axes[1, 0].axis("off")
    axes[1, 0].text(
        0.0,
        0.5,
        f"width x{width:g}\nsamples: first seed\ncurves: every seed,\nmean loss per logging block",
        fontsize=8,
        va="center",
    )
    for ax, name in zip(axes[1, 1:], names):
        for frame in losses[name]:
            ax.plot(frame["step"], frame["loss"], lw=0.7, alpha=0.7)
        ax.set_yscale("symlog", linthresh=1e-2)
        ax.set_xlabel("step", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.set_title(f"{name}: training loss", fontsize=8)
    fig.tight_layout()
    return fig
