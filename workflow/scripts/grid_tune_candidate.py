#!/usr/bin/env python3
"""Train one tuning candidate of an extension row (every seed of the tuning
budget in one process, resuming from --checkpoint) and score it: per seed the
KDE log-likelihood of its generated samples on the validation split, and the
modes they cover (one CSV)."""

import argparse
import json
import logging
import sys

import _bootstrap  # noqa: F401  (the library's import path)
from couae.core.accelerate import MODES
from couae.grid import model
from couae.grid.data import load_splits
from couae.grid.settings import GridEvaluation, GridTraining
from couae.grid.tuning import candidate_rows
from couae.jobs import read_input, start_device_job, training_job
from couae.runtime.arguments import FROM_FILE
from couae.runtime.atomic import save_dataframe_csv

log = logging.getLogger("grid_tune_candidate")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, fromfile_prefix_chars=FROM_FILE)
    parser.add_argument("--data", required=True, help="grid data .npz")
    parser.add_argument("--variant", required=True)
    parser.add_argument("--candidate", type=int, required=True)
    parser.add_argument("--overrides", required=True, help="the candidate's settings as JSON")
    parser.add_argument("--settings", required=True, help="its GridTraining settings as JSON")
    parser.add_argument("--eval-settings", required=True, help="GridEvaluation settings as JSON")
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--device", required=True, choices=["auto", "cpu", "cuda"])
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--compile", default="eager", choices=MODES, help="how the step runs (couae.core.accelerate)")
    parser.add_argument("--gpu-share", type=float, default=1.0, help="the share of a GPU this job takes")
    parser.add_argument("--out", required=True)
    parser.add_argument("--provenance", required=True)
    args = parser.parse_args()
    device = start_device_job(args.threads, args.device, args.gpu_share)
    settings = GridTraining.from_json(args.settings)
    evaluation = GridEvaluation.from_json(args.eval_settings)
    splits = read_input(load_splits, args.data, settings.data["n_train"])
    overrides = json.loads(args.overrides)
    log.info("%s candidate %d (%s) on %s", settings.experiment, args.candidate, overrides, device)

    def save_outputs(run):
        samples = model.generate(run, settings.n_generated)
        rows = candidate_rows(args.variant, args.candidate, overrides, settings, samples, splits, evaluation)
        save_dataframe_csv(rows, args.out, index=False)

    run = model.build_run(settings, splits["train"], device, compile_mode=args.compile)
    return training_job(run, settings, args.checkpoint, args.provenance, device, args.threads, save_outputs)


if __name__ == "__main__":
    sys.exit(main())
