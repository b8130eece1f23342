"""The unbiased estimator of the squared MMD, eq. (2) of the paper.

MMD^2 = 1/(N(N-1)) sum_{i!=j} k(z_i, z_j) + 1/(M(M-1)) sum_{i!=j} k(q_i, q_j)
        - 2/(NM) sum_{i,j} k(z_i, q_j)

All functions accept leading batch dimensions (one per seed, for instance).
"""
from __future__ import annotations

import torch


def pairwise_sq_dist(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Squared Euclidean distances, (..., n, d) x (..., m, d) -> (..., n, m).

    Computed from differences rather than |a|^2 + |b|^2 - 2ab: exact zeros on
    coincident points and no negative values from cancellation.
    """
    return (a.unsqueeze(-2) - b.unsqueeze(-3)).pow(2).sum(-1)


def _off_diagonal_mean(kernel, x: torch.Tensor) -> torch.Tensor:
    n = x.shape[-2]
    if n < 2:
        raise ValueError("the unbiased MMD estimator needs at least 2 samples per set")
    eye = torch.eye(n, dtype=torch.bool, device=x.device)
    # Fill the diagonal distance with a harmless value before the kernel so that a
    # kernel singular at 0 cannot put inf/NaN into the (masked) backward pass.
    sq = pairwise_sq_dist(x, x).masked_fill(eye, 1.0)
    return kernel(sq).masked_fill(eye, 0.0).sum((-2, -1)) / (n * (n - 1))


def mmd2_unbiased(kernel, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Unbiased MMD^2 between samples x (..., n, d) and y (..., m, d)."""
    cross = kernel(pairwise_sq_dist(x, y)).mean((-2, -1))
    return _off_diagonal_mean(kernel, x) + _off_diagonal_mean(kernel, y) - 2.0 * cross
