"""The smoothed Coulomb kernel, the Green's function of the Laplacian in R^h:
the CouAE kernel (Theorem 1: every local minimum of its MMD term is global)."""

from __future__ import annotations

from dataclasses import dataclass

from . import MIN_SQ_DIST, REACHES, Kernel, parameter


@dataclass(frozen=True, kw_only=True)
class Coulomb(Kernel):
    """Smoothed Coulomb kernel.

    h > 2: 1 / (d^beta + eps) with beta = h - 2 unless set explicitly;
    h = 2 (or beta = 0): -log(d + eps); h = 1 with beta None: -d / 2 (bounded,
    so exact: eps is not used). Where two distinct points coincide exactly,
    the slope of a form with a cusp at 0 is taken as 0 (no direction).
    """

    name = "coulomb"
    summary = "Coulomb kernel, 1 / (d^beta + eps) with beta = h - 2 (-log(d + eps) for h = 2)"
    theorem2_note = "Coulomb 1 / (d^beta + eps): 1 / eps; the logarithmic form (h = 2) has none"

    eps: float = parameter({"type": "number", "exclusiveMinimum": 0}, "smoothing (not published)")
    beta: float | None = parameter(
        {"type": ["number", "null"], "minimum": 0}, "distance exponent; null: h - 2 (logarithmic in 2-D)"
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

    def value_and_slope(self, sq_dist):
        form = self.form
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
        if form == "log":
            shifted = d + self.eps
            return -shifted.log(), (-0.5 / (d * shifted)).where(apart, 0.0)
        return -0.5 * d, (-0.25 / d).where(apart, 0.0)  # linear, h = 1

    def theorem2_bound(self):
        if self.form == "power" and self.eps > 0:
            return 1.0 / self.eps, ""
        if self.form == "power":
            return None, "Coulomb kernel with eps = 0 is unbounded"
        return None, f"{self.form} Coulomb kernel is unbounded and takes negative values"

    @classmethod
    def theorem1_role(cls, params):
        return REACHES if params["beta"] is None else None
