"""The Coulomb GAN (Unterthiner et al. 2018): a generator with the decoder's
shape and a discriminator that learns the potential field between real and
generated samples; the experiment's kernel is the potential's. Settings and
sources: `../shared/notes/related-models.md`, section 1; the step is
`couae.core.coulomb_gan`."""

from __future__ import annotations

from . import ModelType, Parameter

POSITIVE = {"type": "number", "exclusiveMinimum": 0}


class CoulombGAN(ModelType):
    name = "coulombgan"
    summary = "Coulomb GAN: generator and potential-field discriminator, the kernel inside the potential"
    parameters = {
        "discriminator_lr": Parameter(
            {"type": ["number", "null"], "exclusiveMinimum": 0}, "the discriminator's Adam lr; null: the training lr"
        ),
        "discriminator_width": Parameter(POSITIVE, "its width over the generator's (the authors' CelebA code: 2)"),
    }
    uses_kernel = True
    reconstructs = False

    def resolve(self, params, training):
        lr = params["discriminator_lr"]
        return {**params, "discriminator_lr": float(training["lr"] if lr is None else lr)}

    def build_step(self, networks):
        from ..core.coulomb_gan import CoulombGANStep
        from ..kernels import make_kernel

        s, p = networks.settings, networks.settings.model_params
        generator, discriminator = networks.generator_and_discriminator(p["discriminator_width"])
        betas = tuple(s.adam_betas)
        return CoulombGANStep(
            generator,
            discriminator,
            make_kernel(s.kernel, networks.data_dim, **s.kernel_params),
            networks.adam(generator.parameters(), s.lr, betas),
            networks.adam(discriminator.parameters(), p["discriminator_lr"], betas),
            s.latent_dim,
        )
