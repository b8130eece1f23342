"""Figure 1 (the regulariser's landscape), the Theorem 1 particle-flow figure
and the Theorem 2 figure (test metric against xi)."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib.ticker import NullFormatter

from .. import caveats
from ..report import paper
from ..report.style import CAVEAT_COLOUR, plt
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
        ax.scatter(
            positions[[g[0] for g in glob]],
            values[[g[0] for g in glob]],
            c="tab:green",
            s=25,
            zorder=3,
            label="global minimum",
        )
        if spurious:
            ax.scatter(
                positions[[s[0] for s in spurious]],
                values[[s[0] for s in spurious]],
                c="tab:red",
                marker="x",
                s=40,
                zorder=3,
                label="spurious local minimum",
            )
        ax.set(title=f"{title}: one free charge", xlabel="position of the free charge", ylabel="regulariser E (MMD^2)")
        grid = surface(kernel, charges, positions)
        glob, spurious = minima(grid)
        ax = axes[1, col]
        extent = (positions[0], positions[-1], positions[0], positions[-1])
        image = ax.imshow(grid.T, origin="lower", extent=extent, cmap="viridis", aspect="equal")
        fig.colorbar(image, ax=ax, shrink=0.8, label="regulariser E (MMD^2)")
        ax.contour(positions, positions, grid.T, levels=15, colors="w", linewidths=0.4)
        if glob:
            g = np.array(glob)
            ax.scatter(
                positions[g[:, 0]],
                positions[g[:, 1]],
                c="tab:green",
                s=4 if len(g) > 20 else 25,
                label="global minimum",
            )
        if spurious:
            sp = np.array(spurious)
            ax.scatter(
                positions[sp[:, 0]], positions[sp[:, 1]], c="tab:red", marker="x", s=40, label="spurious local minimum"
            )
        ax.set(title=f"{title}: two free charges", xlabel="charge 1", ylabel="charge 2")
    # one legend under the panels: inside, it would hide the minima it names
    legend = {}
    for ax in axes.flat:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            legend.setdefault(label, handle)
    fig.legend(legend.values(), legend.keys(), loc="lower center", ncol=len(legend))
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig


def theorem1_figure(table: pd.DataFrame, trajectories: dict):
    """Top: fraction of runs reaching the global minimum per dimension, one line
    per flow (solid: plain descent; dashed: noise injection). Below, four to a
    row: the 2-D trajectories of one run per flow."""
    flows = list(dict.fromkeys(table["flow"]))
    per_row = min(4, max(1, len(trajectories)))
    traj_rows = -(-len(trajectories) // per_row)
    fig = plt.figure(figsize=(3.2 * per_row + 0.8, 5.6 + 2.9 * traj_rows))
    grid = fig.add_gridspec(1 + traj_rows, per_row, height_ratios=[1.6] + [1] * traj_rows)
    ax = fig.add_subplot(grid[0, :])
    for i, flow in enumerate(flows):
        for noise, style in zip(sorted(table["noise"].unique()), ["-", "--", ":"]):
            rows = table[(table.flow == flow) & (table.noise == noise)].sort_values("dim")
            ax.plot(
                rows["dim"],
                rows["fraction_global"],
                style,
                marker="osD^vP*X"[i % 8],  # distinct markers: coinciding lines stay visible
                markersize=8 - 0.5 * (i % 8),
                color=f"C{i}",
                label=f"{flow}" + (f", noise {noise:g}" if noise else ""),
            )
    ax.set(xlabel="dimension h", ylabel="fraction of runs\nat the global minimum", ylim=(-0.05, 1.05))
    dims = sorted(table["dim"].unique())
    if dims[-1] > 8 * dims[0]:  # e.g. 2 ... 64: equal room per doubling
        ax.set_xscale("log", base=2)
    ax.set_xticks(dims, [str(d) for d in dims])
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5))  # beside: lines fill the axes
    for k, (flow, data) in enumerate(trajectories.items()):
        ax = fig.add_subplot(grid[1 + k // per_row, k % per_row])
        path, targets = data["trajectory"], data["targets"]
        for p in range(path.shape[1]):
            ax.plot(path[:, p, 0], path[:, p, 1], lw=0.6, alpha=0.8)
        ax.scatter(targets[:, 0], targets[:, 1], marker="+", c="k", s=30, zorder=3, label="target")
        ax.scatter(path[-1, :, 0], path[-1, :, 1], s=8, c="tab:red", zorder=4, label="particle at the end")
        ax.set(title=f"trajectories: {flow} (h = 2)", xticks=[], yticks=[])
        ax.set_aspect("equal", adjustable="datalim")  # equal scales, panel fills its cell
    if trajectories:  # one legend for every trajectory panel, under the figure
        fig.legend(*ax.get_legend_handles_labels(), loc="lower center", ncol=2)
    fig.tight_layout(rect=(0, 0.04 if trajectories else 0, 1, 1))
    return fig


def block_label(dataset: str, variant: str) -> str:
    """A data set's name with its variant in brackets, or alone where it has none."""
    return f"{dataset} ({variant})" if isinstance(variant, str) and variant else dataset


