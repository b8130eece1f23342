"""Characteristic kernels for the MMD regulariser, as functions of squared distance.

Every kernel here is evaluated elementwise on a tensor of squared Euclidean
distances, so one definition serves any batch shape (seeds x n x m).
Coulomb-type kernels are singular at zero distance; `eps` smooths them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

KERNEL_NAMES = ("imq", "gaussian", "coulomb", "plummer")

# Below this squared distance the distance is treated as this value: it keeps the
# gradient of sqrt finite when two points coincide (the value changes by < 1e-15).
_MIN_SQ_DIST = 1e-30


def _distance(sq_dist: torch.Tensor) -> torch.Tensor:
    return sq_dist.clamp_min(_MIN_SQ_DIST).sqrt()


@dataclass(frozen=True)
class IMQ:
    """Inverse multiquadratic kernel summed over scales: sum_s C_s / (C_s + d^2).

    C_s = s * 2 * h * sigma^2 with sigma = 1 (the N(0, I) prior), as in WAE.
    """

    latent_dim: int
    scales: tuple[float, ...] = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)

    def __call__(self, sq_dist: torch.Tensor) -> torch.Tensor:
        base = 2.0 * self.latent_dim
        return sum(s * base / (s * base + sq_dist) for s in self.scales)


@dataclass(frozen=True)
class Gaussian:
    """Gaussian (RBF) kernel summed over scales: sum_s exp(-d^2 / C_s)."""

    latent_dim: int
    scales: tuple[float, ...] = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)

    def __call__(self, sq_dist: torch.Tensor) -> torch.Tensor:
        base = 2.0 * self.latent_dim
        return sum(torch.exp(-sq_dist / (s * base)) for s in self.scales)


@dataclass(frozen=True)
class Coulomb:
    """Smoothed Coulomb kernel, the Green's function of the Laplacian in R^h.

    h > 2: 1 / (d^beta + eps) with beta = h - 2 unless set explicitly;
    h = 2 (or beta = 0): -log(d + eps); h = 1: -d / 2 (exact, no smoothing).
    """

    latent_dim: int
    eps: float = 1e-2
    beta: float | None = None

    @property
    def exponent(self) -> float:
        return float(self.latent_dim - 2) if self.beta is None else float(self.beta)

    def __call__(self, sq_dist: torch.Tensor) -> torch.Tensor:
        if self.beta is None and self.latent_dim == 1:
            return -0.5 * _distance(sq_dist)
        beta = self.exponent
        if beta == 0.0:
            return -torch.log(_distance(sq_dist) + self.eps)
        if beta < 0:
            raise ValueError(f"Coulomb kernel exponent beta must be >= 0, got {beta}")
        return 1.0 / (sq_dist.clamp_min(_MIN_SQ_DIST).pow(beta / 2.0) + self.eps)


@dataclass(frozen=True)
class Plummer:
    """Plummer kernel of Coulomb GAN: (d^2 + eps^2)^(-exponent / 2)."""

    latent_dim: int
    eps: float = 1.0
    exponent: float = 1.0

    def __call__(self, sq_dist: torch.Tensor) -> torch.Tensor:
        return (sq_dist + self.eps**2).pow(-self.exponent / 2.0)


_KERNELS = {"imq": IMQ, "gaussian": Gaussian, "coulomb": Coulomb, "plummer": Plummer}


def make_kernel(name: str, latent_dim: int, **params):
    """Build a kernel by its config name; params are that kernel's settings."""
    try:
        cls = _KERNELS[name]
    except KeyError:
        raise ValueError(f"unknown kernel {name!r}; known: {', '.join(KERNEL_NAMES)}") from None
    if "scales" in params:
        params["scales"] = tuple(float(s) for s in params["scales"])
    return cls(latent_dim=latent_dim, **params)
