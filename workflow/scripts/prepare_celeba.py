"""Make the image arrays of the CelebA branch: the real CelebA files found
(or downloaded) and preprocessed once, or the generated stand-in.

--data is the config's celeba.data section as JSON (locations included);
the outputs are <out-dir>/{train,validation,test}.npy and meta.json.
On any error, no output of this run is left behind.
"""
import argparse
import json
import logging
import sys
from pathlib import Path

import _bootstrap
from couae import celeba_files, image_arrays, provenance
from couae.celeba_files import SPLITS, CelebAFileError
from couae.downloads import DownloadError

log = logging.getLogger("prepare_celeba")


def prepare(data: dict, out_dir: Path) -> dict:
    if data["kind"] == "standin":
        s = data["standin"]
        counts = {"train": s["n_train"], "validation": s["n_validation"], "test": s["n_test"]}
        return image_arrays.write_standin(out_dir, counts, data["size"], s["seed"])
    download_dir = Path(data["download_dir"])
    # cheap checks first: the partition file, then the archive or folder, before decoding
    partition = celeba_files.locate_partition(data, download_dir)
    split_of = celeba_files.read_partition(partition, data["md5"]["partition"])
    log.info("partition %s: %s", partition, celeba_files.split_counts(split_of))
    source = celeba_files.locate_images(data, download_dir)
    celeba_files.check_complete(source, split_of)
    log.info("preprocessing %d images from %s", len(split_of), source.describe())
    return image_arrays.preprocess_celeba(
        source, split_of, out_dir, data["crop"], data["size"], data["workers"],
        {"partition": str(partition), "md5_checked": {k: v is not None for k, v in data["md5"].items()},
         "git_commit": provenance.git_commit(), "versions": provenance.package_versions()})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", required=True, help="celeba.data as JSON")
    parser.add_argument("--out-dir", required=True)
    args = parser.parse_args()
    _bootstrap.setup_logging()
    out_dir = Path(args.out_dir)
    try:
        meta = prepare(json.loads(args.data), out_dir)
    except (CelebAFileError, DownloadError) as exc:
        for name in [f"{s}.npy" for s in SPLITS] + ["meta.json"]:
            (out_dir / name).unlink(missing_ok=True)
        log.error("%s", exc)
        return 1
    log.info("done: %s", meta["counts"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
