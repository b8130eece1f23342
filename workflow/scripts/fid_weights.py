"""Make sure the FID feature extractor's weights are in place, and record it.

For the Inception extractor: the file pt_inception-2015-12-05-6726825d.pth
under <weights-dir>/checkpoints/ (torch.hub's folder when no dir is given) is
verified against the hash in its name; when absent it is downloaded from
--url into that place. The user's file is never moved or deleted. Writes a
small JSON record (--out) that the FID jobs take as input.
"""
import argparse
import json
import logging
import sys

import _bootstrap
from couae import fid
from couae.atomic import save_text
from couae.downloads import ChecksumError, DownloadError, download, verify_checksum

log = logging.getLogger("fid_weights")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--extractor", required=True, choices=[fid.INCEPTION, fid.TEST_ONLY])
    parser.add_argument("--weights-dir", default=None)
    parser.add_argument("--url", default=None)
    parser.add_argument("--retries", type=int, default=3)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    _bootstrap.setup_logging()
    if args.extractor == fid.TEST_ONLY:
        log.warning("TEST-ONLY feature extractor configured: the CelebA 'FID' values are not FID")
        save_text(json.dumps({"extractor": fid.TEST_ONLY, "weights": None}) + "\n", args.out)
        return 0
    path = fid.weights_path(args.weights_dir)
    try:
        if not path.is_file():
            if not args.url:
                raise DownloadError("no celeba.fid.weights_url configured")
            log.info("fetching %s -> %s", args.url, path)
            download(args.url, path, sha256_prefix=fid.WEIGHTS_SHA256_PREFIX, retries=args.retries)
        verify_checksum(path, fid.WEIGHTS_SHA256_PREFIX, "sha256", prefix=True)
    except (DownloadError, ChecksumError) as exc:
        log.error("%s\nFID Inception weights unavailable. Download %s from "
                  "https://github.com/mseitzer/pytorch-fid/releases/tag/fid_weights and place it at\n  %s\n"
                  "(or set celeba.fid.weights_dir to a folder whose checkpoints/ holds it).",
                  exc, fid.WEIGHTS_FILE, path)
        return 1
    save_text(json.dumps({"extractor": fid.INCEPTION, "weights": str(path),
                          "sha256_prefix": fid.WEIGHTS_SHA256_PREFIX}) + "\n", args.out)
    log.info("FID weights verified at %s", path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
