"""The 2-D grid of Gaussians: sampling and its exact log-density."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

from ..core.seeding import numpy_rng


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


def seed_train_split(mixture: GridMixture, n_train: int, seed: int, training_seed: int) -> np.ndarray:
    """The training split of one training seed where every seed draws its own
    (grid.data.split_per_seed): from the data's `seed`, its own stream."""
    return mixture.sample(n_train, numpy_rng(seed, f"grid/train/seed{training_seed}"))
