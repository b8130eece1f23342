"""Feature statistics of the test split, computed once and cached for every FID job."""
import argparse
import json
import logging
import sys
import time

import _bootstrap
from couae import fid, image_arrays

log = logging.getLogger("fid_reference")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--settings", required=True, help="resolved FID settings as JSON")
    parser.add_argument("--weights-dir", default=None)
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    device = _bootstrap.start_device_job(args.threads, args.device)
    settings = {**json.loads(args.settings), "weights_dir": args.weights_dir}
    test = image_arrays.load_split(args.data_dir, "test", mmap=True)
    try:
        extractor = fid.make_extractor(settings)
        marked = fid.check_sample_size(len(test), extractor.dims, settings["few_images"], "test split")
    except (fid.MissingWeightsError, fid.TooFewImagesError) as exc:
        log.error("%s", exc)
        return 1
    start = time.perf_counter()
    feats = fid.features(extractor, test, args.batch_size, device)
    log.info("%d test images -> %d-d features in %.1f s", len(test), feats.shape[1], time.perf_counter() - start)
    fid.statistics(feats).save(args.out, extractor=extractor.name, few_images=marked)
    return 0


if __name__ == "__main__":
    sys.exit(main())
