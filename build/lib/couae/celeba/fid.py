"""Fréchet Inception Distance: features, their Gaussian statistics, the distance.

Features come from pytorch-fid's InceptionV3 (2048-d pool features, the FID
weights of `weights`). The Fréchet distance is our
own: pytorch-fid 0.3.0 calls `scipy.linalg.sqrtm(..., disp=False)`, an
argument scipy 1.18 removed. We need only the trace of the matrix square
root, which the eigenvalues of a symmetric matrix give without sqrtm.

Tests and the quick preset use `RandomFeatures`, a fixed random convolutional
network: the same code path with a stand-in extractor, whose numbers are
plainly not FID.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..core.seeding import stream_seed
from ..runtime.atomic import save_npz
from ..runtime.loading import load_arrays
from .weights import WEIGHTS_FILE, WEIGHTS_SHA256_PREFIX, ensure_weights, hub_dir, weights_path, where_to_put_weights

__all__ = ["WEIGHTS_FILE", "WEIGHTS_SHA256_PREFIX", "ensure_weights", "weights_path", "where_to_put_weights"]

log = logging.getLogger(__name__)

INCEPTION_DIMS = 2048
INCEPTION = "inception"
TEST_ONLY = "random-features-test-only"


class MissingWeightsError(FileNotFoundError):
    pass


class TooFewImagesError(ValueError):
    pass


@contextlib.contextmanager
def _hub_dir(path: Path):
    previous = torch.hub.get_dir()
    torch.hub.set_dir(str(path))
    try:
        yield
    finally:
        torch.hub.set_dir(previous)


class InceptionFeatures(nn.Module):
    """pytorch-fid's FID InceptionV3, loaded from the local weights file only."""

    name = INCEPTION
    dims = INCEPTION_DIMS

    def __init__(self, weights_dir: str | None):
        super().__init__()
        path = weights_path(weights_dir)
        if not path.is_file():
            raise MissingWeightsError(f"FID Inception weights not found at {path}. {where_to_put_weights(path)}")
        from pytorch_fid.inception import InceptionV3

        # pytorch-fid loads through torch.hub, which finds the file in place and never downloads
        with _hub_dir(hub_dir(weights_dir)):
            self.net = InceptionV3([InceptionV3.BLOCK_INDEX_BY_DIM[INCEPTION_DIMS]])

    def forward(self, images01):
        return self.net(images01)[0].flatten(1)


class RandomFeatures(nn.Module):
    """TEST ONLY: a fixed, seeded random conv net (3 conv + ReLU, global average
    pool) standing in for Inception where its weights are absent. Distances
    between its feature statistics are not FID."""

    name = TEST_ONLY

    def __init__(self, dims: int, seed: int = 0):
        super().__init__()
        self.dims = dims
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(stream_seed(seed, "fid/random-features"))
            self.net = nn.Sequential(
                nn.Conv2d(3, 32, 4, stride=2, padding=1),
                nn.ReLU(),
                nn.Conv2d(32, 64, 4, stride=2, padding=1),
                nn.ReLU(),
                nn.Conv2d(64, dims, 4, stride=2, padding=1),
                nn.ReLU(),
                nn.AdaptiveAvgPool2d(1),
                nn.Flatten(),
            )

    def forward(self, images01):
        return self.net(images01 * 2 - 1)


def make_extractor(settings, weights_dir: str | None) -> nn.Module:
    """The feature extractor of a job's `settings.FIDSettings`."""
    if settings.extractor == INCEPTION:
        return InceptionFeatures(weights_dir)
    if settings.extractor == TEST_ONLY:
        return RandomFeatures(settings.test_only_dims)
    raise ValueError(f"unknown FID feature extractor {settings.extractor!r}")


@torch.no_grad()
def features(extractor: nn.Module, images_uint8: np.ndarray, batch_size: int, device) -> np.ndarray:
    """(N, dims) float64 features of uint8 images (N, 3, H, W), fed in [0, 1] as pytorch-fid expects."""
    extractor = extractor.to(device).eval()
    out = []
    for i in range(0, len(images_uint8), batch_size):
        batch = torch.as_tensor(np.asarray(images_uint8[i : i + batch_size])).to(device).float().div_(255.0)
        out.append(extractor(batch).double().cpu())
    return torch.cat(out).numpy()


@dataclass
class Statistics:
    mu: np.ndarray
    sigma: np.ndarray
    n: int

    def save(self, path, **extra) -> None:
        save_npz(path, mu=self.mu, sigma=self.sigma, n=self.n, **extra)

    @classmethod
    def load(cls, path) -> Statistics:
        arrays = load_arrays(path, "feature statistics")
        return cls(arrays["mu"], arrays["sigma"], int(arrays["n"]))


def statistics(feats: np.ndarray) -> Statistics:
    return Statistics(feats.mean(0), np.cov(feats, rowvar=False), len(feats))


def check_sample_size(n: int, dims: int, policy: str, what: str) -> bool:
    """Fewer images than feature dims make the covariance singular and FID
    biased upwards. policy 'refuse' raises; 'warn' logs loudly and returns True
    (the value must then be marked)."""
    if n >= dims:
        return False
    message = f"{what}: {n} images for {dims}-d features; the covariance is singular and the distance is biased"
    if policy == "refuse":
        raise TooFewImagesError(
            message + " (celeba.fid.few_images: refuse). Use more images, or "
            "set few_images: warn to compute a marked value anyway."
        )
    log.warning("WARNING: %s; the value is marked in the tables", message)
    return True


def frechet_distance(a: Statistics, b: Statistics) -> float:
    """||mu_a - mu_b||^2 + tr(S_a) + tr(S_b) - 2 tr((S_a S_b)^(1/2)).

    tr((S_a S_b)^(1/2)) is the sum of square roots of the eigenvalues of
    S_a^(1/2) S_b S_a^(1/2) (similar to S_a S_b, but symmetric PSD, so eigh is
    exact and stable); tiny negative eigenvalues from rounding are clipped.
    """
    eval_a, evec_a = np.linalg.eigh(a.sigma)
    sqrt_a = (evec_a * np.sqrt(np.clip(eval_a, 0, None))) @ evec_a.T
    middle = sqrt_a @ b.sigma @ sqrt_a
    trace_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0, None)).sum()
    diff = a.mu - b.mu
    return float(diff @ diff + np.trace(a.sigma) + np.trace(b.sigma) - 2 * trace_sqrt)