def theorem2_figure(seeds: pd.DataFrame, titles: dict[str, dict[str, str]]):
    """Test metric against xi, one point per seed, colour per width: a row of
    panels per dataset (per variant on the grid), one panel per experiment.
    `seeds`: `theorem2.per_seed` rows; titles: dataset -> experiment -> title.
    A row whose values carry caveats (stand-in data, test-only features) says
    so in red on its panels. Models without a reconstruction (a GAN: no xi)
    have no panel."""
    seeds = seeds[seeds["xi"].notna()]
    seeds = seeds.assign(block=[block_label(d, v) for d, v in zip(seeds["dataset"], seeds["variant"])])
    blocks = list(dict.fromkeys(seeds["block"]))
    by_block = {b: list(dict.fromkeys(seeds.loc[seeds["block"] == b, "experiment"])) for b in blocks}
    ncols = max(len(names) for names in by_block.values())
    fig, axes = plt.subplots(len(blocks), ncols, figsize=(3.0 * ncols, 3.4 * len(blocks)), squeeze=False)
    widths = sorted(seeds["width"].unique())
    colours = dict(zip(widths, plt.cm.viridis(np.linspace(0.0, 0.85, len(widths)))))
    for row, block in enumerate(blocks):
        rows_of_block = seeds[seeds["block"] == block]
        dataset = rows_of_block["dataset"].iloc[0]
        caveat = caveats.join_distinct(rows_of_block["caveats"])
        for ax, name in zip(axes[row], by_block[block]):
            rows = rows_of_block[rows_of_block["experiment"] == name]
            for width, w in rows.groupby("width", sort=True):
                ax.scatter(w["xi"], w["metric_value"], s=14, color=colours[width], label=f"x{width:g}")
            if rows["xi"].max() > 10 * rows["xi"].min():  # log scale only where xi spans a decade
                ax.set_xscale("log")
                ax.xaxis.set_minor_formatter(NullFormatter())  # labelled minor ticks would overlap
            ax.set_xlabel("xi (largest reconstruction error)", fontsize=9)
            title = textwrap.fill(f"{block}: {titles.get(dataset, {}).get(name, name)}", 30)
            if caveat:
                title += "\n" + textwrap.fill(caveats.shown(caveat), 36)
            ax.set_title(title, fontsize=9, color=CAVEAT_COLOUR if caveat else "black")
            ax.tick_params(labelsize=9)
        axes[row, 0].set_ylabel(paper.metric(dataset).titled, fontsize=9)
        for ax in axes[row, len(by_block[block]) :]:
            ax.set_visible(False)
    # one legend for the shared colours, under the panels where it hides no point
    handles = [plt.Line2D([], [], ls="", marker="o", color=colours[w]) for w in widths]
    fig.legend(handles, [f"x{w:g}" for w in widths], title="width", loc="lower center", ncol=len(widths))
    fig.tight_layout(rect=(0, 0.06 if len(blocks) < 3 else 0.04, 1, 1))
    return fig


