"""The 2-D Gaussian mixtures of the grid data set (a grid of modes, a ring, or
any list of centres): sampling, their exact log-density, the data file's splits.

The rest of the package asks of its data only what a *point source* offers:
`sample(n, rng)` ((n, 2) points), `log_density(x)` (per point; None where
no closed form is known) and `length_scale(kind)` (the data's "spacing" and
"std", which a Coulomb GAN's kernel may be measured in). A mixture is one;
a data set of points in the plane that is not a mixture is another
(`couae.grid.points`); `source_of` finds the one a job's data settings name.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

from .. import datasets
from ..core.seeding import numpy_rng
from ..runtime.loading import DamagedFileError, load_arrays
from .settings import POINT_DIM, shape_of


@dataclass(frozen=True)
class Mixture:
    """Equal-weight isotropic Gaussians in the plane: one centre and one
    standard deviation per mode. The grid of the paper is one member; a ring
    or any list of centres is another (a variant's entry in grid.variants)."""

    centres: np.ndarray  # (K, 2)
    stds: np.ndarray  # (K,)
    spacing: float  # the distance between the two nearest centres (a length scale of the data)

    @classmethod
    def grid(cls, per_axis: int, spacing: float, std: float) -> Mixture:
        """per_axis^2 modes on {-c, ..., c}^2 in steps of `spacing`."""
        half = (per_axis - 1) / 2.0
        axis = (np.arange(per_axis) - half) * spacing
        centres = np.array([(a, b) for a in axis for b in axis], dtype=np.float64)
        return cls(centres, np.full(len(centres), float(std)), float(spacing))

    @classmethod
    def ring(cls, count: int, radius: float, std: float) -> Mixture:
        """`count` modes evenly on a circle of `radius` about the origin, the first on the x axis."""
        angles = 2 * math.pi * np.arange(count) / count
        centres = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
        # neighbours on the ring are one chord apart: 2 r sin(pi / count)
        return cls(centres, np.full(count, float(std)), 2 * radius * math.sin(math.pi / count))

    @classmethod
    def points(cls, centres, std) -> Mixture:
        """Modes at the given centres, with one std for all or one per centre."""
        centres = np.asarray(centres, dtype=np.float64).reshape(-1, POINT_DIM)
        stds = np.broadcast_to(np.asarray(std, dtype=np.float64), (len(centres),)).copy()
        gaps = np.linalg.norm(centres[:, None] - centres[None], axis=-1)[np.triu_indices(len(centres), 1)]
        return cls(centres, stds, float(gaps.min()))

    @classmethod
    def of(cls, data) -> Mixture:
        """The mixture a variant's entry or a job's data settings (`settings.GridData`, or its dict) describe."""
        data = data.to_dict() if hasattr(data, "to_dict") else data
        shape = shape_of(data)
        if shape == "grid":
            return cls.grid(data["per_axis"], data["spacing"], data["std"])
        if shape == "ring":
            return cls.ring(data["count"], data["radius"], data["std"])
        return cls.points(data["centres"], data["std"])

    def length_scale(self, kind: str) -> float:
        """The nearest centres' distance ("spacing") or the modes' std ("std")."""
        return {"spacing": self.spacing, "std": self.std}[kind]

    @property
    def std(self) -> float:
        """The modes' standard deviation (their mean where they differ): the data's other length scale."""
        equal = (self.stds == self.stds[0]).all()
        return float(self.stds[0] if equal else self.stds.mean())  # exactly the configured std where it is one

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        which = rng.integers(0, len(self.centres), size=n)
        return self.centres[which] + self.stds[which, None] * rng.standard_normal((n, POINT_DIM))

    def log_density(self, x: np.ndarray) -> np.ndarray:
        """Exact log p(x) per point."""
        sq = ((x[:, None, :] - self.centres[None, :, :]) ** 2).sum(-1)
        variances = self.stds**2
        log_norm = -np.log(2 * math.pi * variances)  # each mode's 2-D Gaussian normaliser
        top = log_norm.max()  # taken out of the sum: with one std for all, the terms add exactly 0
        return logsumexp(-sq / (2 * variances) + (log_norm - top), axis=1) + top - math.log(len(self.centres))


def source_of(data):
    """The point source a job's data settings describe (their dict, or `settings.GridData`): a grid
    variant's mixture, or the draws of the points data set they name (`dataset`, with its `params`)."""
    data = data.to_dict() if hasattr(data, "to_dict") else data
    if "dataset" in data:
        return datasets.get(data["dataset"]).source(data["params"])
    return Mixture.of(data)


SPLITS = ("train", "validation", "test", "reference")


def make_splits(source, sizes: dict[str, int], seed: int, streams: str = "grid") -> dict[str, np.ndarray]:
    """Draw every split of a point source from its own stream of `seed` (named `<streams>/<split>`);
    'reference' feeds the KDE-on-true-samples row of Table 1."""
    missing = set(SPLITS) - set(sizes)
    if missing:
        raise ValueError(f"split sizes missing for: {', '.join(sorted(missing))}")
    return {name: source.sample(sizes[name], numpy_rng(seed, f"{streams}/{name}")) for name in SPLITS}


def load_splits(path, n_train: int | None = None) -> dict[str, np.ndarray]:
    """data.npz's splits, checked before any use: every split of SPLITS, points
    in the plane ((n, 2) arrays), finite, and n_train training points where
    the job's settings say (the n of Theorem 2); anything else is refused
    naming the file (a file replaced by hand keeps its old timestamp, so
    Snakemake would not remake it)."""
    splits = load_arrays(path, "point data")
    fix = "delete it and re-run to make it again from the config"
    missing = [name for name in SPLITS if name not in splits]
    if missing:
        raise DamagedFileError(f"{path}: point data without the split(s) {', '.join(missing)}; {fix}")
    for name in SPLITS:
        points = splits[name]
        if points.ndim != 2 or points.shape[1] != POINT_DIM:
            raise DamagedFileError(
                f"{path}: its {name!r} split has shape {points.shape}, not points in the plane (n, {POINT_DIM}); {fix}"
            )
        if name == "train" and n_train is not None and len(points) != n_train:
            raise DamagedFileError(
                f"{path}: its training split holds {len(points)} points and the settings ask for "
                f"{n_train} (<data set>.data.n_train); {fix}"
            )
        if not np.isfinite(points).all():
            raise DamagedFileError(f"{path}: its {name!r} split holds non-finite values; {fix}")
    return splits


def seed_train_split(mixture: Mixture, n_train: int, seed: int, training_seed: int) -> np.ndarray:
    """The training split of one training seed where every seed draws its own
    (grid.data.split_per_seed): from the data's `seed`, its own stream."""
    return mixture.sample(n_train, numpy_rng(seed, f"grid/train/seed{training_seed}"))
