#!/usr/bin/env python3
"""Make sure the FID feature extractor's weights are in place, and record it.

For the Inception extractor: pt_inception-2015-12-05-6726825d.pth under
<weights-dir>/checkpoints/ (torch.hub's folder when no dir is given) is
verified against the hash in its name, and downloaded from --url when absent.
The user's file is never moved or deleted. Writes a small JSON record (--out)
that the FID jobs take as input.
"""

import argparse
import json
import logging
import sys

import _bootstrap  # noqa: F401  (the library's import path)
from couae.celeba import fid
from couae.jobs import setup_logging
from couae.runtime.arguments import FROM_FILE
from couae.runtime.atomic import save_text
from couae.runtime.downloads import ChecksumError, DownloadError

log = logging.getLogger("fid_weights")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, fromfile_prefix_chars=FROM_FILE)
    parser.add_argument("--extractor", required=True, choices=[fid.INCEPTION, fid.TEST_ONLY])
    parser.add_argument("--weights-dir", required=True, help="empty: torch.hub's folder")
    parser.add_argument("--url", required=True, help="empty: no download")
    parser.add_argument("--retries", type=int, required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    setup_logging()
    if args.extractor == fid.TEST_ONLY:
        log.warning("TEST-ONLY feature extractor configured: the CelebA 'FID' values are not FID")
        save_text(json.dumps({"extractor": fid.TEST_ONLY, "weights": None}) + "\n", args.out)
        return 0
    try:
        path = fid.ensure_weights(args.weights_dir or None, args.url or None, args.retries)
    except (DownloadError, ChecksumError) as exc:
        log.error(
            "%s\nFID Inception weights unavailable. %s",
            exc,
            fid.where_to_put_weights(fid.weights_path(args.weights_dir or None)),
        )
        return 1
    record = {"extractor": fid.INCEPTION, "weights": str(path), "sha256_prefix": fid.WEIGHTS_SHA256_PREFIX}
    save_text(json.dumps(record) + "\n", args.out)
    log.info("FID weights verified at %s", path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
