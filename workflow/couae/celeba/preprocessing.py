"""Making the image arrays (see `arrays`): CelebA's JPEGs decoded, cropped and
resized once, or the generated stand-in.

CelebA follows WAE: a centre crop of `crop` x `crop` pixels (140 by default),
then an antialiased resize to 64 x 64.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from pathlib import Path

import numpy as np
import torch

from ..core.seeding import numpy_rng
from ..report import provenance
from ..runtime.atomic import atomic_path
from . import files
from .arrays import split_path, write_meta
from .files import SPLITS, CelebAFileError, ImageReader, ImageSource, split_counts

log = logging.getLogger(__name__)


def preprocess_jpeg(data: bytes, crop: int, size: int) -> np.ndarray:
    """Decode, centre-crop to crop x crop, resize to size x size with antialiasing: (3, size, size) uint8."""
    from torchvision.io import ImageReadMode, decode_jpeg
    from torchvision.transforms.v2 import functional as F

    image = decode_jpeg(torch.frombuffer(bytearray(data), dtype=torch.uint8), mode=ImageReadMode.RGB)
    image = F.center_crop(image, [crop, crop])
    image = F.resize(image, [size, size], interpolation=F.InterpolationMode.BILINEAR, antialias=True)
    return image.numpy()


_worker: dict = {}


def _init_worker(source: ImageSource, crop: int, size: int) -> None:
    torch.set_num_threads(1)
    _worker.update(reader=ImageReader(source), crop=crop, size=size)


def _process(name: str) -> np.ndarray:
    reader = _worker["reader"]
    try:
        return preprocess_jpeg(reader.read(name), _worker["crop"], _worker["size"])
    except (RuntimeError, ValueError, OSError) as exc:  # decode_jpeg's errors name no file
        raise CelebAFileError(
            f"{reader.source.describe()}: image {name} cannot be decoded ({str(exc).strip()[:200]}); "
            "replace it with the original file"
        ) from None


def preprocess_celeba(
    source: ImageSource, split_of: dict[str, str], out_dir, crop: int, size: int, workers: int, provenance: dict
) -> dict:
    """Decode every listed image once into `<split>.npy` (official split, file
    order) and write meta.json; per-split counts are checked against the partition."""
    out_dir = Path(out_dir)
    expected = split_counts(split_of)
    ctx = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    with ctx.Pool(max(1, workers), initializer=_init_worker, initargs=(source, crop, size)) as pool:
        for split in SPLITS:
            names = [n for n, s in split_of.items() if s == split]
            with atomic_path(split_path(out_dir, split)) as tmp:
                array = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.uint8, shape=(len(names), 3, size, size))
                for i, image in enumerate(pool.imap(_process, names, chunksize=64)):
                    array[i] = image
                    if (i + 1) % 20000 == 0:
                        log.info("%s: %d/%d images", split, i + 1, len(names))
                array.flush()
                written = array.shape[0]
                del array
            if written != expected[split]:  # guards the bookkeeping above
                raise RuntimeError(f"{split}: wrote {written} images, partition lists {expected[split]}")
            log.info("%s: %d images -> %s", split, written, split_path(out_dir, split))
    meta = {
        "dataset": "celeba",
        "standin": False,
        "counts": expected,
        "crop": crop,
        "size": size,
        "source": source.describe(),
        **provenance,
    }
    write_meta(out_dir, meta)
    return meta


def standin_images(n: int, size: int, seed: int, stream: str) -> np.ndarray:
    """`n` procedurally drawn face-like images (3, size, size) uint8: a vertical
    colour gradient, a skin-toned ellipse with two eyes and a mouth, all with
    random position, size and colours. Not CelebA: a stand-in that lets every
    rule run without the download."""
    rng = numpy_rng(seed, f"standin/{stream}")
    grid = (np.arange(size) + 0.5) / size
    yy, xx = np.meshgrid(grid, grid, indexing="ij")  # (size, size) in (0, 1)

    def col(shape):
        return rng.uniform(0.0, 1.0, shape + (3,))

    top, bottom = col((n,)), col((n,))
    images = top[:, None, None, :] * (1 - yy[None, ..., None]) + bottom[:, None, None, :] * yy[None, ..., None]
    cx, cy = rng.uniform(0.4, 0.6, n), rng.uniform(0.45, 0.6, n)
    rx, ry = rng.uniform(0.18, 0.3, n), rng.uniform(0.25, 0.38, n)
    skin = np.array([0.85, 0.65, 0.5]) * rng.uniform(0.5, 1.15, (n, 1))
    face = ((xx[None] - cx[:, None, None]) / rx[:, None, None]) ** 2 + (
        (yy[None] - cy[:, None, None]) / ry[:, None, None]
    ) ** 2 <= 1.0
    images[face] = np.broadcast_to(np.clip(skin, 0, 1)[:, None, None, :], images.shape)[face]
    eye_dy, eye_dx = -0.3 * ry, 0.4 * rx
    eye_r = rng.uniform(0.02, 0.04, n)
    for side in (-1.0, 1.0):
        eye = (xx[None] - (cx + side * eye_dx)[:, None, None]) ** 2 + (
            yy[None] - (cy + eye_dy)[:, None, None]
        ) ** 2 <= (eye_r**2)[:, None, None]
        images[eye] = 0.05
    mouth_y = cy + 0.45 * ry
    mouth = (np.abs(yy[None] - mouth_y[:, None, None]) < 0.015) & (
        np.abs(xx[None] - cx[:, None, None]) < (0.35 * rx)[:, None, None]
    )
    images[mouth] = np.array([0.6, 0.1, 0.15])
    return (images * 255).round().clip(0, 255).astype(np.uint8).transpose(0, 3, 1, 2).copy()


def write_standin(out_dir, counts: dict[str, int], size: int, seed: int) -> dict:
    out_dir = Path(out_dir)
    for split in SPLITS:
        with atomic_path(split_path(out_dir, split)) as tmp:
            with open(tmp, "wb") as fh:
                np.save(fh, standin_images(counts[split], size, seed, split))
    meta = {
        "dataset": "standin",
        "standin": True,
        "counts": dict(counts),
        "size": size,
        "seed": seed,
        "source": "procedurally generated stand-in images (not CelebA)",
    }
    write_meta(out_dir, meta)
    return meta


def prepare_arrays(data: dict, out_dir) -> dict:
    """The image arrays of the config's celeba.data section (locations
    included): the stand-in, or the real CelebA files found (or downloaded),
    checked and preprocessed. Cheap checks come first (the partition file,
    then the archive or folder), before any image is decoded. Returns meta."""
    out_dir = Path(out_dir)
    if data["kind"] == "standin":
        s = data["standin"]
        counts = {"train": s["n_train"], "validation": s["n_validation"], "test": s["n_test"]}
        return write_standin(out_dir, counts, data["size"], s["seed"])
    download_dir = Path(data["download_dir"])
    partition = files.locate_partition(data, download_dir)
    split_of = files.read_partition(partition, data["md5"]["partition"])
    log.info("partition %s: %s", partition, split_counts(split_of))
    source = files.locate_images(data, download_dir)
    files.check_complete(source, split_of)
    log.info("preprocessing %d images from %s", len(split_of), source.describe())
    return preprocess_celeba(
        source,
        split_of,
        out_dir,
        data["crop"],
        data["size"],
        data["workers"],
        {
            "partition": str(partition),
            "md5_checked": {k: v is not None for k, v in data["md5"].items()},
            "git_commit": provenance.git_commit(),
            "versions": provenance.package_versions(),
        },
    )
