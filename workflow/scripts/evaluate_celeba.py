"""FID and Theorem 2's xi of one trained image autoencoder, plus the images
Figures 3 and 4 show.

Generates --n-generated images from the prior, compares their feature
statistics with the cached test-split statistics, measures the reconstruction
error of every training and validation image (xi: the largest), and writes one
CSV row with the caveats that apply (stand-in data, test-only features, too
few images).
"""
import argparse
import json
import logging
import sys
import time

import numpy as np
import pandas as pd
import torch

import _bootstrap
from couae import fid, image_arrays, image_model, provenance
from couae.atomic import save_dataframe_csv, save_numpy

log = logging.getLogger("evaluate_celeba")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--weights", required=True)
    parser.add_argument("--reference", required=True, help="test-split feature statistics (.npz)")
    parser.add_argument("--settings", required=True, help="resolved FID settings as JSON")
    parser.add_argument("--weights-dir", default=None)
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--n-samples", type=int, required=True, help="generated images kept for Figure 3")
    parser.add_argument("--n-reconstructions", type=int, required=True, help="test images for Figure 4")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", required=True)
    parser.add_argument("--samples", required=True)
    parser.add_argument("--reconstructions", required=True)
    parser.add_argument("--provenance", required=True)
    args = parser.parse_args()
    device = _bootstrap.start_device_job(args.threads, args.device)
    settings = {**json.loads(args.settings), "weights_dir": args.weights_dir}
    start = time.perf_counter()
    saved = torch.load(args.weights, map_location="cpu", weights_only=False)
    model = image_model.Autoencoder(saved, device)
    try:
        extractor = fid.make_extractor(settings)
        few = fid.check_sample_size(settings["n_generated"], extractor.dims, settings["few_images"],
                                    "generated images")
    except (fid.MissingWeightsError, fid.TooFewImagesError) as exc:
        log.error("%s", exc)
        return 1
    with np.load(args.reference) as ref:
        if str(ref["extractor"]) != extractor.name:
            log.error("reference statistics %s were made with %s, not %s: re-run the fid_reference rule",
                      args.reference, ref["extractor"], extractor.name)
            return 1
        few = few or bool(ref["few_images"])
    reference = fid.Statistics.load(args.reference)
    generated = model.generate(settings["n_generated"])
    value = fid.frechet_distance(fid.statistics(fid.features(extractor, generated, args.batch_size, device)),
                                 reference)
    recon = {split: model.reconstruction_errors(image_arrays.load_split(args.data_dir, split, mmap=True),
                                                args.batch_size)
             for split in ("train", "validation")}
    log.info("reconstruction errors of %d training and validation images", sum(map(len, recon.values())))
    meta = image_arrays.read_meta(args.data_dir)
    caveats = [c for c, on in [("stand-in data, not CelebA", meta["standin"]),
                               ("test-only features, not FID", extractor.name == fid.TEST_ONLY),
                               ("fewer images than feature dims", few)] if on]
    s = model.settings
    row = {"experiment": s["experiment"], "width": s["width"], "seed": s["seed"], "fid": value,
           "n_generated": settings["n_generated"], "n_reference": reference.n, "extractor": extractor.name,
           "dataset": meta["dataset"], "n_train": len(recon["train"]),
           **{f"recon_{split}_{stat}": getattr(errors, stat)() for split, errors in recon.items()
              for stat in ("mean", "max")},
           "xi": max(errors.max() for errors in recon.values()), "caveats": "; ".join(caveats)}
    log.info("%s", row)
    save_dataframe_csv(pd.DataFrame([row]), args.out, index=False)
    save_numpy(generated[:args.n_samples], args.samples)
    test = image_arrays.load_split(args.data_dir, "test", mmap=True)[:args.n_reconstructions]
    save_numpy(np.stack([test, model.reconstruct(test)]), args.reconstructions)
    provenance.save(provenance.record({**s, "fid": settings}, str(device), time.perf_counter() - start,
                                      threads=args.threads), args.provenance)
    return 0


if __name__ == "__main__":
    sys.exit(main())
