"""WAE's RBF kernel: one Gaussian scale set from each batch by a median
heuristic, exp(-d^2 / (2 sigma_k^2)), as WAE's code (`mmd_penalty`, kernel
'RBF') computes it: sigma_k^2 is the (n^2 - n)/2-th largest squared
code-prior distance plus the (n^2 - n)/2-th largest squared code-code
distance, n the number of codes (about the medians of the two).

The bandwidth is a function of the batch, held fixed within a step: the MMD's
closed-form gradient treats it as a constant (WAE's TensorFlow code also lets
the gradient flow through it). Being set from the data, it is not a kernel
fixed before the data, which Theorem 2 needs. The package's `gaussian`
kernel is another thing: a sum of seven fixed scales (WAE's IMQ scales).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import CAN_STALL, Kernel


def kth_largest(values, k: int):
    """The k-th largest of the last axis, per leading index (WAE's tf.nn.top_k(...)[k - 1])."""
    return values.kthvalue(values.shape[-1] - k + 1, dim=-1).values


def median_bandwidth(x, y):
    """sigma_k^2 per leading index for codes x (..., n, h) and prior draws y (..., m, h), shape (..., 1, 1)."""
    n = x.shape[-2]
    half = (n * n - n) // 2
    cross = (x[..., :, None, :] - y[..., None, :, :]).square().sum(-1).flatten(-2)
    within = (x[..., :, None, :] - x[..., None, :, :]).square().sum(-1).flatten(-2)
    return (kth_largest(cross, half) + kth_largest(within, half))[..., None, None]


@dataclass(frozen=True, kw_only=True)
class WAEMedianRBF(Kernel):
    name = "waerbf"
    summary = "WAE's RBF kernel, exp(-d^2 / (2 sigma^2)), one scale set per batch by a median heuristic"
    data_dependent = True

    def bind(self, x, y) -> Kernel:
        return BatchRBF(latent_dim=self.latent_dim, sigma2=median_bandwidth(x.detach(), y.detach()))

    def value_and_slope(self, sq_dist):
        raise ValueError("the waerbf kernel is set from each batch: bind it to the batch first (Kernel.bind)")

    def theorem2_bound(self):
        return None, "RBF bandwidth set from each batch (median heuristic): not a kernel fixed before the data"

    @classmethod
    def theorem1_role(cls, params):
        return CAN_STALL  # one Gaussian scale: the paper's kernel with spurious minima


@dataclass(frozen=True, kw_only=True)
class BatchRBF(Kernel):
    """exp(-d^2 / (2 sigma2)) with this batch's sigma2 (..., 1, 1); not registered."""

    sigma2: object

    def value_and_slope(self, sq_dist):
        width = 2.0 * self.sigma2
        value = (-sq_dist / width).exp()
        return value, -value / width
