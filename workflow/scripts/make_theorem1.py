"""Theorem 1 table (CSV, Markdown) and figure from the per-kernel flow results."""
import argparse
from pathlib import Path

import numpy as np
import pandas as pd

import _bootstrap  # noqa: F401
from couae.atomic import save_dataframe_csv, save_text
from couae.figures import save_figure
from couae.theory_figures import theorem1_figure


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--results", nargs="+", required=True)
    parser.add_argument("--trajectories", nargs="+", required=True)
    parser.add_argument("--notes", required=True)
    parser.add_argument("--table-stem", required=True)
    parser.add_argument("--figure-stem", required=True)
    args = parser.parse_args()
    table = pd.concat([pd.read_csv(p) for p in args.results], ignore_index=True)
    stem = Path(args.table_stem)
    save_dataframe_csv(table, stem.with_suffix(".csv"), index=False)
    shown = table.assign(fraction_global=table.fraction_global.map("{:.2f}".format),
                         median_worst_distance=table.median_worst_distance.map("{:.3g}".format),
                         median_start_worst_distance=table.median_start_worst_distance.map("{:.3g}".format),
                         mean_final_mmd2=table.mean_final_mmd2.map("{:.3g}".format))
    save_text("# Theorem 1 in practice: particle flows on MMD^2\n\n" + shown.to_markdown(index=False)
              + "\n\n" + args.notes + "\n", stem.with_suffix(".md"))
    flows = table.flow.unique()
    trajectories = {f: dict(np.load(p)) for f, p in zip(flows, args.trajectories)}
    save_figure(theorem1_figure(table, trajectories), args.figure_stem)


if __name__ == "__main__":
    main()
