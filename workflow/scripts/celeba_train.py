#!/usr/bin/env python3
"""Train one (experiment, width, seed) image autoencoder on the CelebA arrays.

Resumes from --checkpoint when it holds a run of the same settings. Writes
weights.pt (networks and settings), loss.csv and the provenance record.
"""

import argparse
import logging
import sys
from pathlib import Path

import torch

import _bootstrap  # noqa: F401  (the library's import path)
from couae.celeba import model
from couae.celeba.arrays import load_split, read_meta
from couae.celeba.settings import CelebATraining
from couae.core.accelerate import MODES
from couae.jobs import start_device_job, training_job
from couae.runtime.arguments import FROM_FILE
from couae.runtime.atomic import save_dataframe_csv, save_torch
from couae.runtime.loading import DamagedFileError

log = logging.getLogger("celeba_train")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, fromfile_prefix_chars=FROM_FILE)
    parser.add_argument("--train", required=True, help="the training split's .npy")
    parser.add_argument("--check", nargs="*", default=[], help="the other splits, checked readable before training")
    parser.add_argument("--meta", required=True, help="the arrays' meta.json")
    parser.add_argument("--settings", required=True, help="CelebATraining settings as JSON")
    parser.add_argument("--out-dir", required=True)
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--device", required=True, choices=["auto", "cpu", "cuda"])
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--compile", default="eager", choices=MODES, help="how the step runs (couae.core.accelerate)")
    parser.add_argument("--provenance", required=True)
    args = parser.parse_args()
    device = start_device_job(args.threads, args.device)
    settings = CelebATraining.from_json(args.settings)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # fixed shapes: let cuDNN pick its fastest kernels
    try:
        for path in args.check:  # a damaged split is found now, not after hours of training
            load_split(path, mmap=True)
        train_images = load_split(args.train)
    except DamagedFileError as exc:
        log.error("%s", exc)
        return 1
    if settings.batch_size > len(train_images):
        log.error("batch size %d exceeds the %d training images", settings.batch_size, len(train_images))
        return 1
    meta = read_meta(args.meta)
    log.info(
        "%s width %s seed %s on %s: %d training images (%s)",
        settings.experiment,
        settings.width,
        settings.seed,
        device,
        len(train_images),
        meta["dataset"],
    )

    def save_losses(run):  # also as training goes: loss.csv shows the progress
        save_dataframe_csv(model.loss_history_frame(run), Path(args.out_dir) / "loss.csv", index=False)

    def save_outputs(run):
        save_torch(model.weights(run, settings), Path(args.out_dir) / "weights.pt")
        save_losses(run)

    def pretrain(run):
        losses = model.pretrain_encoder(run, settings)
        if losses:
            log.info("encoder pre-trained for %d steps: moment loss %.4g -> %.4g", len(losses), losses[0], losses[-1])

    run = model.build_run(settings, train_images, device, compile_mode=args.compile)
    return training_job(
        run,
        settings,
        args.checkpoint,
        args.provenance,
        device,
        args.threads,
        save_outputs,
        before_training=pretrain,
        on_progress=save_losses,
        data=meta["dataset"],
        standin=meta["standin"],
        autocast=str(run.step_fn.autocast_dtype),
    )


if __name__ == "__main__":
    sys.exit(main())
