"""The image data as stored: compact uint8 arrays beside a meta.json.

Each split is one `<split>.npy` of shape (N, 3, size, size), uint8, beside a
`meta.json` that says what the arrays are (source, counts, preprocessing, and
`standin: true` for generated images). Training indexes these arrays directly
and never decodes a JPEG; pixels become [-1, 1] per batch (`to_model_range`).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from ..runtime.atomic import save_text
from ..runtime.loading import load_array


def to_model_range(images_uint8: torch.Tensor) -> torch.Tensor:
    """uint8 pixels 0..255 -> float32 in [-1, 1] (the decoder's tanh range)."""
    return images_uint8.float().div_(127.5).sub_(1.0)


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """Model outputs in [-1, 1] -> uint8 pixels (rounded, clipped)."""
    return ((images.float() + 1.0) * 127.5).round_().clamp_(0, 255).to(torch.uint8)


def write_meta(out_dir, meta: dict) -> None:
    save_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", Path(out_dir) / "meta.json")


def read_meta(path) -> dict:
    """meta.json, given its path or the folder holding it."""
    path = Path(path)
    return json.loads((path / "meta.json" if path.is_dir() else path).read_text())


def split_path(data_dir, split: str) -> Path:
    return Path(data_dir) / f"{split}.npy"


def load_split(path, mmap: bool = False) -> np.ndarray:
    """One split's (N, 3, size, size) uint8 array; memory-mapped on request."""
    return load_array(path, "image array", mmap=mmap)
