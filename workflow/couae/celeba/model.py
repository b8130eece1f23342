"""Image autoencoders (CelebA or its stand-in) from a job's settings: build,
train with the shared loop, generate, reconstruct, save and load.

`settings` is the `couae.settings.CelebATraining` of one (experiment, width,
seed) job. The training data stay uint8 on the training device (2 GB for
CelebA's training split) and are indexed there, so no loader process stands
between the GPU and its next batch.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from ..core.coulomb_gan import CoulombGANStep
from ..core.kernels import make_kernel
from ..core.learned_kernel import LEARNED, build_learned_step
from ..core.objectives import make_objective, squared_error
from ..core.seeding import stream_seed, torch_generator
from ..core.training import AutoencoderStep, BatchSampler, TrainingRun
from ..runtime.loading import load_torch
from ..settings import CelebATraining
from . import networks as dcgan
from .arrays import to_model_range, to_uint8

# an image's values: the dimension of the space the GAN's potential lives in
IMAGE_VALUES = 3 * dcgan.IMAGE_SIZE**2
# bfloat16 only: float16 would need a gradient scaler against underflow
AUTOCAST_DTYPES = {"none": None, "bf16": torch.bfloat16}


def build_networks(settings: CelebATraining, objective=None):
    """Fresh (encoder, decoder), initialised from the seed's own streams."""
    objective = objective or make_objective(settings)
    h = settings.latent_dim
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(stream_seed(settings.seed, "init/networks"))
        return dcgan.build(settings.channels, settings.width, h, objective.latent_outputs(h), settings.init)


def build_gan_networks(settings: CelebATraining):
    """Fresh (generator, discriminator) of a Coulomb GAN, from the seed's own stream."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(stream_seed(settings.seed, "init/networks"))
        return dcgan.build_gan(
            settings.channels, settings.width, settings.latent_dim, settings.discriminator_width, settings.init
        )


def _on_device(net, device):
    # channels_last lets cuDNN pick its fastest convolution kernels
    memory_format = torch.channels_last if torch.device(device).type == "cuda" else torch.preserve_format
    return dcgan.SeedAxis(net).to(device, memory_format=memory_format)


def _gan_step(settings: CelebATraining, device) -> CoulombGANStep:
    """The Coulomb GAN on images (float32: no autocast), an Adam each as on the grid."""
    generator, discriminator = (_on_device(net, device) for net in build_gan_networks(settings))
    betas, fused = tuple(settings.adam_betas), torch.device(device).type == "cuda"
    return CoulombGANStep(
        generator,
        discriminator,
        make_kernel(settings.kernel, IMAGE_VALUES, **settings.kernel_params),
        torch.optim.Adam(generator.parameters(), lr=settings.lr, betas=betas, fused=fused),
        torch.optim.Adam(discriminator.parameters(), lr=settings.discriminator_lr, betas=betas, fused=fused),
        settings.latent_dim,
    )


def build_run(settings: CelebATraining, train_images: np.ndarray, device="cpu") -> TrainingRun:
    on_cuda = torch.device(device).type == "cuda"
    autocast = AUTOCAST_DTYPES[settings.mixed_precision] if on_cuda else None
    if settings.model == "coulombgan":
        step = _gan_step(settings, device)
    else:
        objective = make_objective(settings)
        encoder, decoder = (_on_device(net, device) for net in build_networks(settings, objective))
        if settings.kernel == LEARNED:  # the kernel's networks ascend the MMD with their own Adam
            if settings.encoder_noise:
                raise ValueError(f"{settings.experiment}: encoder_noise is not offered with the learned kernel")
            step = build_learned_step(encoder, decoder, settings, settings.seeds, device, autocast, fused=on_cuda)
        else:
            step = _autoencoder_step(settings, encoder, decoder, objective, device, autocast)
    sampler = BatchSampler(settings.seeds, len(train_images), settings.batch_size, step.gaussian_draws())
    data = torch.as_tensor(np.ascontiguousarray(train_images), device=device)
    return TrainingRun(step, sampler, data, prepare=to_model_range)


def _autoencoder_step(settings: CelebATraining, encoder, decoder, objective, device, autocast) -> AutoencoderStep:
    params = list(encoder.parameters()) + list(decoder.parameters())
    on_cuda = torch.device(device).type == "cuda"
    optimizer = torch.optim.Adam(params, lr=settings.lr, betas=tuple(settings.adam_betas), fused=on_cuda)
    noise = []
    if settings.encoder_noise:
        noise = [torch.Generator(device=device)]
        noise[0].manual_seed(stream_seed(settings.seed, "train/input-noise"))
    return AutoencoderStep(
        encoder,
        decoder,
        objective,
        optimizer,
        settings.latent_dim,
        autocast_dtype=autocast,
        input_noise=settings.encoder_noise,
        noise_generators=noise,
    )


# WAE's code stops pre-training once the moment-matching loss is below this.
PRETRAIN_TOLERANCE = 0.1


def moment_loss(codes: torch.Tensor, prior: torch.Tensor) -> torch.Tensor:
    """WAE's pre-training loss: mean squared difference of the codes' and the
    prior draws' means, plus that of their covariance matrices."""

    def moments(z):
        mean = z.mean(0, keepdim=True)
        return mean, (z - mean).T @ (z - mean) / (len(z) - 1)

    (mean_q, cov_q), (mean_p, cov_p) = moments(codes), moments(prior)
    return (mean_p - mean_q).square().mean() + (cov_p - cov_q).square().mean()


