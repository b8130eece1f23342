"""The Coulomb GAN (Unterthiner et al. 2018): a generator with the decoder's
shape and a discriminator that learns the potential field between real and
generated samples; the experiment's kernel is the potential's. Settings and
sources: `../shared/notes/related-models.md`, section 1; the step is
`couae.core.coulomb_gan`.

The GAN paper stresses that the discriminator must learn faster than the
generator (two time-scales), decays both the learning rate and the kernel's
eps over training, and ran its grid with eps 3 on unit-variance modes
spaced 10.5 apart: its parameters say each of these, and `kernel_scale` reads
the kernel's eps in units of one of the data's length scales (the grid's mode
spacing or the modes' standard deviation), so one setting means the same on
grids of any size. The two differ where the grids' spacing-to-std ratios do
(10.5 on the cited grid, 40 on the narrow one).
"""

from __future__ import annotations

from . import ModelType, Parameter

POSITIVE = {"type": "number", "exclusiveMinimum": 0}
LR = {"type": ["number", "null"], "exclusiveMinimum": 0}


class CoulombGAN(ModelType):
    name = "coulombgan"
    summary = "Coulomb GAN: generator and potential-field discriminator, the kernel inside the potential"
    parameters = {
        "generator_lr": Parameter(LR, "the generator's Adam lr; null: the training lr"),
        "discriminator_lr": Parameter(LR, "the discriminator's Adam lr; null: the training lr"),
        "decay": Parameter(
            {"type": ["number", "null"], "exclusiveMinimum": 0, "maximum": 1},
            "both lrs and the kernel's eps reach this factor at the end, geometrically (the GAN paper decays "
            "them; its rate is not given); null: constant",
        ),
        "decay_steps": Parameter(
            {"type": ["integer", "null"], "minimum": 1},
            "the steps over which the lrs and eps reach `decay` (the GAN paper's grid: 1,000,000); null: the run's "
            "iterations",
        ),
        "self_pairs": Parameter(
            {"enum": ["keep", "leave_out"]},
            "the potential's targets with each point's pair with itself (the authors' code: keep, which adds "
            "k(0) / N to a real point's target) or without it (leave_out)",
        ),
        "kernel_scale": Parameter(
            {"enum": ["absolute", "spacing", "std"]},
            "the kernel's eps as given, or in units of the data's mode spacing or its modes' standard deviation "
            "(both 1 on images in [-1, 1])",
        ),
        "discriminator_width": Parameter(POSITIVE, "its width over the generator's (the authors' CelebA code: 2)"),
        "discriminator_hidden": Parameter(
            {"type": ["integer", "null"], "minimum": 1},
            "units per hidden layer of an MLP discriminator (the GAN paper's grid: 128, whatever the width); "
            "null: the encoder's at this width times discriminator_width",
        ),
        "discriminator_activation": Parameter(
            {"enum": ["relu", "elu"]}, "an MLP discriminator's activation (the GAN paper's grid: ELU)"
        ),
        "generator_latent": Parameter(
            {"type": ["integer", "null"], "minimum": 1},
            "the generator's input dimension (the GAN paper's CelebA: 32); null: the data set's latent size",
        ),
    }
    uses_kernel = True
    pair_matrices = 2  # the potential's generated-generated and generated-real pairs, for the generator's gradient
    reconstructs = False

    def resolve(self, params, training):
        out = dict(params)
        for key in ("generator_lr", "discriminator_lr"):
            out[key] = float(training["lr"] if params[key] is None else params[key])
        return out

    def data_scales(self, params) -> tuple[str, ...]:
        return () if params["kernel_scale"] == "absolute" else (params["kernel_scale"],)

    def generator_latent(self, settings) -> int:
        """The dimension of the prior draws its generator maps to data."""
        return settings.model_params["generator_latent"] or settings.latent_dim

    def build_step(self, networks):
        import dataclasses

        from ..core.coulomb_gan import CoulombGANStep
        from ..kernels import make_kernel

        s, p = networks.settings, networks.settings.model_params
        latent = self.generator_latent(s)
        generator, discriminator = networks.generator_and_discriminator(
            latent, p["discriminator_width"], p["discriminator_hidden"], p["discriminator_activation"]
        )
        kernel = make_kernel(s.kernel, networks.data_dim, **s.kernel_params)
        if p["kernel_scale"] != "absolute":
            if not hasattr(kernel, "eps"):
                raise ValueError(
                    f"{s.experiment}: kernel_scale {p['kernel_scale']} needs a kernel with an eps ({s.kernel} has none)"
                )
            kernel = dataclasses.replace(kernel, eps=kernel.eps * networks.length_scale(p["kernel_scale"]))
        betas = tuple(s.adam_betas)
        return CoulombGANStep(
            generator,
            discriminator,
            kernel,
            networks.adam(generator.parameters(), p["generator_lr"], betas),
            networks.adam(discriminator.parameters(), p["discriminator_lr"], betas),
            latent,
            decay=p["decay"],
            iterations=p["decay_steps"] or s.iterations,
            leave_out=p["self_pairs"] == "leave_out",
        )
