#!/usr/bin/env python3
"""The paper's claims tested on this run's results, with verdicts (CSV, Markdown)."""

import argparse
import json

import pandas as pd

import _bootstrap  # noqa: F401  (the library's import path)
from couae.report.claims import claims_table
from couae.report.tables import write_claims
from couae.settings import ClaimsSettings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--grid-evals", nargs="+", required=True)
    parser.add_argument("--celeba-evals", nargs="*", default=[])
    parser.add_argument("--theorem1", required=True, help="the Theorem 1 table (CSV)")
    parser.add_argument("--settings", required=True, help="ClaimsSettings as JSON")
    parser.add_argument("--notes", required=True, help="JSON list of the table's notes")
    parser.add_argument("--table-stem", required=True)
    args = parser.parse_args()
    grid = pd.concat([pd.read_csv(p) for p in args.grid_evals], ignore_index=True)
    celeba = None
    if args.celeba_evals:
        celeba = pd.concat([pd.read_csv(p, keep_default_na=False) for p in args.celeba_evals], ignore_index=True)
    table = claims_table(grid, celeba, pd.read_csv(args.theorem1), ClaimsSettings.from_json(args.settings))
    write_claims(table, args.table_stem, json.loads(args.notes))


if __name__ == "__main__":
    main()
