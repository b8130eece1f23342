"""The inverse multiquadratic kernel, WAE's default: sum_s C_s / (C_s + d^2)."""

from __future__ import annotations

from dataclasses import dataclass

from . import CAN_STALL, Kernel, parameter

# Multiples of C = 2 h sigma^2 (sigma = 1, the N(0, I) prior), as in WAE's code.
SCALES = {"type": "array", "items": {"type": "number", "exclusiveMinimum": 0}, "minItems": 1}


def scale_bases(latent_dim: int, scales) -> list[float]:
    """C_s = s * 2 * h * sigma^2 with sigma = 1, per scale (IMQ and Gaussian alike)."""
    return [s * 2.0 * latent_dim for s in scales]


@dataclass(frozen=True, kw_only=True)
class IMQ(Kernel):
    """Inverse multiquadratic kernel summed over scales: sum_s C_s / (C_s + d^2)."""

    name = "imq"
    summary = "inverse multiquadratic kernel, sum over scales s of C / (C + d^2) with C = s x 2h (WAE's)"
    theorem2_note = "multi-scale IMQ: the number of scales (k(z, z) = 1 per scale)"

    scales: tuple[float, ...] = parameter(SCALES, "multiples of C = 2 h (the N(0, I) prior's 2 h sigma^2)")

    def _bases(self):
        return scale_bases(self.latent_dim, self.scales)

    def __call__(self, sq_dist):
        return sum(c / (c + sq_dist) for c in self._bases())

    def value_and_slope(self, sq_dist):
        value, slope = 0.0, 0.0
        for c in self._bases():
            r = c / (c + sq_dist)
            value = value + r
            slope = slope - r * r / c
        return value, slope

    def theorem2_bound(self):
        return float(len(self.scales)), ""

    @classmethod
    def theorem1_role(cls, params):
        return CAN_STALL if len(params["scales"]) == 1 else None
