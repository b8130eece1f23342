#!/usr/bin/env python3
"""Write Tables 1 and 2 (CSV, Markdown, LaTeX) from the per-job evaluations."""

import argparse
import json

import pandas as pd

import _bootstrap  # noqa: F401  (the library's import path)
from couae.report.provenance import footer
from couae.report.tables import make_tables, results_of


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--grid-evals", nargs="+", required=True)
    parser.add_argument("--grid-references", nargs="+", required=True, help="one reference CSV per variant")
    parser.add_argument("--variants", nargs="+", required=True, help="the grid variants, in config order")
    parser.add_argument("--grid", required=True, help="grid experiments as JSON: labels, main_widths, widths")
    parser.add_argument("--celeba-evals", nargs="*", default=[])
    parser.add_argument("--celeba", required=True, help="as --grid, for the CelebA experiments")
    parser.add_argument("--notes", required=True, help="JSON list of the tables' notes")
    parser.add_argument("--provenance", nargs="+", required=True, help="the jobs' provenance records")
    parser.add_argument("--out-dir", required=True)
    args = parser.parse_args()
    grid_evals = pd.concat([pd.read_csv(p) for p in args.grid_evals], ignore_index=True)
    references = pd.concat([pd.read_csv(p) for p in args.grid_references], ignore_index=True)
    celeba_evals = None
    if args.celeba_evals:
        celeba_evals = pd.concat([pd.read_csv(p, keep_default_na=False) for p in args.celeba_evals], ignore_index=True)
    grid, celeba = json.loads(args.grid), json.loads(args.celeba)
    sections = results_of("grid", grid_evals, **grid, variants=args.variants, references=references)
    sections += results_of("celeba", celeba_evals, **celeba)
    records = [json.loads(open(p).read()) for p in args.provenance]
    make_tables(sections, json.loads(args.notes) + [footer(records)], args.out_dir)


if __name__ == "__main__":
    main()
