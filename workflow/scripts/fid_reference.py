#!/usr/bin/env python3
"""Feature statistics of the test split, computed once and cached for every FID job."""

import argparse
import logging
import sys

import _bootstrap  # noqa: F401  (the library's import path)
from couae.celeba import fid
from couae.celeba.evaluation import test_statistics
from couae.celeba.settings import FIDSettings
from couae.jobs import start_device_job
from couae.runtime.arguments import FROM_FILE

log = logging.getLogger("fid_reference")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, fromfile_prefix_chars=FROM_FILE)
    parser.add_argument("--test", required=True, help="the test split's .npy")
    parser.add_argument("--settings", required=True, help="FIDSettings as JSON")
    parser.add_argument("--weights-dir", required=True, help="empty: torch.hub's folder")
    parser.add_argument("--batch-size", type=int, required=True)
    parser.add_argument("--device", required=True, choices=["auto", "cpu", "cuda"])
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    device = start_device_job(args.threads, args.device)
    settings = FIDSettings.from_json(args.settings)
    try:
        stats, marked, extractor = test_statistics(
            args.test, settings, args.weights_dir or None, args.batch_size, device
        )
    except (fid.MissingWeightsError, fid.TooFewImagesError) as exc:
        log.error("%s", exc)
        return 1
    stats.save(args.out, extractor=extractor, few_images=marked)
    return 0


if __name__ == "__main__":
    sys.exit(main())
