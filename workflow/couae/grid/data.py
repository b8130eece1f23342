"""The 2-D grid of Gaussians: sampling and its exact log-density."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

from ..core.seeding import numpy_rng
from ..runtime.loading import DamagedFileError, load_arrays
from .settings import POINT_DIM


@dataclass(frozen=True)
class GridMixture:
    """Equal-weight isotropic Gaussians centred on {-c..c}^2 in steps of `spacing`."""

    per_axis: int
    spacing: float
    std: float

    @classmethod
    def from_settings(cls, settings) -> GridMixture:
        """The mixture of a job's `settings.GridData`."""
        return cls(settings.per_axis, settings.spacing, settings.std)

    @property
    def centres(self) -> np.ndarray:
        half = (self.per_axis - 1) / 2.0
        axis = (np.arange(self.per_axis) - half) * self.spacing
        return np.array([(a, b) for a in axis for b in axis], dtype=np.float64)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        centres = self.centres
        which = rng.integers(0, len(centres), size=n)
        return centres[which] + self.std * rng.standard_normal((n, 2))

    def log_density(self, x: np.ndarray) -> np.ndarray:
        """Exact log p(x) per point."""
        sq = ((x[:, None, :] - self.centres[None, :, :]) ** 2).sum(-1)
        log_norm = -math.log(2 * math.pi * self.std**2)  # 2-D Gaussian normaliser
        return logsumexp(-sq / (2 * self.std**2), axis=1) + log_norm - math.log(len(self.centres))


SPLITS = ("train", "validation", "test", "reference")


def make_splits(mixture: GridMixture, sizes: dict[str, int], seed: int) -> dict[str, np.ndarray]:
    """Draw every split from its own stream of `seed`; 'reference' feeds the
    KDE-on-true-samples row of Table 1."""
    missing = set(SPLITS) - set(sizes)
    if missing:
        raise ValueError(f"split sizes missing for: {', '.join(sorted(missing))}")
    return {name: mixture.sample(sizes[name], numpy_rng(seed, f"grid/{name}")) for name in SPLITS}


def load_splits(path, n_train: int | None = None) -> dict[str, np.ndarray]:
    """data.npz's splits, checked before any use: every split of SPLITS, points
    in the plane ((n, 2) arrays), finite, and n_train training points where
    the job's settings say (the n of Theorem 2); anything else is refused
    naming the file (a file replaced by hand keeps its old timestamp, so
    Snakemake would not remake it)."""
    splits = load_arrays(path, "grid data")
    fix = "delete it and re-run to make it again from the config"
    missing = [name for name in SPLITS if name not in splits]
    if missing:
        raise DamagedFileError(f"{path}: grid data without the split(s) {', '.join(missing)}; {fix}")
    for name in SPLITS:
        points = splits[name]
        if points.ndim != 2 or points.shape[1] != POINT_DIM:
            raise DamagedFileError(
                f"{path}: its {name!r} split has shape {points.shape}, not points in the plane (n, {POINT_DIM}); {fix}"
            )
        if name == "train" and n_train is not None and len(points) != n_train:
            raise DamagedFileError(
                f"{path}: its training split holds {len(points)} points and the settings ask for "
                f"{n_train} (grid.data.n_train); {fix}"
            )
        if not np.isfinite(points).all():
            raise DamagedFileError(f"{path}: its {name!r} split holds non-finite values; {fix}")
    return splits


def seed_train_split(mixture: GridMixture, n_train: int, seed: int, training_seed: int) -> np.ndarray:
    """The training split of one training seed where every seed draws its own
    (grid.data.split_per_seed): from the data's `seed`, its own stream."""
    return mixture.sample(n_train, numpy_rng(seed, f"grid/train/seed{training_seed}"))
