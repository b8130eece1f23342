"""Theorem 2's measured inputs (xi, test metric, N per width): table and figure."""
import argparse
import json
from pathlib import Path

import pandas as pd

import _bootstrap  # noqa: F401
from couae.atomic import save_dataframe_csv, save_text
from couae.figures import save_figure
from couae.theorem2 import per_seed, theorem2_table
from couae.theory_figures import theorem2_figure


def markdown(table: pd.DataFrame, notes: str) -> str:
    """A section per dataset, named with its test metric."""
    parts = ["# Theorem 2: xi and the test metric per width"]
    for dataset, rows in table.groupby("dataset", sort=False):
        parts.append(f"## {dataset}: {rows['metric'].iloc[0]}")
        shown = rows.drop(columns=["dataset", "metric"])
        if not shown["caveats"].any():
            shown = shown.drop(columns="caveats")
        parts.append(shown.to_markdown(index=False, floatfmt=".4g"))
    return "\n\n".join(parts + [notes]) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--grid-evals", nargs="+", required=True)
    parser.add_argument("--n-train", type=int, required=True, help="the grid's training points")
    parser.add_argument("--celeba-evals", nargs="*", default=[])
    parser.add_argument("--titles", required=True, help="dataset -> experiment -> title as JSON")
    parser.add_argument("--notes", required=True)
    parser.add_argument("--table-stem", required=True)
    parser.add_argument("--figure-stem", required=True)
    args = parser.parse_args()
    seeds = [per_seed(pd.concat([pd.read_csv(p) for p in args.grid_evals], ignore_index=True), "grid",
                      args.n_train)]
    if args.celeba_evals:
        seeds.append(per_seed(pd.concat([pd.read_csv(p, keep_default_na=False) for p in args.celeba_evals],
                                        ignore_index=True), "celeba"))
    seeds = pd.concat(seeds, ignore_index=True)
    table = theorem2_table(seeds)
    stem = Path(args.table_stem)
    save_dataframe_csv(table, stem.with_suffix(".csv"), index=False)
    save_text(markdown(table, args.notes), stem.with_suffix(".md"))
    save_figure(theorem2_figure(seeds, json.loads(args.titles)), args.figure_stem)


if __name__ == "__main__":
    main()
