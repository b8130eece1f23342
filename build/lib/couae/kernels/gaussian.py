"""The Gaussian (RBF) kernel summed over scales: sum_s exp(-d^2 / C_s)."""

from __future__ import annotations

from dataclasses import dataclass

from . import CAN_STALL, Kernel, parameter
from .imq import SCALES, scale_bases


@dataclass(frozen=True, kw_only=True)
class Gaussian(Kernel):
    """Gaussian (RBF) kernel summed over scales: sum_s exp(-d^2 / C_s)."""

    name = "gaussian"
    summary = "Gaussian kernel, sum over scales s of exp(-d^2 / C) with C = s x 2h"
    theorem2_note = "multi-scale Gaussian: the number of scales (k(z, z) = 1 per scale)"

    scales: tuple[float, ...] = parameter(SCALES, "multiples of C = 2 h (the N(0, I) prior's 2 h sigma^2)")

    def _bases(self):
        return scale_bases(self.latent_dim, self.scales)

    def __call__(self, sq_dist):
        return sum((-sq_dist / c).exp() for c in self._bases())

    def value_and_slope(self, sq_dist):
        value, slope = 0.0, 0.0
        for c in self._bases():
            e = (-sq_dist / c).exp()
            value = value + e
            slope = slope - e / c
        return value, slope

    def theorem2_bound(self):
        return float(len(self.scales)), ""

    @classmethod
    def theorem1_role(cls, params):
        return CAN_STALL if len(params["scales"]) == 1 else None
