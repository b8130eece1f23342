#!/usr/bin/env python3
"""Make the image arrays of the CelebA branch: the real CelebA files found
(or downloaded) and preprocessed once, or the generated stand-in.

--data is the config's celeba.data section as JSON (locations included); the
outputs are <out-dir>/{train,validation,test}.npy and meta.json. On any error,
no output of this run is left behind.
"""

import argparse
import json
import logging
import sys
from pathlib import Path

import _bootstrap  # noqa: F401  (the library's import path)
from couae.celeba.files import SPLITS, CelebAFileError
from couae.celeba.preprocessing import prepare_arrays
from couae.jobs import setup_logging
from couae.runtime.arguments import FROM_FILE
from couae.runtime.downloads import DownloadError

log = logging.getLogger("celeba_data")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, fromfile_prefix_chars=FROM_FILE)
    parser.add_argument("--data", required=True, help="celeba.data as JSON")
    parser.add_argument("--out-dir", required=True)
    args = parser.parse_args()
    setup_logging()
    out_dir = Path(args.out_dir)
    try:
        meta = prepare_arrays(json.loads(args.data), out_dir)
    except (CelebAFileError, DownloadError) as exc:
        for name in [f"{s}.npy" for s in SPLITS] + ["meta.json"]:
            (out_dir / name).unlink(missing_ok=True)
        log.error("%s", exc)
        return 1
    log.info("done: %s", meta["counts"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
