#!/usr/bin/env python3
"""Collect Snakemake's per-job benchmark files into one table for the report."""

import argparse

import _bootstrap  # noqa: F401  (the library's import path)
from couae.report.benchmarks import summary
from couae.runtime.arguments import FROM_FILE
from couae.runtime.atomic import save_dataframe_csv


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, fromfile_prefix_chars=FROM_FILE)
    parser.add_argument("--benchmarks", nargs="+", required=True, help="results/benchmarks/<rule>/<job>.tsv")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    save_dataframe_csv(summary(args.benchmarks), args.out, index=False)


if __name__ == "__main__":
    main()
