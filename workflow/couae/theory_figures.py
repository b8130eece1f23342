"""Figure 1 (the regulariser's landscape) and the Theorem 1 particle-flow figure."""
from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib.ticker import NullFormatter

from .figures import plt
from .landscape import curve, minima, surface


def figure1(kernels: dict, charges, positions):
    """kernels: title -> kernel (1-D). Top: one free charge; bottom: two."""
    fig, axes = plt.subplots(2, len(kernels), figsize=(3.6 * len(kernels), 7), squeeze=False)
    for col, (title, kernel) in enumerate(kernels.items()):
        values = curve(kernel, charges, positions)
        glob, spurious = minima(values)
        ax = axes[0, col]
        ax.plot(positions, values, lw=1.2)
        ax.scatter(charges, np.full(len(charges), values.min()), marker="+", c="k", label="fixed charges")
        ax.scatter(positions[[g[0] for g in glob]], values[[g[0] for g in glob]], c="tab:green", s=25,
                   zorder=3, label="global minimum")
        if spurious:
            ax.scatter(positions[[s[0] for s in spurious]], values[[s[0] for s in spurious]], c="tab:red",
                       marker="x", s=40, zorder=3, label="spurious local minimum")
        ax.set(title=f"{title}: one free charge", xlabel="position of the free charge")
        ax.legend(fontsize=7)
        grid = surface(kernel, charges, positions)
        glob, spurious = minima(grid)
        ax = axes[1, col]
        extent = (positions[0], positions[-1], positions[0], positions[-1])
        ax.imshow(grid.T, origin="lower", extent=extent, cmap="viridis", aspect="equal")
        ax.contour(positions, positions, grid.T, levels=15, colors="w", linewidths=0.4)
        if glob:
            g = np.array(glob)
            ax.scatter(positions[g[:, 0]], positions[g[:, 1]], c="tab:green", s=4 if len(g) > 20 else 25,
                       label="global minimum")
        if spurious:
            sp = np.array(spurious)
            ax.scatter(positions[sp[:, 0]], positions[sp[:, 1]], c="tab:red", marker="x", s=40,
                       label="spurious local minimum")
        ax.set(title=f"{title}: two free charges", xlabel="charge 1", ylabel="charge 2")
        ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    return fig


def theorem1_figure(table: pd.DataFrame, trajectories: dict):
    """Left: fraction of runs reaching the global minimum per dimension, one line
    per flow (solid: plain descent; dashed: noise injection). Right: 2-D
    trajectories of one run per flow."""
    flows = list(dict.fromkeys(table["flow"]))
    fig = plt.figure(figsize=(4.5 + 2.6 * len(trajectories), 4.2))
    grid = fig.add_gridspec(1, 1 + len(trajectories), width_ratios=[1.7] + [1] * len(trajectories))
    ax = fig.add_subplot(grid[0, 0])
    for i, flow in enumerate(flows):
        for noise, style in zip(sorted(table["noise"].unique()), ["-", "--", ":"]):
            rows = table[(table.flow == flow) & (table.noise == noise)].sort_values("dim")
            ax.plot(rows["dim"], rows["fraction_global"], style, marker="o", color=f"C{i}",
                    label=f"{flow}" + (f", noise {noise:g}" if noise else ""))
    ax.set(xlabel="dimension h", ylabel="fraction of runs at the global minimum", ylim=(-0.05, 1.05))
    ax.legend(fontsize=6)
    for k, (flow, data) in enumerate(trajectories.items()):
        ax = fig.add_subplot(grid[0, 1 + k])
        path, targets = data["trajectory"], data["targets"]
        for p in range(path.shape[1]):
            ax.plot(path[:, p, 0], path[:, p, 1], lw=0.6, alpha=0.8)
        ax.scatter(targets[:, 0], targets[:, 1], marker="+", c="k", s=30, zorder=3)
        ax.scatter(path[-1, :, 0], path[-1, :, 1], s=8, c="tab:red", zorder=4)
        ax.set(title=f"{flow} (h = 2)", xticks=[], yticks=[], aspect="equal")
    fig.tight_layout()
    return fig


def theorem2_figure(evals: pd.DataFrame, titles: dict[str, str]):
    """Per experiment: test log-likelihood against xi, one point per seed, colour per width."""
    names = list(dict.fromkeys(evals["experiment"]))
    fig, axes = plt.subplots(1, len(names), figsize=(3.0 * len(names), 3.2), squeeze=False, sharey=True)
    widths = sorted(evals["width"].unique())
    colours = plt.cm.viridis(np.linspace(0.0, 0.85, len(widths)))
    for ax, name in zip(axes[0], names):
        rows = evals[evals["experiment"] == name]
        for width, colour in zip(widths, colours):
            w = rows[rows["width"] == width]
            ax.scatter(w["xi"], w["test_log_likelihood"], s=14, color=colour, label=f"x{width:g}")
        if rows["xi"].max() > 10 * rows["xi"].min():  # log scale only where xi spans a decade
            ax.set_xscale("log")
            ax.xaxis.set_minor_formatter(NullFormatter())  # labelled minor ticks would overlap
        ax.set_xlabel("xi (largest reconstruction error)", fontsize=8)
        ax.set_title(textwrap.fill(titles.get(name, name), 28), fontsize=8)
        ax.tick_params(labelsize=7)
    axes[0, 0].set_ylabel("test log-likelihood", fontsize=8)
    axes[0, -1].legend(title="width", fontsize=7, title_fontsize=7)
    fig.tight_layout()
    return fig
