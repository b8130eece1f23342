#!/usr/bin/env python3
"""Theorem 2 per width: its bound at delta against the measured gap, xi against the
test metric: the table and its two figures."""

import argparse
import json

import pandas as pd

import _bootstrap  # noqa: F401  (the library's import path)
from couae.report.style import save_figure
from couae.report.tables import read_evaluations, write_theorem2
from couae.runtime.arguments import FROM_FILE
from couae.theory.figures import theorem2_bound_figure, theorem2_figure
from couae.theory.theorem2 import per_seed, theorem2_table, with_bound


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, fromfile_prefix_chars=FROM_FILE)
    parser.add_argument(
        "--datasets",
        required=True,
        help="JSON [[name, {evaluations, titles}]] per data set, in config order: its per-seed evaluation CSVs "
        "(none where it did not run) and experiment -> title",
    )
    parser.add_argument("--notes", required=True, help="JSON list of the table's notes")
    parser.add_argument("--table-stem", required=True)
    parser.add_argument("--figure-stem", required=True, help="the xi-against-metric figure")
    parser.add_argument("--bound-figure-stem", required=True, help="the bound-against-gap figure")
    parser.add_argument("--delta", type=float, required=True, help="the bound's confidence parameter")
    args = parser.parse_args()
    datasets = json.loads(args.datasets)
    ran = [(name, read_evaluations(part["evaluations"])) for name, part in datasets if part["evaluations"]]
    seeds = with_bound(pd.concat([per_seed(evals, name) for name, evals in ran], ignore_index=True), args.delta)
    table = theorem2_table(seeds)
    titles = {name: part["titles"] for name, part in datasets}
    write_theorem2(table, args.table_stem, json.loads(args.notes), args.delta)
    save_figure(theorem2_figure(seeds, titles), args.figure_stem)
    save_figure(theorem2_bound_figure(table, titles), args.bound_figure_stem)


if __name__ == "__main__":
    main()