def theorem2_bound_figure(table: pd.DataFrame, titles: dict[str, dict[str, str]]):
    """Theorem 2's bound eps at the independent sample's size (solid) and the
    gap it bounds, |L_hat - L| on that sample (dashed, mean over seeds;
    markers: the largest seed), beside the generalisation gap on the training
    points (dotted; the theorem does not cover it), against width, log scale,
    a panel per dataset (per variant on the grid), a colour per experiment.
    `table`: `theorem2.theorem2_table` rows."""
    measured = table[table["theorem_gap_mean"].notna()]
    measured = measured.assign(block=[block_label(d, v) for d, v in zip(measured["dataset"], measured["variant"])])
    blocks = list(dict.fromkeys(measured["block"]))
    fig, axes = plt.subplots(1, max(1, len(blocks)), figsize=(3.8 * max(1, len(blocks)), 3.9), squeeze=False)
    names = list(dict.fromkeys(measured["experiment"]))
    colours = dict(zip(names, plt.cm.tab10(np.arange(len(names)) % 10)))
    for ax, block in zip(axes[0], blocks):
        rows = measured[measured["block"] == block]
        for name, g in rows.groupby("experiment", sort=False):
            g = g.sort_values("width")
            ax.plot(g["width"], g["eps_independent"], "-o", ms=4, color=colours[name])
            ax.plot(g["width"], g["theorem_gap_mean"], "--", color=colours[name])
            ax.scatter(g["width"], g["theorem_gap_max"], marker="v", s=18, color=colours[name])
            ax.plot(g["width"], g["generalisation_gap_mean"], ":", color=colours[name])
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xticks(sorted(rows["width"].unique()), [f"x{w:g}" for w in sorted(rows["width"].unique())])
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("hidden width factor", fontsize=9)
        caveat = caveats.join_distinct(rows["caveats"])
        title = block + ("\n" + textwrap.fill(caveats.shown(caveat), 40) if caveat else "")
        ax.set_title(title, fontsize=9, color=CAVEAT_COLOUR if caveat else "black")
        ax.tick_params(labelsize=9)
    axes[0, 0].set_ylabel("objective units (log)", fontsize=9)
    if not blocks:
        axes[0, 0].text(0.5, 0.5, "no model trained with eq. (2)", ha="center", va="center", fontsize=9)
    # an experiment's title from the first dataset it appears in (the grid's, where it runs there)
    first_dataset = dict(zip(measured["experiment"][::-1], measured["dataset"][::-1]))
    dataset_titles = {name: titles.get(first_dataset[name], {}).get(name, name) for name in names}
    handles = [plt.Line2D([], [], color=colours[n]) for n in names]
    handles += [
        plt.Line2D([], [], color="grey", ls="-", marker="o", ms=4),
        plt.Line2D([], [], color="grey", ls="--"),
        plt.Line2D([], [], color="grey", ls="", marker="v"),
        plt.Line2D([], [], color="grey", ls=":"),
    ]
    labels = [textwrap.shorten(dataset_titles[n], 60) for n in names] + [
        "bound eps(delta)",
        "gap on an independent sample (Theorem 2's; mean over seeds)",
        "its largest over seeds",
        "generalisation gap on the training points (not covered)",
    ]
    fig.legend(handles, labels, loc="lower center", ncol=2, fontsize=9)
    rows_of_legend = (len(labels) + 1) // 2
    fig.tight_layout(rect=(0, min(0.5, 0.07 * rows_of_legend), 1, 1))
    return fig


def _flow_colours(names):
    return dict(zip(names, plt.cm.tab10(np.arange(len(names)) % 10)))