def pretrain_encoder(run: TrainingRun, settings: CelebATraining) -> list[float]:
    """WAE's code, before training: Adam steps (the training's lr and betas) on
    the encoder alone, fitting its codes' mean and covariance to the prior's,
    for up to settings.pretrain_steps steps of settings.pretrain_batch images
    and prior draws from the seed's 'pretrain' stream, stopping once the loss
    is below PRETRAIN_TOLERANCE. Returns the losses; a no-op at 0 steps."""
    if settings.pretrain_steps == 0:  # also every model without an encoder (the config refuses more)
        return []
    encoder, objective = run.step_fn.encoder, run.step_fn.objective
    gen = torch_generator(settings.seed, "pretrain")
    optimizer = torch.optim.Adam(encoder.parameters(), lr=settings.lr, betas=tuple(settings.adam_betas))
    batch = min(settings.pretrain_batch, len(run.data))
    losses = []
    for _ in range(settings.pretrain_steps):
        idx = torch.randperm(len(run.data), generator=gen)[:batch].to(run.data.device)
        prior = torch.randn(batch, settings.latent_dim, generator=gen).to(run.data.device)
        codes = objective.encode_mean(encoder(run.prepare(run.data[idx])[None]))[0].float()
        loss = moment_loss(codes, prior)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if losses[-1] < PRETRAIN_TOLERANCE:
            break
    return losses


def loss_history_frame(run: TrainingRun) -> pd.DataFrame:
    frame = pd.DataFrame(run.history_array()[:, 0, :], columns=list(run.step_fn.term_names))
    frame.insert(0, "step", run.history_steps)
    return frame


def weights(run: TrainingRun, settings: CelebATraining) -> dict:
    """Every trained network (encoder and decoder, with the learned kernel's;
    generator and discriminator) as a plain module's state dict, with the settings."""
    saved = {"settings": settings.to_dict()}
    for name, net in run.step_fn.networks().items():
        # image networks sit in a SeedAxis; the learned kernel stacks its one seed
        saved[name] = net.plain_state_dict(0) if name == "kernel" else net.net.state_dict()
    return saved


class Autoencoder:
    """A trained image autoencoder in evaluation mode (batch-norm running
    statistics); for a Coulomb GAN, its generator as the decoder and no
    encoder (`reconstructs` is False)."""

    def __init__(self, saved: dict, device="cpu"):
        self.settings = CelebATraining.from_dict(saved["settings"])
        self.device = torch.device(device)
        self.reconstructs = self.settings.model != "coulombgan"
        if self.reconstructs:
            self.objective = make_objective(self.settings)
            self.encoder, self.decoder = build_networks(self.settings, self.objective)
            self.encoder.load_state_dict(saved["encoder"])
            self.encoder.to(self.device).eval()
        else:
            self.objective = self.encoder = None
            self.decoder = build_gan_networks(self.settings)[0]
        self.decoder.load_state_dict(saved["decoder" if self.reconstructs else "generator"])
        self.decoder.to(self.device).eval()

    @classmethod
    def load(cls, path, settings: CelebATraining, device="cpu") -> Autoencoder:
        """From a `weights` file of the job `settings`, loaded without running
        any code it might hold; another job's weights are refused."""
        saved = load_torch(path, "image autoencoder weights")
        settings.check_made(saved["settings"], saved["settings"]["seed"], path)
        return cls(saved, device)

    @torch.no_grad()
    def generate(self, n: int, batch_size: int = 500) -> np.ndarray:
        """n images decoded from N(0, I) draws of the seed's 'generate' stream: (n, 3, 64, 64) uint8."""
        gen = torch_generator(self.settings.seed, "generate")
        z = torch.randn(n, self.settings.latent_dim, generator=gen)
        out = [to_uint8(self.decoder(z[i : i + batch_size].to(self.device))).cpu() for i in range(0, n, batch_size)]
        return torch.cat(out).numpy()

    def _reconstructed_batches(self, images_uint8: np.ndarray, batch_size: int):
        """(x, f(x), g(f(x))) per batch in the model's [-1, 1] range, with the encoder's mean code."""
        for i in range(0, len(images_uint8), batch_size):
            # np.array copies: a read-only memory-mapped split cannot back a tensor
            x = to_model_range(torch.as_tensor(np.array(images_uint8[i : i + batch_size])).to(self.device))
            codes = self.objective.encode_mean(self.encoder(x))
            yield x, codes, self.decoder(codes)

    @torch.no_grad()
    def reconstruct(self, images_uint8: np.ndarray, batch_size: int = 500) -> np.ndarray:
        """g(f(x)) with the encoder's mean code: uint8 in, uint8 out."""
        return torch.cat(
            [to_uint8(x_rec).cpu() for _, _, x_rec in self._reconstructed_batches(images_uint8, batch_size)]
        ).numpy()

    @torch.no_grad()
    def errors_and_codes(self, images_uint8: np.ndarray, batch_size: int = 500) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-image ||x - g(f(x))||^2 over all 3 x 64 x 64 values in [-1, 1], before
        rounding to uint8 and without the training's recon_weight (float64 on the
        CPU, shape (N,)), and the codes f(x) (float32 on the model's device, (N, h))."""
        errors, codes = [], []
        for x, z, x_rec in self._reconstructed_batches(images_uint8, batch_size):
            errors.append(squared_error(x[None], x_rec[None])[0].double().cpu())
            codes.append(z.float())
        return torch.cat(errors), torch.cat(codes)

    def reconstruction_errors(self, images_uint8: np.ndarray, batch_size: int = 500) -> np.ndarray:
        """The errors of `errors_and_codes` as a float64 array."""
        return self.errors_and_codes(images_uint8, batch_size)[0].numpy()
