"""The regulariser of eq. (1) as an electrostatic energy, evaluated exactly.

Fixed positive charges z_1..z_N (samples of the prior) and free negative
charges q_1..q_M (encoded points) interact through the kernel k:

  E(q) = 1/(N(N-1)) sum_{i!=j} k(z_i, z_j) + 1/(M(M-1)) sum_{i!=j} k(q_i, q_j)
         - 2/(NM) sum_{i,j} k(z_i, q_j),

the unbiased MMD^2 of eq. (2) between the two sets. With one free charge the
second sum is empty and counts as 0. Figure 1 draws E for three fixed charges
in one dimension, over one free charge (a curve) and two (a surface).
"""

from __future__ import annotations

import numpy as np
import torch

from ..core.mmd import pairwise_sq_dist, within_sample_mean


def energy(kernel, fixed, free) -> np.ndarray:
    """E for fixed charges (N, d) and free-charge configurations (..., M, d)."""
    z = torch.as_tensor(np.asarray(fixed, dtype=np.float64))
    q = torch.as_tensor(np.asarray(free, dtype=np.float64))
    cross = kernel(pairwise_sq_dist(q, z.expand(*q.shape[:-2], *z.shape))).mean((-2, -1))
    return (within_sample_mean(kernel, z) + within_sample_mean(kernel, q) - 2.0 * cross).numpy()


def curve(kernel, charges, positions) -> np.ndarray:
    """E over one free charge at each of `positions` (1-D)."""
    charges = np.asarray(charges, dtype=np.float64)[:, None]
    return energy(kernel, charges, np.asarray(positions, dtype=np.float64)[:, None, None])


def surface(kernel, charges, positions) -> np.ndarray:
    """E over two free charges: entry [i, j] has them at positions[i], positions[j]."""
    charges = np.asarray(charges, dtype=np.float64)[:, None]
    p = np.asarray(positions, dtype=np.float64)
    a, b = np.meshgrid(p, p, indexing="ij")
    pairs = np.stack([a, b], axis=-1)[..., None]  # (G, G, 2 charges, 1 dim)
    return energy(kernel, charges, pairs)


def minima(values: np.ndarray, rel_tol: float = 1e-9) -> tuple[list, list]:
    """(global minimisers, spurious local minima) of a sampled curve or surface,
    as index tuples. A point is a local minimum when no neighbour is lower by
    more than rel_tol x the value range (so flat valleys count, and rounding on
    them does not create minima); it is global when it lies within that
    tolerance of the smallest value, spurious otherwise. Edges are excluded."""
    values = np.asarray(values, dtype=np.float64)
    tol = rel_tol * max(float(np.ptp(values)), 1e-300)
    interior = tuple(slice(1, -1) for _ in values.shape)
    centre = values[interior]
    is_min = np.ones(centre.shape, dtype=bool)
    for offset in np.ndindex(*(3,) * values.ndim):
        if any(o != 1 for o in offset):
            neighbour = values[tuple(slice(o, o + s) for o, s in zip(offset, centre.shape))]
            is_min &= centre <= neighbour + tol
    lowest = values.min()
    glob, spurious = [], []
    for idx in zip(*np.nonzero(is_min)):
        point = tuple(int(i) + 1 for i in idx)
        (glob if values[point] <= lowest + tol else spurious).append(point)
    return glob, spurious
