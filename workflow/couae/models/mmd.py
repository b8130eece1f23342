"""The MMD autoencoder of eq. (2): a deterministic encoder, recon + lambda *
MMD^2(f(x), z ~ N(0, I)) under a fixed kernel. WAE (IMQ kernel) and CouAE
(Coulomb kernel) are this model with different kernels."""

from __future__ import annotations

from . import ModelType


class MMDAutoencoder(ModelType):
    name = "mmd"
    summary = "MMD autoencoder: deterministic encoder, recon + lambda MMD^2 to N(0, I) (eq. 2)"
    uses_kernel = True
    pair_matrices = 2  # the kernel's slopes on code-code and code-prior pairs, kept for the gradient
    takes_batch_kernel = True
    uses_lambda = True
    takes_encoder_noise = True
    takes_pretraining = True

    def theorem2_failure(self, settings) -> str | None:
        return None  # eq. (2) with a kernel fixed before the data: the kernel's own assumptions decide

    def build_step(self, networks):
        from ..core.objectives import MMDObjective
        from ..core.training import AutoencoderStep
        from ..kernels import make_kernel

        s = networks.settings
        kernel = make_kernel(s.kernel, s.latent_dim, **s.kernel_params)
        objective = MMDObjective(kernel=kernel, lam=s.lam, recon_weight=s.recon_weight)
        encoder, decoder = networks.autoencoder(self.encoder_outputs(s.latent_dim))
        return AutoencoderStep.build(networks, encoder, decoder, objective)
