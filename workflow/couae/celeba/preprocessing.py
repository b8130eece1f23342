"""Making the image arrays (see `arrays`): CelebA's JPEGs decoded, cropped and
resized once, or the generated stand-in.

CelebA follows WAE's code: a centre crop of `crop` x `crop` pixels (140) of
the aligned 178x218 images, then a resize to 64 x 64 with PIL's ANTIALIAS
filter, which is Lanczos (`resize_filter: lanczos`; `bilinear` is PIL's
bilinear). Images of other sizes are not the paper's input: refused, or on
request accepted and marked; images smaller than the crop are always refused.
"""

from __future__ import annotations

import io
import logging
import multiprocessing
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from .. import caveats
from ..core.seeding import numpy_rng
from ..report import provenance
from ..runtime.atomic import atomic_path
from ..runtime.downloads import file_digest
from . import files
from .arrays import split_path, write_meta
from .files import ALIGNED_SIZE, SPLITS, CelebAFileError, ImageReader, ImageSource, split_counts

log = logging.getLogger(__name__)

RESIZE_FILTERS = {"lanczos": Image.Resampling.LANCZOS, "bilinear": Image.Resampling.BILINEAR}


@dataclass(frozen=True)
class Preprocessing:
    crop: int
    size: int
    resize_filter: str  # a key of RESIZE_FILTERS
    accept_other_sizes: bool  # images that are not ALIGNED_SIZE: accept (and mark) or refuse


def crop_and_resize(image: Image.Image, crop: int, size: int, resize_filter: str) -> np.ndarray:
    """Centre crop to crop x crop (the offsets rounded, as torchvision's), then
    resize to size x size: (3, size, size) uint8."""
    width, height = image.size
    left, top = round((width - crop) / 2), round((height - crop) / 2)
    out = image.crop((left, top, left + crop, top + crop)).resize((size, size), RESIZE_FILTERS[resize_filter])
    return np.asarray(out, dtype=np.uint8).transpose(2, 0, 1).copy()


def preprocess_image(name: str, data: bytes, prep: Preprocessing) -> tuple[np.ndarray, bool]:
    """One JPEG's pixels, and whether it had another size than the aligned set's.
    Raises CelebAFileError naming the image when it cannot be decoded, is
    smaller than the crop, or (unless accepted) is not 178x218."""
    try:
        image = Image.open(io.BytesIO(data))
        image = image.convert("RGB")  # decodes: a truncated file fails here
    except (OSError, ValueError, SyntaxError) as exc:
        raise CelebAFileError(f"image {name} cannot be decoded ({exc}); replace it with the original file") from None
    width, height = image.size
    if width < prep.crop or height < prep.crop:
        raise CelebAFileError(
            f"image {name} is {width}x{height}, smaller than the {prep.crop}x{prep.crop} crop (celeba.data.crop); "
            f"the aligned CelebA images are {ALIGNED_SIZE[0]}x{ALIGNED_SIZE[1]}"
        )
    other = (width, height) != ALIGNED_SIZE
    if other and not prep.accept_other_sizes:
        raise CelebAFileError(
            f"image {name} is {width}x{height}, not {ALIGNED_SIZE[0]}x{ALIGNED_SIZE[1]}: not an image of the aligned "
            "set (img_align_celeba) the paper uses. To use such images anyway, set celeba.data.other_sizes: accept; "
            f"every value made from them is then marked '{caveats.OTHER_SIZES}'."
        )
    return crop_and_resize(image, prep.crop, prep.size, prep.resize_filter), other


_worker: dict = {}


def _init_worker(source: ImageSource, prep: Preprocessing) -> None:
    _worker.update(reader=ImageReader(source), prep=prep)


def _process(name: str) -> tuple[np.ndarray, bool]:
    reader = _worker["reader"]
    try:
        return preprocess_image(name, reader.read(name), _worker["prep"])
    except CelebAFileError as exc:
        raise CelebAFileError(f"{reader.source.describe()}: {exc}") from None


def preprocess_celeba(
    source: ImageSource, split_of: dict[str, str], out_dir, prep: Preprocessing, workers: int, provenance: dict
) -> dict:
    """Decode every listed image once into `<split>.npy` (the partition's
    split, file order) and write meta.json; per-split counts are checked
    against the partition. meta["other_sizes"]: how many images were not
    178x218 (only where accepted)."""
    out_dir = Path(out_dir)
    expected = split_counts(split_of)
    other_sizes = 0
    ctx = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    with ctx.Pool(max(1, workers), initializer=_init_worker, initargs=(source, prep)) as pool:
        for split in SPLITS:
            names = [n for n, s in split_of.items() if s == split]
            with atomic_path(split_path(out_dir, split)) as tmp:
                shape = (len(names), 3, prep.size, prep.size)
                array = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.uint8, shape=shape)
                for i, (image, other) in enumerate(pool.imap(_process, names, chunksize=64)):
                    array[i] = image
                    other_sizes += other
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
        "crop": prep.crop,
        "size": prep.size,
        "resize_filter": prep.resize_filter,
        "other_sizes": other_sizes,
        "source": source.describe(),
        **provenance,
    }
    return meta


def data_caveats(split_of: dict[str, str], partition_md5: str, archive_unchecked: bool, other_sizes: int) -> list[str]:
    """How the files used differ from the official aligned set and split (the
    caveats every value made from them carries)."""
    found = []
    if partition_md5 != files.OFFICIAL_PARTITION_MD5:
        found.append(caveats.NON_OFFICIAL_SPLIT)
    if len(split_of) < sum(files.OFFICIAL_COUNTS.values()):
        found.append(caveats.SUBSET)
    if other_sizes:
        found.append(caveats.OTHER_SIZES)
    if archive_unchecked:
        found.append(caveats.UNCHECKED_ARCHIVE)
    return found


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
    checked and preprocessed. Cheap checks come first (the partition file and
    its splits, then the archive or folder), before any image is decoded.
    Returns meta, with the caveats of files other than the official ones."""
    out_dir = Path(out_dir)
    if data["kind"] == "standin":
        s = data["standin"]
        counts = {"train": s["n_train"], "validation": s["n_validation"], "test": s["n_test"]}
        return write_standin(out_dir, counts, data["size"], s["seed"])
    download_dir = Path(data["download_dir"])
    partition = files.locate_partition(data, download_dir)
    split_of = files.read_partition(partition, data["md5"]["partition"])
    files.check_splits(split_of, partition)
    log.info("partition %s: %s", partition, split_counts(split_of))
    source = files.locate_images(data, download_dir)
    files.check_complete(source, split_of)
    log.info("preprocessing %d images from %s", len(split_of), source.describe())
    prep = Preprocessing(data["crop"], data["size"], data["resize_filter"], data["other_sizes"] == "accept")
    meta = preprocess_celeba(
        source,
        split_of,
        out_dir,
        prep,
        data["workers"],
        {
            "partition": str(partition),
            "md5_checked": {k: v is not None for k, v in data["md5"].items()},
            "git_commit": provenance.git_commit(),
            "versions": provenance.package_versions(),
        },
    )
    unchecked = source.kind == "archive" and data["md5"]["archive"] is None
    meta["caveats"] = data_caveats(split_of, file_digest(partition), unchecked, meta["other_sizes"])
    for caveat in meta["caveats"]:
        log.warning("CAVEAT: %s; every value made from these images says so", caveat)
    write_meta(out_dir, meta)
    return meta
