#!/usr/bin/env python3
"""Reference rows of Table 1: the true density (where known) and a KDE on true samples."""

import argparse
import json

import _bootstrap  # noqa: F401  (the library's import path)
from couae.grid.data import load_splits
from couae.grid.evaluation import reference_rows
from couae.grid.settings import GridEvaluation
from couae.jobs import read_input, start_job
from couae.runtime.arguments import FROM_FILE
from couae.runtime.atomic import save_dataframe_csv


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, fromfile_prefix_chars=FROM_FILE)
    parser.add_argument("--variant", required=True, help="the variant's name (a points data set's: empty)")
    parser.add_argument("--data", required=True)
    parser.add_argument("--data-settings", required=True, help="the data's settings as JSON (GridData, PointsData)")
    parser.add_argument("--eval-settings", required=True, help="GridEvaluation settings as JSON")
    parser.add_argument("--out", required=True)
    parser.add_argument("--threads", type=int, required=True)
    args = parser.parse_args()
    start_job(args.threads)
    data, evaluation = json.loads(args.data_settings), GridEvaluation.from_json(args.eval_settings)
    splits = read_input(load_splits, args.data, data["n_train"])
    rows = reference_rows(args.variant, splits, data, evaluation)
    save_dataframe_csv(rows, args.out, index=False)


if __name__ == "__main__":
    main()
