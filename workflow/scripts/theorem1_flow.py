#!/usr/bin/env python3
"""Theorem 1 particle flows for one kernel: every dimension and noise level."""

import argparse

import _bootstrap  # noqa: F401  (the library's import path)
from couae.jobs import start_job
from couae.runtime.arguments import FROM_FILE
from couae.runtime.atomic import save_dataframe_csv, save_npz
from couae.settings import Theorem1Settings
from couae.theory.flows import theorem1_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, fromfile_prefix_chars=FROM_FILE)
    parser.add_argument("--settings", required=True, help="Theorem1Settings of one flow as JSON")
    parser.add_argument("--out-csv", required=True)
    parser.add_argument("--out-trajectory", required=True, help=".npz with a 2-D run's path")
    parser.add_argument("--threads", type=int, required=True)
    args = parser.parse_args()
    start_job(args.threads)
    rows, trajectory = theorem1_rows(Theorem1Settings.from_json(args.settings))
    save_dataframe_csv(rows, args.out_csv, index=False)
    save_npz(args.out_trajectory, **trajectory)


if __name__ == "__main__":
    main()
