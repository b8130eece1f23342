#!/usr/bin/env python3
"""FID and Theorem 2's xi of one trained image autoencoder, plus the images
Figures 3 and 4 show: one CSV row with the caveats that apply (stand-in data,
test-only features, too few images)."""

import argparse
import json
import logging
import sys
import time

import pandas as pd

import _bootstrap  # noqa: F401  (the library's import path)
from couae.celeba import fid
from couae.celeba.evaluation import StaleReferenceError, evaluate
from couae.celeba.model import Autoencoder
from couae.celeba.settings import CelebATraining, FIDSettings
from couae.jobs import start_device_job
from couae.report import provenance
from couae.runtime.arguments import FROM_FILE
from couae.runtime.atomic import save_dataframe_csv, save_numpy
from couae.runtime.loading import DamagedFileError
from couae.settings import ForeignFileError, GapSettings

log = logging.getLogger("celeba_evaluate")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, fromfile_prefix_chars=FROM_FILE)
    parser.add_argument("--weights", required=True)
    parser.add_argument("--train", required=True, help="split .npy files: training (xi) ...")
    parser.add_argument("--validation", required=True, help="... validation (xi) ...")
    parser.add_argument("--test", required=True, help="... and test (Figure 4)")
    parser.add_argument("--meta", required=True, help="the arrays' meta.json")
    parser.add_argument("--reference", required=True, help="test-split feature statistics (.npz)")
    parser.add_argument("--settings", required=True, help="FIDSettings as JSON")
    parser.add_argument("--training-settings", required=True, help="the job's CelebATraining settings as JSON")
    parser.add_argument("--gap-settings", required=True, help="Theorem 2's GapSettings as JSON")
    parser.add_argument("--weights-dir", required=True, help="empty: torch.hub's folder")
    parser.add_argument("--batch-size", type=int, required=True)
    parser.add_argument("--n-samples", type=int, required=True, help="generated images kept for Figure 3")
    parser.add_argument("--n-reconstructions", type=int, required=True, help="test images for Figure 4")
    parser.add_argument("--device", required=True, choices=["auto", "cpu", "cuda"])
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--samples", required=True)
    parser.add_argument("--reconstructions", required=True)
    parser.add_argument("--provenance", required=True)
    args = parser.parse_args()
    device = start_device_job(args.threads, args.device)
    settings = FIDSettings.from_json(args.settings)
    start = time.perf_counter()
    splits = {"train": args.train, "validation": args.validation, "test": args.test}
    try:
        model = Autoencoder.load(args.weights, CelebATraining.from_json(args.training_settings), device)
        result = evaluate(
            model,
            splits,
            args.meta,
            args.reference,
            settings,
            args.weights_dir or None,
            args.batch_size,
            args.n_samples,
            args.n_reconstructions,
            GapSettings.from_json(args.gap_settings),
            device,
        )
    except (
        fid.MissingWeightsError,
        fid.TooFewImagesError,
        StaleReferenceError,
        DamagedFileError,
        ForeignFileError,
    ) as exc:
        log.error("%s", exc)
        return 1
    log.info("%s", result.row)
    save_dataframe_csv(pd.DataFrame([result.row]), args.out, index=False)
    save_numpy(result.samples, args.samples)
    save_numpy(result.reconstructions, args.reconstructions)
    record = {
        **model.settings.to_dict(),
        "fid": {**settings.to_dict(), "weights_dir": args.weights_dir or None},
        "theorem2": json.loads(args.gap_settings),
    }
    provenance.save(
        provenance.record(record, str(device), time.perf_counter() - start, threads=args.threads), args.provenance
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