def flows_particles_figure(trajectories: dict, titles: dict[str, str]):
    """Per setup (a row of panels) and flow (a column): the targets (grey), the
    starting particles (light) and the particles at the end (coloured)."""
    setups = list(dict.fromkeys(s for s, _ in trajectories))
    rows = list(dict.fromkeys(r for _, r in trajectories))
    colours = _flow_colours(rows)
    fig, axes = plt.subplots(len(setups), len(rows), figsize=(2.3 * len(rows), 2.5 * len(setups)), squeeze=False)
    for i, setup in enumerate(setups):
        for j, row in enumerate(rows):
            ax = axes[i, j]
            ax.set_xticks([]), ax.set_yticks([])
            if (setup, row) not in trajectories:
                ax.set_visible(False)
                continue
            t = trajectories[setup, row]
            positions, targets = t["positions"], t["targets"]
            ax.scatter(targets[:, 0], targets[:, 1], s=4, color="0.6", label="targets")
            ax.scatter(positions[0][:, 0], positions[0][:, 1], s=3, color=colours[row], alpha=0.25, label="start")
            ax.scatter(positions[-1][:, 0], positions[-1][:, 1], s=5, color=colours[row], label="end")
            ax.set_aspect("equal", adjustable="datalim")
            if i == 0:
                ax.set_title(textwrap.fill(titles.get(row, row), 22), fontsize=9)
            if j == 0:
                ax.set_ylabel(setup, fontsize=9)
            ax.set_xlabel(f"step {int(t['steps'][-1])}", fontsize=9)
    handles = [
        plt.Line2D([], [], ls="", marker="o", color="0.6"),
        plt.Line2D([], [], ls="", marker="o", color="0.3", alpha=0.3),
        plt.Line2D([], [], ls="", marker="o", color="0.3"),
    ]
    fig.legend(handles, ["targets", "particles at the start", "particles at the end"], loc="lower center", ncol=3)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig


FLOW_CURVES = {
    "w2": ("W2 to the targets", True),
    "half_mmd2": ("1/2 MMD^2 ({kernel} kernel)", True),
    "mean_sq_witness_gradient": ("mean squared witness gradient", True),
    "kale": ("KALE (fixed lambda)", True),
    "coverage": ("modes covered (fraction)", False),
}


def flows_curves_figure(records: pd.DataFrame, titles: dict[str, str]):
    """Per setup (a row of panels): W2, 1/2 MMD^2 under the first evaluation
    kernel, the mean squared witness gradient, KALE and mode coverage against
    steps, a line per flow."""
    mmd_column = next(c for c in records.columns if c.startswith("half_mmd2_"))
    setups = list(dict.fromkeys(records["setup"]))
    names = list(dict.fromkeys(records["row"]))
    colours = _flow_colours(names)
    fig, axes = plt.subplots(len(setups), len(FLOW_CURVES), figsize=(3.2 * len(FLOW_CURVES), 2.7 * len(setups)),
                             squeeze=False)  # fmt: skip
    for i, setup in enumerate(setups):
        for j, (key, (label, log_scale)) in enumerate(FLOW_CURVES.items()):
            ax = axes[i, j]
            column = mmd_column if key == "half_mmd2" else key
            for name, g in records[records["setup"] == setup].groupby("row", sort=False):
                values = g[column].clip(lower=1e-12) if log_scale else g[column]
                ax.plot(g["step"], values, color=colours[name], lw=1.2)
            if log_scale:
                ax.set_yscale("log")
            ax.set_title(f"{setup}: " + label.format(kernel=mmd_column.removeprefix("half_mmd2_")), fontsize=9)
            ax.set_xlabel("step", fontsize=9)
            ax.tick_params(labelsize=9)
    handles = [plt.Line2D([], [], color=colours[n]) for n in names]
    fig.legend(handles, [textwrap.shorten(titles.get(n, n), 45) for n in names], loc="lower center",
               ncol=min(4, len(names)), fontsize=9)  # fmt: skip
    fig.tight_layout(rect=(0, 0.04 + 0.03 * ((len(names) + 3) // 4), 1, 1))
    return fig
