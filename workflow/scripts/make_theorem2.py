"""Theorem 2's measured inputs (xi, test log-likelihood, N per width): table and figure."""
import argparse
import json
from pathlib import Path

import pandas as pd

import _bootstrap  # noqa: F401
from couae.atomic import save_dataframe_csv, save_text
from couae.figures import save_figure
from couae.theorem2 import theorem2_table
from couae.theory_figures import theorem2_figure


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--grid-evals", nargs="+", required=True)
    parser.add_argument("--n-train", type=int, required=True)
    parser.add_argument("--titles", required=True, help="experiment -> title as JSON")
    parser.add_argument("--notes", required=True)
    parser.add_argument("--table-stem", required=True)
    parser.add_argument("--figure-stem", required=True)
    args = parser.parse_args()
    evals = pd.concat([pd.read_csv(p) for p in args.grid_evals], ignore_index=True)
    table = theorem2_table(evals, args.n_train)
    stem = Path(args.table_stem)
    save_dataframe_csv(table, stem.with_suffix(".csv"), index=False)
    save_text("# Theorem 2: xi and the test log-likelihood per width (grid)\n\n"
              + table.to_markdown(index=False, floatfmt=".4g") + "\n\n" + args.notes + "\n",
              stem.with_suffix(".md"))
    save_figure(theorem2_figure(evals, json.loads(args.titles)), args.figure_stem)


if __name__ == "__main__":
    main()
