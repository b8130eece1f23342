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

from ..core.accelerate import accelerated
from ..core.objectives import squared_error
from ..core.seeding import stream_seed, torch_generator
from ..core.training import BatchSampler, TrainingRun
from ..models import model_type
from ..runtime.loading import load_torch
from . import networks as dcgan
from .arrays import to_model_range, to_uint8
from .settings import CelebATraining

# an image's values: the dimension of the space the GAN's potential lives in
IMAGE_VALUES = 3 * dcgan.IMAGE_SIZE**2
# bfloat16 only: float16 would need a gradient scaler against underflow
AUTOCAST_DTYPES = {"none": None, "bf16": torch.bfloat16}


def build_networks(settings: CelebATraining, encoder_outputs: int):
    """Fresh (encoder, decoder), initialised from the seed's own streams."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(stream_seed(settings.seed, "init/networks"))
        return dcgan.build(settings.channels, settings.width, settings.latent_dim, encoder_outputs, settings.init)


def build_gan_networks(settings: CelebATraining, latent_dim: int, discriminator_width: float):
    """Fresh (generator, discriminator), from the seed's own stream."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(stream_seed(settings.seed, "init/networks"))
        return dcgan.build_gan(settings.channels, settings.width, latent_dim, discriminator_width, settings.init)


def _on_device(net, device):
    # channels_last lets cuDNN pick its fastest convolution kernels
    memory_format = torch.channels_last if torch.device(device).type == "cuda" else torch.preserve_format
    return dcgan.SeedAxis(net).to(device, memory_format=memory_format)


class ImageNetworks:
    """CelebA's networks for a model type's step (`couae.models.Networks`):
    WAE's DCGAN encoder and decoder (or a generator and a discriminator) on
    the training device, one seed per job; fused Adam and autocast on CUDA."""

    data_dim = IMAGE_VALUES

    def __init__(self, settings: CelebATraining, device):
        self.settings, self.seeds, self.device = settings, list(settings.seeds), device
        self.fused = torch.device(device).type == "cuda"
        self.autocast = AUTOCAST_DTYPES[settings.mixed_precision] if self.fused else None

    def length_scale(self, kind: str) -> float:
        return 1.0  # pixel values in [-1, 1]: no modes to measure by

    def autoencoder(self, encoder_outputs: int):
        return tuple(_on_device(net, self.device) for net in build_networks(self.settings, encoder_outputs))

    def generator_and_discriminator(self, latent_dim, discriminator_width, discriminator_hidden, activation):
        """The DCGAN decoder and encoder (with one output) as generator and discriminator."""
        if discriminator_hidden is not None or activation != "relu":
            raise ValueError(
                f"{self.settings.experiment}: the image discriminator is the DCGAN encoder (discriminator_hidden "
                "null, discriminator_activation relu); an MLP's units and activation do not apply"
            )
        nets = build_gan_networks(self.settings, latent_dim, discriminator_width)
        return tuple(_on_device(net, self.device) for net in nets)

    def adam(self, params, lr: float, betas):
        return torch.optim.Adam(params, lr=lr, betas=tuple(betas), fused=self.fused)

    def input_noise(self):
        """WAE's truncated-normal noise on the encoder's input, from the seed's own stream (on the device)."""
        if not self.settings.encoder_noise:
            return 0.0, []
        gen = torch.Generator(device=self.device)
        gen.manual_seed(stream_seed(self.settings.seed, "train/input-noise"))
        return self.settings.encoder_noise, [gen]


def build_run(
    settings: CelebATraining, train_images: np.ndarray, device="cpu", compile_mode="eager", backend="inductor"
) -> TrainingRun:
    """A fresh run of one image job. compile_mode as the grid's
    (couae.core.accelerate); auto compiles on CUDA without a CUDA graph (an
    image step is arithmetic-bound: fusing the convolutions' epilogues and
    batch norm is what pays) and stays eager on the CPU (stand-in images only,
    where compiling would cost more than the job)."""
    spec = model_type(settings.model)
    if settings.encoder_noise and not spec.takes_encoder_noise:
        raise ValueError(f"{settings.experiment}: encoder_noise is not offered with the {spec.name} model type")
    step = accelerated(
        spec.build_step(ImageNetworks(settings, device)),
        compile_mode,
        device,
        False,
        False,
        backend,
        settings.iterations,
    )
    sampler = BatchSampler(settings.seeds, len(train_images), settings.batch_size, step.gaussian_draws())
    data = torch.as_tensor(np.ascontiguousarray(train_images), device=device)
    return TrainingRun(step, sampler, data, prepare=to_model_range)


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
    encoder, spec = run.step_fn.encoder, model_type(settings.model)
    gen = torch_generator(settings.seed, "pretrain")
    optimizer = torch.optim.Adam(encoder.parameters(), lr=settings.lr, betas=tuple(settings.adam_betas))
    batch = min(settings.pretrain_batch, len(run.data))
    losses = []
    for _ in range(settings.pretrain_steps):
        idx = torch.randperm(len(run.data), generator=gen)[:batch].to(run.data.device)
        prior = torch.randn(batch, settings.latent_dim, generator=gen).to(run.data.device)
        codes = spec.encode_mean(encoder(run.prepare(run.data[idx])[None]))[0].float()
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
    measure = getattr(run.step_fn, "diagnostics", None)  # what a step measures of itself (model type's caveats)
    saved = {"settings": settings.to_dict(), "diagnostics": measure()[0] if measure else {}}
    for name, net in run.step_fn.networks().items():
        saved[name] = net.plain_state_dict(0)  # one seed: a SeedAxis's network, or stack 0 of a stacked one
    return saved


class Autoencoder:
    """A trained image autoencoder in evaluation mode (batch-norm running
    statistics); for a Coulomb GAN, its generator as the decoder and no
    encoder (`reconstructs` is False)."""

    def __init__(self, saved: dict, device="cpu"):
        self.settings = CelebATraining.from_dict(saved["settings"])
        self.device = torch.device(device)
        self.spec = model_type(self.settings.model)
        self.caveats = self.spec.caveats(saved.get("diagnostics", {}))  # the trained seed's own (a blind kernel)
        self.reconstructs = self.spec.reconstructs
        if self.reconstructs:
            outputs = self.spec.encoder_outputs(self.settings.latent_dim)
            self.encoder, self.decoder = build_networks(self.settings, outputs)
            self.encoder.load_state_dict(saved["encoder"])
            self.encoder.to(self.device).eval()
        else:  # a generator and a discriminator: the generator has the decoder's shape
            channels = dcgan.scaled_channels(self.settings.channels, self.settings.width)
            self.encoder, self.decoder = None, dcgan.Decoder(channels, self.spec.generator_latent(self.settings))
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
        z = torch.randn(n, self.spec.generator_latent(self.settings), generator=gen)
        out = [to_uint8(self.decoder(z[i : i + batch_size].to(self.device))).cpu() for i in range(0, n, batch_size)]
        return torch.cat(out).numpy()

    def _reconstructed_batches(self, images_uint8: np.ndarray, batch_size: int):
        """(x, f(x), g(f(x))) per batch in the model's [-1, 1] range, with the encoder's mean code."""
        for i in range(0, len(images_uint8), batch_size):
            # np.array copies: a read-only memory-mapped split cannot back a tensor
            x = to_model_range(torch.as_tensor(np.array(images_uint8[i : i + batch_size])).to(self.device))
            codes = self.spec.encode_mean(self.encoder(x))
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
