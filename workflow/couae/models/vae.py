"""The VAE baseline: a Gaussian encoder (mean and log-variance), the same
decoder, recon + kl_weight * KL(q(z|x) || N(0, I))."""

from __future__ import annotations

from . import ModelType, Parameter


class VAE(ModelType):
    name = "vae"
    summary = "VAE: Gaussian encoder (mean and log-variance), analytic KL to N(0, I)"
    parameters = {
        "kl_weight": Parameter({"type": "number", "minimum": 0}, "weight of the KL term (1: the plain ELBO)"),
    }
    takes_encoder_noise = True
    takes_pretraining = True

    def encoder_outputs(self, latent_dim: int) -> int:
        return 2 * latent_dim  # mean and log-variance

    def encode_mean(self, encoder_out):
        return encoder_out.chunk(2, dim=-1)[0]

    def build_step(self, networks):
        from ..core.objectives import VAEObjective
        from ..core.training import AutoencoderStep

        s = networks.settings
        objective = VAEObjective(kl_weight=s.model_params["kl_weight"], recon_weight=s.recon_weight)
        encoder, decoder = networks.autoencoder(self.encoder_outputs(s.latent_dim))
        return AutoencoderStep.build(networks, encoder, decoder, objective)
