#!/usr/bin/env python3
"""Theorem 2 per width: its bound at delta against the measured gap, xi against the
test metric: the table and its two figures."""

import argparse
import json

import pandas as pd

import _bootstrap  # noqa: F401  (the library's import path)
from couae.report.style import save_figure
from couae.report.tables import write_theorem2
from couae.theory.figures import theorem2_bound_figure, theorem2_figure
from couae.theory.theorem2 import per_seed, theorem2_table, with_bound


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--grid-evals", nargs="+", required=True)
    parser.add_argument("--n-train", type=int, required=True, help="the grid's training points")
    parser.add_argument("--celeba-evals", nargs="*", default=[])
    parser.add_argument("--titles", required=True, help="dataset -> experiment -> title as JSON")
    parser.add_argument("--notes", required=True, help="JSON list of the table's notes")
    parser.add_argument("--table-stem", required=True)
    parser.add_argument("--figure-stem", required=True, help="the xi-against-metric figure")
    parser.add_argument("--bound-figure-stem", required=True, help="the bound-against-gap figure")
    parser.add_argument("--delta", type=float, required=True, help="the bound's confidence parameter")
    args = parser.parse_args()
    grid = pd.concat([pd.read_csv(p) for p in args.grid_evals], ignore_index=True)
    seeds = [per_seed(grid, "grid", args.n_train)]
    if args.celeba_evals:
        celeba = pd.concat([pd.read_csv(p, keep_default_na=False) for p in args.celeba_evals], ignore_index=True)
        seeds.append(per_seed(celeba, "celeba"))
    seeds = with_bound(pd.concat(seeds, ignore_index=True), args.delta)
    table = theorem2_table(seeds)
    titles = json.loads(args.titles)
    write_theorem2(table, args.table_stem, json.loads(args.notes), args.delta)
    save_figure(theorem2_figure(seeds, titles), args.figure_stem)
    save_figure(theorem2_bound_figure(table, titles), args.bound_figure_stem)


if __name__ == "__main__":
    main()
