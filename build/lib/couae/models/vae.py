"""The VAE baseline: a Gaussian encoder (mean and log-variance), the same
decoder, recon + kl_weight * KL(q(z|x) || N(0, I))."""

from __future__ import annotations

from . import ModelType, Parameter


class VAE(ModelType):
    name = "vae"
    summary = "VAE: Gaussian encoder (mean and log-variance), analytic KL to N(0, I)"
    parameters = {
        "kl_weight": Parameter({"type": "number", "minimum": 0}, "weight of the KL term (1: the plain ELBO)"),
        # The paper never states the VAE's likelihood. A squared error of weight w is the negative
        # log-likelihood of a Gaussian decoder of variance 1 / (2 w), up to a constant.
        "decoder_variance": Parameter(
            {"type": ["number", "null"], "exclusiveMinimum": 0},
            "the Gaussian decoder's variance sigma^2: the squared error weighs 1 / (2 sigma^2); null: the data "
            "set's reconstruction weight",
        ),
    }
    takes_encoder_noise = True
    takes_pretraining = True

    def encoder_outputs(self, latent_dim: int) -> int:
        return 2 * latent_dim  # mean and log-variance

    def encode_mean(self, encoder_out):
        return encoder_out.chunk(2, dim=-1)[0]

    @staticmethod
    def recon_weight(params, data_weight: float) -> float:
        """The squared error's weight: 1 / (2 sigma^2) of the decoder's variance, or the data set's."""
        variance = params["decoder_variance"]
        return data_weight if variance is None else 1.0 / (2.0 * variance)

    def note(self, params, data_weight: float) -> str:
        weight = self.recon_weight(params, data_weight)
        return (
            f"a Gaussian decoder of variance {1 / (2 * weight):g} (squared error weighted {weight:g}), "
            f"KL weight {params['kl_weight']:g}"
        )

    def build_step(self, networks):
        from ..core.objectives import VAEObjective
        from ..core.training import AutoencoderStep

        s = networks.settings
        weight = self.recon_weight(s.model_params, s.recon_weight)
        objective = VAEObjective(kl_weight=s.model_params["kl_weight"], recon_weight=weight)
        encoder, decoder = networks.autoencoder(self.encoder_outputs(s.latent_dim))
        return AutoencoderStep.build(networks, encoder, decoder, objective)
