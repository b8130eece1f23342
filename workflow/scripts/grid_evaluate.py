#!/usr/bin/env python3
"""Evaluate every seed of one (experiment, width) grid job into one CSV:
KDE test log-likelihood, reconstruction errors and xi."""

import argparse
import time

import numpy as np

import _bootstrap  # noqa: F401  (the library's import path)
from couae.grid.evaluation import evaluate_job
from couae.report import provenance
from couae.runtime.atomic import save_dataframe_csv
from couae.runtime.jobs import start_job
from couae.settings import GridEvaluation


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", required=True)
    parser.add_argument("--weights", nargs="+", required=True)
    parser.add_argument("--samples", nargs="+", required=True)
    parser.add_argument("--settings", required=True, help="GridEvaluation settings as JSON")
    parser.add_argument("--out", required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--provenance", required=True)
    args = parser.parse_args()
    start = time.perf_counter()
    start_job(args.threads)
    settings = GridEvaluation.from_json(args.settings)
    rows = evaluate_job(args.weights, args.samples, dict(np.load(args.data)), settings)
    save_dataframe_csv(rows, args.out, index=False)
    record = provenance.record(settings.to_dict(), "cpu", time.perf_counter() - start, threads=args.threads)
    provenance.save(record, args.provenance)


if __name__ == "__main__":
    main()
