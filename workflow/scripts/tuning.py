#!/usr/bin/env python3
"""The tuning rule's choice: every candidate's scores (CSV, Markdown, HTML)
and the config that runs each extension row with its best candidate."""

import argparse
import json

import pandas as pd

import _bootstrap  # noqa: F401  (the library's import path)
from couae.grid.tuning import choose, dump, tuned_config
from couae.report.tables import write_readable
from couae.report.text import TABLE_TITLES
from couae.runtime.arguments import FROM_FILE
from couae.runtime.atomic import save_dataframe_csv, save_text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, fromfile_prefix_chars=FROM_FILE)
    parser.add_argument("--rows", nargs="+", required=True, help="every candidate's per-seed CSV")
    parser.add_argument("--candidates", required=True, help="experiment -> its candidates' settings, as JSON")
    parser.add_argument("--budget", required=True, help="the tuning budget in words")
    parser.add_argument("--notes", required=True, help="JSON list of the table's notes")
    parser.add_argument("--table-stem", required=True)
    parser.add_argument("--config-out", required=True)
    args = parser.parse_args()
    rows = pd.concat([pd.read_csv(p) for p in args.rows], ignore_index=True)
    summary = choose(rows)
    save_dataframe_csv(summary, f"{args.table_stem}.csv", index=False)
    write_readable(args.table_stem, TABLE_TITLES["tuning"], [(None, summary)], json.loads(args.notes))
    save_text(dump(tuned_config(summary, json.loads(args.candidates), args.budget)), args.config_out)


if __name__ == "__main__":
    main()
