"""Image datasets as compact uint8 arrays: CelebA preprocessed once, or a stand-in.

Each split is one `<split>.npy` of shape (N, 3, size, size), uint8, beside a
`meta.json` that says what the arrays are (source, counts, preprocessing, and
`standin: true` for generated images). Training indexes these arrays directly
and never decodes a JPEG; pixels become [-1, 1] per batch (`to_model_range`).
"""
from __future__ import annotations

import json
import logging
import multiprocessing
import os
from pathlib import Path

import numpy as np
import torch

from .atomic import atomic_path, save_text
from .celeba_files import SPLITS, ImageReader, ImageSource, split_counts
from .seeding import numpy_rng

log = logging.getLogger(__name__)


def to_model_range(images_uint8: torch.Tensor) -> torch.Tensor:
    """uint8 pixels 0..255 -> float32 in [-1, 1] (the decoder's tanh range)."""
    return images_uint8.float().div_(127.5).sub_(1.0)


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """Model outputs in [-1, 1] -> uint8 pixels (rounded, clipped)."""
    return ((images.float() + 1.0) * 127.5).round_().clamp_(0, 255).to(torch.uint8)


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
    return preprocess_jpeg(_worker["reader"].read(name), _worker["crop"], _worker["size"])


def write_meta(out_dir, meta: dict) -> None:
    save_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", Path(out_dir) / "meta.json")


def read_meta(data_dir) -> dict:
    return json.loads((Path(data_dir) / "meta.json").read_text())


def load_split(data_dir, split: str, mmap: bool = False) -> np.ndarray:
    return np.load(Path(data_dir) / f"{split}.npy", mmap_mode="r" if mmap else None)


def preprocess_celeba(source: ImageSource, split_of: dict[str, str], out_dir, crop: int, size: int,
                      workers: int, provenance: dict) -> dict:
    """Decode every listed image once into `<split>.npy` (official split, file
    order) and write meta.json; per-split counts are checked against the partition."""
    out_dir = Path(out_dir)
    expected = split_counts(split_of)
    ctx = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    with ctx.Pool(max(1, workers), initializer=_init_worker, initargs=(source, crop, size)) as pool:
        for split in SPLITS:
            names = [n for n, s in split_of.items() if s == split]
            with atomic_path(out_dir / f"{split}.npy") as tmp:
                array = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.uint8,
                                                  shape=(len(names), 3, size, size))
                for i, image in enumerate(pool.imap(_process, names, chunksize=64)):
                    array[i] = image
                    if (i + 1) % 20000 == 0:
                        log.info("%s: %d/%d images", split, i + 1, len(names))
                array.flush()
                written = array.shape[0]
                del array
            if written != expected[split]:  # guards the bookkeeping above
                raise RuntimeError(f"{split}: wrote {written} images, partition lists {expected[split]}")
            log.info("%s: %d images -> %s", split, written, out_dir / f"{split}.npy")
    meta = {"dataset": "celeba", "standin": False, "counts": expected, "crop": crop, "size": size,
            "source": source.describe(), **provenance}
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
    face = ((xx[None] - cx[:, None, None]) / rx[:, None, None]) ** 2 + \
           ((yy[None] - cy[:, None, None]) / ry[:, None, None]) ** 2 <= 1.0
    images[face] = np.broadcast_to(np.clip(skin, 0, 1)[:, None, None, :], images.shape)[face]
    eye_dy, eye_dx = -0.3 * ry, 0.4 * rx
    eye_r = rng.uniform(0.02, 0.04, n)
    for side in (-1.0, 1.0):
        eye = (xx[None] - (cx + side * eye_dx)[:, None, None]) ** 2 + \
              (yy[None] - (cy + eye_dy)[:, None, None]) ** 2 <= (eye_r ** 2)[:, None, None]
        images[eye] = 0.05
    mouth_y = cy + 0.45 * ry
    mouth = (np.abs(yy[None] - mouth_y[:, None, None]) < 0.015) & \
            (np.abs(xx[None] - cx[:, None, None]) < (0.35 * rx)[:, None, None])
    images[mouth] = np.array([0.6, 0.1, 0.15])
    return (images * 255).round().clip(0, 255).astype(np.uint8).transpose(0, 3, 1, 2).copy()


def write_standin(out_dir, counts: dict[str, int], size: int, seed: int) -> dict:
    out_dir = Path(out_dir)
    for split in SPLITS:
        with atomic_path(out_dir / f"{split}.npy") as tmp:
            with open(tmp, "wb") as fh:
                np.save(fh, standin_images(counts[split], size, seed, split))
    meta = {"dataset": "standin", "standin": True, "counts": dict(counts), "size": size, "seed": seed,
            "source": "procedurally generated stand-in images (not CelebA)"}
    write_meta(out_dir, meta)
    return meta
