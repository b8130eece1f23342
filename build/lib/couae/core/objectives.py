"""Training objectives: the MMD autoencoder (WAE / CouAE) and the VAE, and the
reconstruction error they share, with its largest value xi (Theorem 2). The
model types (`couae.models`) build them from a job's settings.

Both objectives map a batch of inputs x (S, B, ...) to per-seed loss terms
(S, 3): total loss, reconstruction term, regulariser (MMD^2 or KL). The
reconstruction cost is `recon_weight * sum of squared errors per sample`,
averaged over the batch (weight 1 on the grid: mean ||x - g(f(x))||^2; 0.05 on
images, as in WAE).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from .mmd import mmd2_unbiased

TERM_NAMES = ("loss", "recon", "regulariser")


def squared_error(x: torch.Tensor, x_rec: torch.Tensor) -> torch.Tensor:
    """Per-sample sum of squared errors over all non-batch dims: (S, B, ...) -> (S, B).

    Summed in at least float32, also when the decoder ran in half precision."""
    return _at_least_float32(x - x_rec).pow(2).flatten(2).sum(-1)


def _at_least_float32(t: torch.Tensor) -> torch.Tensor:
    # Under autocast linear layers return half precision; the MMD's kernel sums
    # (the Coulomb kernel is steep near 0) and the KL are kept in float32.
    return t.float() if t.dtype in (torch.float16, torch.bfloat16) else t


def reconstruction_summary(errors: dict[str, np.ndarray]) -> dict[str, float]:
    """Per split the mean and largest per-sample error (`squared_error`); xi,
    Theorem 2's largest reconstruction error over all the given splits (the
    training and validation data); and recon_mean, the mean error over all of
    them (the paper's Section 4.2 reading of xi). The one place both are defined."""
    out = {}
    for split, values in errors.items():
        out[f"recon_{split}_mean"] = float(np.mean(values))
        out[f"recon_{split}_max"] = float(np.max(values))
    out["xi"] = max(out[f"recon_{split}_max"] for split in errors)
    out["recon_mean"] = float(np.mean(np.concatenate([np.ravel(v) for v in errors.values()])))
    return out


@dataclass
class MMDObjective:
    """recon + lambda * MMD^2(f(x), z ~ prior), eq. (2) of the paper."""

    kernel: object
    lam: float
    recon_weight: float
    estimator: Callable = mmd2_unbiased  # (kernel, z, z_prior) -> MMD^2 per seed
    needs_noise = False

    def latent_outputs(self, latent_dim: int) -> int:
        return latent_dim

    def encode_mean(self, encoder_out: torch.Tensor) -> torch.Tensor:
        return encoder_out

    def terms(self, encoder, decoder, x, z_prior, noise=None) -> torch.Tensor:
        z = encoder(x)
        recon = self.recon_weight * squared_error(x, decoder(z)).mean(-1)
        z = _at_least_float32(z)
        reg = self.estimator(self.kernel, z, z_prior.to(z.dtype))
        return torch.stack([recon + self.lam * reg, recon, reg], dim=-1)


@dataclass
class VAEObjective:
    """recon + kl_weight * KL(q(z|x) || N(0, I)) with a Gaussian encoder.

    The encoder outputs mean and log-variance; z is drawn by reparameterisation.
    """

    kl_weight: float
    recon_weight: float
    needs_noise = True

    def latent_outputs(self, latent_dim: int) -> int:
        return 2 * latent_dim

    def encode_mean(self, encoder_out: torch.Tensor) -> torch.Tensor:
        return encoder_out.chunk(2, dim=-1)[0]

    def terms(self, encoder, decoder, x, z_prior, noise) -> torch.Tensor:
        mean, log_var = _at_least_float32(encoder(x)).chunk(2, dim=-1)
        z = mean + torch.exp(0.5 * log_var) * noise
        recon = self.recon_weight * squared_error(x, decoder(z)).mean(-1)
        kl = 0.5 * (mean.pow(2) + log_var.exp() - 1.0 - log_var).sum(-1).mean(-1)
        return torch.stack([recon + self.kl_weight * kl, recon, kl], dim=-1)
