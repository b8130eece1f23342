#!/usr/bin/env python3
"""Theorem 1 table (CSV, Markdown) and figure from the per-kernel flow results."""

import argparse
import json

import pandas as pd

import _bootstrap  # noqa: F401  (the library's import path)
from couae.report.style import save_figure
from couae.report.tables import write_theorem1
from couae.runtime.arguments import FROM_FILE
from couae.runtime.loading import load_arrays
from couae.theory.figures import theorem1_figure


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, fromfile_prefix_chars=FROM_FILE)
    parser.add_argument("--results", nargs="+", required=True, help="one CSV per flow")
    parser.add_argument("--trajectories", nargs="+", required=True, help="one .npz per flow, same order")
    parser.add_argument("--notes", required=True, help="JSON list of the table's notes")
    parser.add_argument("--table-stem", required=True)
    parser.add_argument("--figure-stem", required=True)
    args = parser.parse_args()
    table = pd.concat([pd.read_csv(p) for p in args.results], ignore_index=True)
    write_theorem1(table, args.table_stem, json.loads(args.notes))
    flows = table.flow.unique()
    trajectories = {f: load_arrays(p, "a flow's trajectory") for f, p in zip(flows, args.trajectories, strict=True)}
    save_figure(theorem1_figure(table, trajectories), args.figure_stem)


if __name__ == "__main__":
    main()
