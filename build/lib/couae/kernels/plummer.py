"""The Plummer kernel of Coulomb GAN: (d^2 + eps^2)^(-exponent / 2)."""

from __future__ import annotations

from dataclasses import dataclass

from . import Kernel, parameter

POSITIVE = {"type": "number", "exclusiveMinimum": 0}


@dataclass(frozen=True, kw_only=True)
class Plummer(Kernel):
    """Plummer kernel of Coulomb GAN: (d^2 + eps^2)^(-exponent / 2)."""

    name = "plummer"
    summary = "Plummer kernel of Coulomb GAN, (d^2 + eps^2)^(-exponent / 2)"
    theorem2_note = "Plummer: eps^-exponent"

    eps: float = parameter(POSITIVE, "smoothing length (Coulomb GAN: 3 on its grid, 1 on images)")
    exponent: float = parameter(POSITIVE, "power of the distance (Coulomb GAN's code: 1)")

    def __call__(self, sq_dist):
        return (sq_dist + self.eps**2).pow(-self.exponent / 2.0)

    def value_and_slope(self, sq_dist):
        base = sq_dist + self.eps**2
        value = base.pow(-self.exponent / 2.0)
        return value, -self.exponent / 2.0 * value / base

    def theorem2_bound(self):
        return self.eps ** (-self.exponent), ""
