#!/usr/bin/env python3
"""Write Tables 1 and 2 (CSV, Markdown, LaTeX) from the per-job evaluations."""

import argparse
import json

import _bootstrap  # noqa: F401  (the library's import path)
from couae.report.provenance import footer
from couae.report.tables import make_tables, read_evaluations, results_of
from couae.runtime.arguments import FROM_FILE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, fromfile_prefix_chars=FROM_FILE)
    parser.add_argument(
        "--datasets",
        required=True,
        help="JSON [[name, {evaluations, references, table}]] per data set, in config order: its per-seed "
        "evaluation CSVs (none where it did not run), its reference rows, and its experiments for the tables",
    )
    parser.add_argument("--notes", required=True, help="JSON list of the tables' notes")
    parser.add_argument("--provenance", nargs="*", default=[], help="the jobs' provenance records")
    parser.add_argument("--out-dir", required=True)
    args = parser.parse_args()
    sections = []
    for name, part in json.loads(args.datasets):
        evals, references = read_evaluations(part["evaluations"]), read_evaluations(part["references"])
        sections += results_of(name, evals, **part["table"], references=references)
    records = [json.loads(open(p).read()) for p in args.provenance]
    make_tables(sections, json.loads(args.notes) + [footer(records)], args.out_dir)


if __name__ == "__main__":
    main()
