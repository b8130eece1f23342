#!/usr/bin/env python3
"""The paper's claims tested on this run's results, with verdicts (CSV, Markdown)."""

import argparse
import json

import pandas as pd

import _bootstrap  # noqa: F401  (the library's import path)
from couae.report.claims import claims_table
from couae.report.tables import read_evaluations, write_claims
from couae.runtime.arguments import FROM_FILE
from couae.settings import ClaimsSettings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, fromfile_prefix_chars=FROM_FILE)
    parser.add_argument("--datasets", required=True, help="JSON [[name, {evaluations}]] per data set, in config order")
    parser.add_argument("--theorem1", required=True, help="the Theorem 1 table (CSV)")
    parser.add_argument("--settings", required=True, help="ClaimsSettings as JSON")
    parser.add_argument("--notes", required=True, help="JSON list of the table's notes")
    parser.add_argument("--table-stem", required=True)
    args = parser.parse_args()
    evaluations = [(name, read_evaluations(part["evaluations"])) for name, part in json.loads(args.datasets)]
    table = claims_table(evaluations, pd.read_csv(args.theorem1), ClaimsSettings.from_json(args.settings))
    write_claims(table, args.table_stem, json.loads(args.notes))


if __name__ == "__main__":
    main()
