"""The smoothed Coulomb kernel, the Green's function of the Laplacian in R^h:
the CouAE kernel (Theorem 1: every local minimum of its MMD term is global).

The Green's function is singular at 0, so it is smoothed, in one of two ways
(`smoothing`):

- `additive` (the default, as run so far): 1 / (d^beta + eps), and
  -log(d + eps) for h = 2. Its flat core has radius about eps^(1/beta) (0.46
  at h = 8 with eps = 1e-2), which can hold two particles in one well: minima
  the unsmoothed kernel does not have. For beta > 2 it is not positive
  definite (Gram matrices of dense point sets have negative eigenvalues).
- `distance`: the distance is smoothed instead, (d^2 + eps^2)^(-beta/2), and
  -log(d^2 + eps^2) / 2 for h = 2; eps is then a length (the core's radius),
  and the kernel is a generalised inverse multiquadric, positive definite in
  every dimension.

Eq. (3) of the paper carries the Green's function's constant, 1/(2 pi) for
h = 2 and 1/((h - 2) S_h) for h > 2 (S_h the area of the unit sphere); the
paper does not say whether its experiments keep it. We leave it out by
default, which rescales lambda; `normalised: true` puts it back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from . import MIN_SQ_DIST, REACHES, Kernel, parameter

ADDITIVE, DISTANCE = "additive", "distance"


def sphere_area(h: int) -> float:
    """The area of the unit sphere in R^h: 2 pi^(h/2) / Gamma(h/2)."""
    return 2.0 * math.pi ** (h / 2.0) / math.gamma(h / 2.0)


@dataclass(frozen=True, kw_only=True)
class Coulomb(Kernel):
    """Smoothed Coulomb kernel.

    h > 2: 1 / (d^beta + eps) with beta = h - 2 unless set explicitly;
    h = 2 (or beta = 0): -log(d + eps); h = 1 with beta None: -d / 2 (bounded,
    so exact: eps is not used). With `smoothing: distance`, d^2 + eps^2 takes
    the place of d^2 and eps leaves the denominator. Where two distinct points
    coincide exactly, the slope of a form with a cusp at 0 is taken as 0.
    """

    name = "coulomb"
    summary = "Coulomb kernel, 1 / (d^beta + eps) with beta = h - 2 (-log(d + eps) for h = 2)"
    theorem2_note = (
        "Coulomb: 1 / eps with additive smoothing, eps^-beta with the distance smoothed; the logarithmic "
        "form (h = 2) has none"
    )

    eps: float = parameter({"type": "number", "exclusiveMinimum": 0}, "smoothing (not published)")
    beta: float | None = parameter(
        {"type": ["number", "null"], "minimum": 0}, "distance exponent; null: h - 2 (logarithmic in 2-D)"
    )
    smoothing: str = parameter(
        {"enum": [ADDITIVE, DISTANCE]},
        "additive: 1 / (d^beta + eps); distance: (d^2 + eps^2)^(-beta/2), positive definite",
        default=ADDITIVE,
    )
    normalised: bool = parameter(
        {"type": "boolean"}, "times eq. (3)'s constant, 1/(2 pi) for h = 2, 1/(beta S_h) above", default=False
    )

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

    @property
    def constant(self) -> float:
        """Eq. (3)'s factor where `normalised`, else 1 (the linear form of h = 1 has its own)."""
        if not self.normalised or self.form == "linear":
            return 1.0
        return 1.0 / (2.0 * math.pi) if self.form == "log" else 1.0 / (self.exponent * sphere_area(self.latent_dim))

    def value_and_slope(self, sq_dist):
        value, slope = self._unscaled(sq_dist)
        c = self.constant
        return (value, slope) if c == 1.0 else (c * value, c * slope)

    def _unscaled(self, sq_dist):
        form = self.form
        if form == "linear":  # h = 1: -d / 2, exact
            apart = sq_dist > MIN_SQ_DIST
            d = sq_dist.clamp_min(MIN_SQ_DIST).sqrt()
            return -0.5 * d, (-0.25 / d).where(apart, 0.0)
        if self.smoothing == DISTANCE:
            base = sq_dist + self.eps**2
            if form == "log":
                return -0.5 * base.log(), -0.5 / base
            value = base.pow(-self.exponent / 2.0)
            return value, -self.exponent / 2.0 * value / base
        if form == "power":
            half = self.exponent / 2.0
            denom = sq_dist.clamp_min(MIN_SQ_DIST).pow(half) + self.eps
            value = 1.0 / denom
            slope = -half * sq_dist.clamp_min(MIN_SQ_DIST).pow(half - 1.0) * value * value
            if half < 1.0:  # a cusp at 0
                slope = slope.where(sq_dist > MIN_SQ_DIST, 0.0)
            return value, slope
        apart = sq_dist > MIN_SQ_DIST
        d = sq_dist.clamp_min(MIN_SQ_DIST).sqrt()
        shifted = d + self.eps
        return -shifted.log(), (-0.5 / (d * shifted)).where(apart, 0.0)

    def theorem2_bound(self):
        if self.form != "power":
            return None, f"{self.form} Coulomb kernel is unbounded and takes negative values"
        if self.eps <= 0:
            return None, "Coulomb kernel with eps = 0 is unbounded"
        core = 1.0 / self.eps if self.smoothing == ADDITIVE else self.eps ** (-self.exponent)
        return self.constant * core, ""

    def remark(self) -> str:
        if self.form == "power" and self.smoothing == ADDITIVE and self.exponent == 2.0:
            return (
                f"the Coulomb kernel 1/(d^2 + eps) with eps = {self.eps:g} is 1/eps times a single-scale IMQ "
                f"kernel with C = eps: against WAE's seven IMQ scales it is one scale, at an effective weight "
                "lambda / eps, and eps is not published"
            )
        if self.form == "power" and self.smoothing == ADDITIVE and self.exponent > 2.0:
            return (
                f"the additive smoothing 1/(d^beta + eps) with beta = {self.exponent:g} > 2 is not positive "
                f"definite, and its flat core (radius about eps^(1/beta) = {self.eps ** (1 / self.exponent):.2g}) "
                "can hold two particles in one well"
            )
        return ""

    @classmethod
    def theorem1_role(cls, params):
        return REACHES if params["beta"] is None else None
