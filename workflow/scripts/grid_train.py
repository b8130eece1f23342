#!/usr/bin/env python3
"""Train every seed of one (experiment, width) grid job in one process.

Resumes from --checkpoint when it holds a run of the same settings. Writes per
seed: weights.pt, loss.csv and samples.npy under --out-dir/seed<k>/; and the
networks kept at the snapshot steps, with their samples, in --snapshots.
"""

import argparse
import logging
import sys
from pathlib import Path

import _bootstrap  # noqa: F401  (the library's import path)
from couae.core.accelerate import MODES
from couae.grid import model
from couae.grid.settings import GridTraining
from couae.runtime.atomic import save_dataframe_csv, save_numpy, save_torch
from couae.runtime.jobs import start_device_job, training_job
from couae.runtime.loading import load_arrays

log = logging.getLogger("grid_train")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
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
    train_data = load_arrays(args.data, "grid data")["train"]
    log.info("experiment %s, width %s, seeds %s on %s", settings.experiment, settings.width, settings.seeds, device)

    def save_losses(run):  # also as training goes: loss.csv shows the progress
        for k, seed in enumerate(run.sampler.seeds):
            frame = model.loss_history_frame(run, k)
            save_dataframe_csv(frame, Path(args.out_dir) / f"seed{seed}" / "loss.csv", index=False)

    def save_outputs(run):
        samples = model.generate(run, settings.n_generated)
        save_losses(run)
        diagnostics = model.step_diagnostics(run)  # every seed's at once
        for k, seed in enumerate(run.sampler.seeds):
            seed_dir = Path(args.out_dir) / f"seed{seed}"
            save_torch(model.seed_weights(run, k, settings, diagnostics[k]), seed_dir / "weights.pt")
            save_numpy(samples[k], seed_dir / "samples.npy")
        save_torch(model.snapshots(run, settings), args.snapshots)

    run = model.build_run(settings, train_data, device, compile_mode=args.compile)
    return training_job(
        run, settings, args.checkpoint, args.provenance, device, args.threads, save_outputs, on_progress=save_losses
    )


if __name__ == "__main__":
    sys.exit(main())
