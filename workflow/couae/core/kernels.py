"""Characteristic kernels for the MMD regulariser, as functions of squared distance.

Every kernel is evaluated elementwise on a tensor of squared Euclidean
distances, so one definition serves any batch shape (seeds x n x m). Each
kernel also gives its slope dk/d(d^2) in closed form, which the MMD estimator's
backward pass uses (see couae.mmd). Coulomb-type kernels are singular at zero
distance; `eps` smooths them. Where two distinct points coincide exactly, the
slope of a kernel with a cusp at 0 is taken as 0 (the gradient has no direction).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import torch

KERNEL_NAMES = ("imq", "gaussian", "coulomb", "plummer")

# Squared distances below this count as coincident points.
_MIN_SQ_DIST = 1e-30


@dataclass(frozen=True)
class IMQ:
    """Inverse multiquadratic kernel summed over scales: sum_s C_s / (C_s + d^2).

    C_s = s * 2 * h * sigma^2 with sigma = 1 (the N(0, I) prior), as in WAE.
    """

    latent_dim: int
    scales: tuple[float, ...]

    def _bases(self):
        return [s * 2.0 * self.latent_dim for s in self.scales]

    def __call__(self, sq_dist):
        return sum(c / (c + sq_dist) for c in self._bases())

    def value_and_slope(self, sq_dist):
        value, slope = 0.0, 0.0
        for c in self._bases():
            r = c / (c + sq_dist)
            value = value + r
            slope = slope - r * r / c
        return value, slope


@dataclass(frozen=True)
class Gaussian:
    """Gaussian (RBF) kernel summed over scales: sum_s exp(-d^2 / C_s)."""

    latent_dim: int
    scales: tuple[float, ...]

    def _bases(self):
        return [s * 2.0 * self.latent_dim for s in self.scales]

    def __call__(self, sq_dist):
        return sum(torch.exp(-sq_dist / c) for c in self._bases())

    def value_and_slope(self, sq_dist):
        value, slope = 0.0, 0.0
        for c in self._bases():
            e = torch.exp(-sq_dist / c)
            value = value + e
            slope = slope - e / c
        return value, slope


@dataclass(frozen=True)
class Coulomb:
    """Smoothed Coulomb kernel, the Green's function of the Laplacian in R^h.

    h > 2: 1 / (d^beta + eps) with beta = h - 2 unless set explicitly;
    h = 2 (or beta = 0): -log(d + eps); h = 1 with beta None: -d / 2 (bounded,
    so exact: eps is not used).
    """

    latent_dim: int
    eps: float
    beta: float | None  # None: h - 2, the Green's function of R^h

    @property
    def form(self) -> str:
        if self.beta is None and self.latent_dim == 1:
            return "linear"
        return "log" if self.exponent == 0.0 else "power"

    @property
    def exponent(self) -> float:
        beta = float(self.latent_dim - 2) if self.beta is None else float(self.beta)
        if beta < 0 and not (self.beta is None and self.latent_dim == 1):
            raise ValueError(f"Coulomb kernel exponent beta must be >= 0, got {beta}")
        return beta

    def __call__(self, sq_dist):
        return self.value_and_slope(sq_dist)[0]

    def value_and_slope(self, sq_dist):
        form = self.form
        if form == "power":
            half = self.exponent / 2.0
            denom = sq_dist.clamp_min(_MIN_SQ_DIST).pow(half) + self.eps
            value = 1.0 / denom
            slope = -half * sq_dist.clamp_min(_MIN_SQ_DIST).pow(half - 1.0) * value * value
            if half < 1.0:  # a cusp at 0
                slope = torch.where(sq_dist > _MIN_SQ_DIST, slope, 0.0)
            return value, slope
        apart = sq_dist > _MIN_SQ_DIST
        d = sq_dist.clamp_min(_MIN_SQ_DIST).sqrt()
        if form == "log":
            shifted = d + self.eps
            return -torch.log(shifted), torch.where(apart, -0.5 / (d * shifted), 0.0)
        return -0.5 * d, torch.where(apart, -0.25 / d, 0.0)  # linear, h = 1


@dataclass(frozen=True)
class Plummer:
    """Plummer kernel of Coulomb GAN: (d^2 + eps^2)^(-exponent / 2)."""

    latent_dim: int
    eps: float
    exponent: float

    def __call__(self, sq_dist):
        return (sq_dist + self.eps**2).pow(-self.exponent / 2.0)

    def value_and_slope(self, sq_dist):
        base = sq_dist + self.eps**2
        value = base.pow(-self.exponent / 2.0)
        return value, -self.exponent / 2.0 * value / base


_KERNELS = {"imq": IMQ, "gaussian": Gaussian, "coulomb": Coulomb, "plummer": Plummer}


def make_kernel(name: str, latent_dim: int, **params):
    """Build a kernel by its config name; params are that kernel's settings,
    all of them (they come from the config: the library restates none)."""
    try:
        cls = _KERNELS[name]
    except KeyError:
        raise ValueError(f"unknown kernel {name!r}; known: {', '.join(KERNEL_NAMES)}") from None
    expected = {f.name for f in fields(cls)} - {"latent_dim"}
    if set(params) != expected:
        raise ValueError(f"kernel {name!r} takes the parameters {sorted(expected)}, got {sorted(params)}")
    if "scales" in params:
        params["scales"] = tuple(float(s) for s in params["scales"])
    return cls(latent_dim=latent_dim, **params)
