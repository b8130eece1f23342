"""Train one (experiment, width, seed) image autoencoder on the CelebA arrays.

Resumes from --checkpoint when it holds a run of the same settings. Writes
weights.pt (networks and settings), loss.csv and the provenance record.
"""
import argparse
import json
import logging
import sys
import time
from pathlib import Path

import torch

import _bootstrap
from couae import image_arrays, image_model, provenance
from couae.atomic import save_dataframe_csv, save_torch
from couae.trainer import CheckpointError, NonFiniteLossError, fingerprint, train, try_resume

log = logging.getLogger("train_celeba")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", required=True, help="folder of the image arrays (train.npy, meta.json)")
    parser.add_argument("--settings", required=True, help="resolved training settings as JSON")
    parser.add_argument("--out-dir", required=True)
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--provenance", required=True)
    args = parser.parse_args()
    device = _bootstrap.start_device_job(args.threads, args.device)
    settings = json.loads(args.settings)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # fixed shapes: let cuDNN pick its fastest kernels
    train_images = image_arrays.load_split(args.data_dir, "train")
    if settings["batch_size"] > len(train_images):
        log.error("batch size %d exceeds the %d training images", settings["batch_size"], len(train_images))
        return 1
    meta = image_arrays.read_meta(args.data_dir)
    log.info("%s width %s seed %s on %s: %d training images (%s)", settings["experiment"], settings["width"],
             settings["seed"], device, len(train_images), meta["dataset"])

    run = image_model.build_run(settings, train_images, device)
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
    steps = settings["iterations"] - first_step
    elapsed = time.perf_counter() - start
    if steps:
        log.info("trained %d steps in %.1f s (%.0f images/s)", steps, elapsed,
                 steps * settings["batch_size"] / elapsed)
    out_dir = Path(args.out_dir)
    save_torch(image_model.weights(run, settings), out_dir / "weights.pt")
    save_dataframe_csv(image_model.loss_history_frame(run), out_dir / "loss.csv", index=False)
    provenance.save(provenance.record(settings, str(device), run.training_seconds,
                                      resumed_from_step=first_step, threads=args.threads,
                                      data=meta["dataset"], standin=meta["standin"],
                                      autocast=str(run.autocast_dtype),
                                      this_process_seconds=round(time.perf_counter() - start, 3)),
                    args.provenance)
    return 0


if __name__ == "__main__":
    sys.exit(main())
