#!/usr/bin/env python3
"""Train every seed of one (experiment, width) grid job in one process.

Resumes from --checkpoint when it holds a run of the same settings. Writes per
seed: weights.pt, loss.csv and samples.npy under --out-dir/seed<k>/; and the
networks kept at the snapshot steps, with their samples, in --snapshots.
"""

import argparse
import logging
import sys

import _bootstrap  # noqa: F401  (the library's import path)
from couae.core.accelerate import MODES
from couae.grid import model
from couae.grid.data import load_splits
from couae.grid.settings import GridTraining
from couae.jobs import read_input, start_device_job, training_job
from couae.runtime.arguments import FROM_FILE

log = logging.getLogger("grid_train")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, fromfile_prefix_chars=FROM_FILE)
    parser.add_argument("--data", required=True, help="grid data .npz")
    parser.add_argument("--settings", required=True, help="GridTraining settings as JSON")
    parser.add_argument("--out-dir", required=True, help="the seeds' folders go here (seed<k>/)")
    parser.add_argument("--snapshots", required=True, help="where the networks kept during training go")
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--device", required=True, choices=["auto", "cpu", "cuda"])
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--compile", default="eager", choices=MODES, help="how the step runs (couae.core.accelerate)")
    parser.add_argument("--gpu-share", type=float, default=1.0, help="the share of a GPU this job takes")
    parser.add_argument("--provenance", required=True, help="where to write the job's provenance record")
    args = parser.parse_args()
    device = start_device_job(args.threads, args.device, args.gpu_share)
    settings = GridTraining.from_json(args.settings)
    train_data = read_input(load_splits, args.data, settings.data["n_train"])["train"]
    log.info("experiment %s, width %s, seeds %s on %s", settings.experiment, settings.width, settings.seeds, device)

    def save_outputs(run):
        model.save_block(run, settings, args.out_dir, args.snapshots)

    run = model.build_run(settings, train_data, device, compile_mode=args.compile)
    return training_job(
        run,
        settings,
        args.checkpoint,
        args.provenance,
        device,
        args.threads,
        save_outputs,
        on_progress=lambda run: model.save_losses(run, args.out_dir),
    )


if __name__ == "__main__":
    sys.exit(main())
