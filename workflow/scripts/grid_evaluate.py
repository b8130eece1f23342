#!/usr/bin/env python3
"""Evaluate every seed of one (variant, experiment, width) grid job: the final
networks' KDE test log-likelihood, reconstruction errors and xi (one CSV), and
the log-likelihood at every snapshot step and the last (convergence CSV).
Weights and snapshots that another job made are refused."""

import argparse
import logging
import sys
import time

import _bootstrap  # noqa: F401  (the library's import path)
from couae.grid.data import load_splits
from couae.grid.evaluation import convergence_rows, evaluate_job
from couae.grid.model import seed_folder
from couae.grid.settings import GridEvaluation, GridTraining
from couae.jobs import start_job
from couae.report import provenance
from couae.runtime.arguments import FROM_FILE
from couae.runtime.atomic import save_dataframe_csv
from couae.runtime.loading import DamagedFileError, load_torch
from couae.settings import ForeignFileError, GapSettings

log = logging.getLogger("grid_evaluate")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, fromfile_prefix_chars=FROM_FILE)
    parser.add_argument("--variant", required=True, help="the grid variant's name (a points data set's: empty)")
    parser.add_argument("--data", required=True)
    parser.add_argument("--block", required=True, help="the job's block folder (seed<k>/weights.pt, samples.npy)")
    parser.add_argument("--snapshots", required=True, help="the job's snapshots.pt")
    parser.add_argument("--settings", required=True, help="GridEvaluation settings as JSON")
    parser.add_argument("--training-settings", required=True, help="the job's GridTraining settings as JSON")
    parser.add_argument("--gap-settings", required=True, help="Theorem 2's GapSettings as JSON")
    parser.add_argument("--out", required=True)
    parser.add_argument("--convergence", required=True, help="where to write the convergence CSV")
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--provenance", required=True)
    args = parser.parse_args()
    start = time.perf_counter()
    start_job(args.threads)
    settings = GridEvaluation.from_json(args.settings)
    trained = GridTraining.from_json(args.training_settings)
    try:
        splits = load_splits(args.data, trained.data["n_train"])
        snapshots = load_torch(args.snapshots, "grid snapshots")
        trained.check_made(snapshots["settings"], trained.seeds[0], args.snapshots)
        gap = GapSettings.from_json(args.gap_settings)
        # the seeds' files from the settings, not listed on the command line: it would grow with the seeds
        folders = [seed_folder(args.block, seed) for seed in trained.seeds]
        weights, samples = [f / "weights.pt" for f in folders], [f / "samples.npy" for f in folders]
        rows = evaluate_job(args.variant, trained, weights, samples, splits, settings, gap)
    except (DamagedFileError, ForeignFileError) as exc:
        log.error("%s", exc)
        return 1
    save_dataframe_csv(rows, args.out, index=False)
    save_dataframe_csv(convergence_rows(snapshots, rows, splits, settings), args.convergence, index=False)
    record = provenance.record(
        {**settings.to_dict(), "theorem2": gap.to_dict()}, "cpu", time.perf_counter() - start, threads=args.threads
    )
    provenance.save(record, args.provenance)
    return 0


if __name__ == "__main__":
    sys.exit(main())
