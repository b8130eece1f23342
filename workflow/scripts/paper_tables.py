#!/usr/bin/env python3
"""Write Tables 1 and 2 (CSV, Markdown, LaTeX) from the per-job evaluations."""

import argparse
import json

import pandas as pd

import _bootstrap  # noqa: F401  (the library's import path)
from couae.report.provenance import footer
from couae.report.tables import make_tables


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--grid-evals", nargs="+", required=True)
    parser.add_argument("--grid-reference", required=True)
    parser.add_argument("--labels", required=True, help="[[experiment, {paper, description}], ...] as JSON")
    parser.add_argument("--widths", nargs="+", type=float, required=True)
    parser.add_argument("--main-width", type=float, required=True)
    parser.add_argument("--celeba-evals", nargs="*", default=[])
    parser.add_argument("--celeba-labels", required=True, help="as --labels, for the CelebA experiments")
    parser.add_argument("--celeba-widths", nargs="*", type=float, default=[])
    parser.add_argument("--notes", required=True, help="JSON list of the tables' notes")
    parser.add_argument("--provenance", nargs="+", required=True, help="the jobs' provenance records")
    parser.add_argument("--out-dir", required=True)
    args = parser.parse_args()
    grid = pd.concat([pd.read_csv(p) for p in args.grid_evals], ignore_index=True)
    celeba = None
    if args.celeba_evals:
        celeba = pd.concat([pd.read_csv(p, keep_default_na=False) for p in args.celeba_evals], ignore_index=True)
    records = [json.loads(open(p).read()) for p in args.provenance]
    make_tables(
        grid,
        pd.read_csv(args.grid_reference),
        dict(json.loads(args.labels)),  # config order
        args.widths,
        args.main_width,
        celeba,
        dict(json.loads(args.celeba_labels)) or None,
        args.celeba_widths,
        json.loads(args.notes) + [footer(records)],
        args.out_dir,
    )


if __name__ == "__main__":
    main()
