"""Train every seed of one (experiment, width) grid job in one process.

Resumes from --checkpoint when it holds a run of the same settings. Writes per
seed: weights.pt, loss.csv and samples.npy under --out-dir/seed<k>/.
"""
import argparse
import json
import logging
import sys
import time
from pathlib import Path

import numpy as np

import _bootstrap
from couae import grid_model
from couae.atomic import save_dataframe_csv, save_numpy, save_torch
from couae import provenance
from couae.trainer import CheckpointError, NonFiniteLossError, fingerprint, train, try_resume

log = logging.getLogger("train_grid")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", required=True, help="grid data .npz")
    parser.add_argument("--settings", required=True, help="resolved training settings as JSON")
    parser.add_argument("--out-dir", required=True)
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--provenance", required=True, help="where to write the job's provenance record")
    args = parser.parse_args()
    device = _bootstrap.start_device_job(args.threads, args.device)
    settings = json.loads(args.settings)
    train_data = np.load(args.data)["train"]
    log.info("experiment %s, width %s, seeds %s on %s", settings["experiment"], settings["width"],
             settings["seeds"], device)

    run = grid_model.build_run(settings, train_data, device)
    fp = fingerprint(settings)
    start = time.perf_counter()
    try:
        try_resume(run, args.checkpoint, fp)
        first_step = run.step
        train(run, settings["iterations"], settings["log_every"], settings["checkpoint_every"],
              args.checkpoint, fp)
    except (NonFiniteLossError, CheckpointError) as exc:
        log.error("%s", exc)
        return 1
    elapsed = time.perf_counter() - start
    steps = settings["iterations"] - first_step
    if steps:
        log.info("trained %d steps x %d seeds in %.1f s (%.0f run-steps/s)", steps,
                 len(settings["seeds"]), elapsed, steps * len(settings["seeds"]) / elapsed)

    samples = grid_model.generate(run, settings["n_generated"])
    for k, seed in enumerate(run.sampler.seeds):
        seed_dir = Path(args.out_dir) / f"seed{seed}"
        save_torch(grid_model.seed_weights(run, k, settings), seed_dir / "weights.pt")
        save_dataframe_csv(grid_model.loss_history_frame(run, k), seed_dir / "loss.csv", index=False)
        save_numpy(samples[k], seed_dir / "samples.npy")
    # wall time: training summed over every process that worked on this run
    provenance.save(provenance.record(settings, str(device), run.training_seconds,
                                      resumed_from_step=first_step, threads=args.threads,
                                      this_process_seconds=round(time.perf_counter() - start, 3)),
                    args.provenance)
    return 0


if __name__ == "__main__":
    sys.exit(main())
