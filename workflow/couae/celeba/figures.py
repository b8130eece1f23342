"""Figures 3 and 4: generated CelebA images per model, and test images over
their reconstructions per width factor. A caveat (stand-in data) is printed
in the figure itself, so that the image cannot be mistaken for CelebA results."""

from __future__ import annotations

import math
import textwrap

import numpy as np

from .. import caveats
from ..report.style import CAVEAT_COLOUR, plt
from ..runtime.loading import load_array
from .arrays import read_meta


def load_panels(keys, paths) -> dict[str, np.ndarray]:
    """key -> the .npy array of its panel, in the order given."""
    if len(keys) != len(paths):
        raise ValueError(f"{len(keys)} panels but {len(paths)} image files")
    return {key: load_array(path, "figure images") for key, path in zip(keys, paths, strict=True)}


def data_caveat(meta_path) -> str:
    """The caveats a figure of these image arrays prints (stand-in data, a
    non-official split, ...), or none."""
    return caveats.join(caveats.data_marks(read_meta(meta_path)))


def tile(images: np.ndarray, n_cols: int) -> np.ndarray:
    """(n, 3, H, W) uint8 -> one (rows*H, n_cols*W, 3) mosaic, blank cells white."""
    n, c, h, w = images.shape
    n_rows = math.ceil(n / n_cols)
    canvas = np.full((n_rows * n_cols, c, h, w), 255, dtype=np.uint8)
    canvas[:n] = images
    return canvas.reshape(n_rows, n_cols, c, h, w).transpose(0, 3, 1, 4, 2).reshape(n_rows * h, n_cols * w, c)


def _finish(fig, caveat: str):
    if caveat:
        fig.suptitle(caveats.shown(caveat), color=CAVEAT_COLOUR, fontsize=10, fontweight="bold")
    fig.tight_layout(rect=(0, 0, 1, 0.9 if caveat else 1))  # room for the caveat above the panels
    return fig


def figure3(samples: dict[str, np.ndarray], titles: dict[str, str], caveat: str = ""):
    """samples: experiment -> (n, 3, 64, 64) uint8 generated images."""
    names = list(samples)
    fig, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 3.6), squeeze=False)
    for ax, name in zip(axes[0], names):
        images = samples[name]
        ax.imshow(tile(images, math.ceil(math.sqrt(len(images)))))
        ax.set_title(textwrap.fill(titles.get(name, name), 30), fontsize=9)
        ax.axis("off")
    return _finish(fig, caveat)


def figure4(pairs: dict[str, np.ndarray], experiment: str, caveat: str = ""):
    """pairs: width label -> (2, k, 3, 64, 64) uint8: test images, then their reconstructions."""
    widths = sorted(pairs, key=float)
    fig, axes = plt.subplots(
        len(widths), 1, figsize=(1.1 * pairs[widths[0]].shape[1], 2.4 * len(widths)), squeeze=False
    )
    for ax, width in zip(axes[:, 0], widths):
        test, recon = pairs[width]
        ax.imshow(tile(np.concatenate([test, recon]), len(test)))
        ax.set_title(f"{experiment}, width x{width}: test images (top), reconstructions (bottom)", fontsize=9)
        ax.axis("off")
    return _finish(fig, caveat)
