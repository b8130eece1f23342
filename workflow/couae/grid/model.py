"""Grid autoencoders assembled from a job's settings: build, train, generate,
save per seed and load back.

`settings` is the `couae.settings.GridTraining` of one (experiment, width)
job; its fingerprint marks the checkpoints, so a checkpoint is only resumed by
the settings that made it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from ..core.coulomb_gan import CoulombGANStep
from ..core.kernels import make_kernel
from ..core.learned_kernel import LEARNED, build_learned_step
from ..core.objectives import make_objective, squared_error
from ..core.seeding import torch_generator
from ..core.stacked_mlp import StackedMLP, layer_sizes, plain_mlp
from ..core.training import AutoencoderStep, BatchSampler, TrainingRun, snapshot
from ..runtime.loading import load_torch
from ..settings import ForeignFileError, GridTraining

DATA_DIM = 2


def network_sizes(settings: GridTraining, objective) -> tuple[list[int], list[int]]:
    h = settings.latent_dim
    args = (settings.hidden, settings.n_hidden, settings.width)
    encoder = layer_sizes(DATA_DIM, *args, objective.latent_outputs(h))
    decoder = layer_sizes(h, *args, DATA_DIM)
    return encoder, decoder


def _build_gan_run(settings: GridTraining, train_data: np.ndarray, device, seeds, dtype) -> TrainingRun:
    """A Coulomb GAN: the decoder's shape as generator, the encoder's trunk
    with one output as discriminator, an Adam optimiser each."""
    h = settings.latent_dim
    args = (settings.hidden, settings.n_hidden, settings.width)
    generator = StackedMLP(layer_sizes(h, *args, DATA_DIM), [torch_generator(s, "init/generator") for s in seeds])
    d_width = settings.width * settings.discriminator_width
    discriminator = StackedMLP(
        layer_sizes(DATA_DIM, settings.hidden, settings.n_hidden, d_width, 1),
        [torch_generator(s, "init/discriminator") for s in seeds],
    )
    generator, discriminator = generator.to(device, dtype), discriminator.to(device, dtype)
    betas = tuple(settings.adam_betas)
    step = CoulombGANStep(
        generator,
        discriminator,
        make_kernel(settings.kernel, h, **settings.kernel_params),
        torch.optim.Adam(generator.parameters(), lr=settings.lr, betas=betas, fused=True),
        torch.optim.Adam(discriminator.parameters(), lr=settings.discriminator_lr, betas=betas, fused=True),
        h,
    )
    sampler = BatchSampler(seeds, len(train_data), settings.batch_size, step.gaussian_draws())
    return TrainingRun(step, sampler, torch.as_tensor(train_data, dtype=dtype, device=device))


def sampling_network(step):
    """The network that maps prior codes to data: the decoder, or the GAN's generator."""
    return step.generator if isinstance(step, CoulombGANStep) else step.decoder


def build_run(
    settings: GridTraining, train_data: np.ndarray, device="cpu", seeds=None, stacked=True, dtype=torch.float32
) -> TrainingRun:
    """A fresh run for `seeds` (default: all of the settings' seeds).

    stacked=True trains all seeds in one StackedMLP pair; stacked=False builds
    the plain nn.Sequential networks of a single seed (the reference layout).
    dtype float64 is for tests that compare layouts without float32 rounding.
    """
    seeds = list(settings.seeds if seeds is None else seeds)
    if settings.model == "coulombgan":
        if not stacked:
            raise ValueError("the Coulomb GAN trains in the stacked layout only")
        return _build_gan_run(settings, train_data, device, seeds, dtype)
    objective = make_objective(settings)
    enc_sizes, dec_sizes = network_sizes(settings, objective)
    if stacked:
        encoder = StackedMLP(enc_sizes, [torch_generator(s, "init/encoder") for s in seeds])
        decoder = StackedMLP(dec_sizes, [torch_generator(s, "init/decoder") for s in seeds])
    else:
        if len(seeds) != 1:
            raise ValueError("the plain layout holds exactly one seed")
        encoder = plain_mlp(enc_sizes, torch_generator(seeds[0], "init/encoder"))
        decoder = plain_mlp(dec_sizes, torch_generator(seeds[0], "init/decoder"))
    encoder, decoder = encoder.to(device, dtype), decoder.to(device, dtype)
    if settings.kernel == LEARNED:  # the kernel's networks ascend the MMD with their own Adam
        step = build_learned_step(encoder, decoder, settings, seeds, device, fused=True)
    else:
        params = list(encoder.parameters()) + list(decoder.parameters())
        # fused: one kernel for all parameters (same maths as the per-tensor loop)
        optimizer = torch.optim.Adam(params, lr=settings.lr, betas=tuple(settings.adam_betas), fused=True)
        step = AutoencoderStep(encoder, decoder, objective, optimizer, settings.latent_dim)
    sampler = BatchSampler(seeds, len(train_data), settings.batch_size, step.gaussian_draws())
    data = torch.as_tensor(train_data, dtype=dtype, device=device)
    return TrainingRun(step, sampler, data)


@torch.no_grad()
def generate(run: TrainingRun, n: int) -> np.ndarray:
    """n samples per seed, decoded from N(0, I) draws of each seed's 'generate'
    stream: (n_seeds, n, 2)."""
    h = run.step_fn.latent_dim
    device = run.data.device
    z = torch.stack([torch.randn(n, h, generator=torch_generator(s, "generate")) for s in run.sampler.seeds])
    return sampling_network(run.step_fn)(z.to(device)).cpu().numpy().astype(np.float64)


def loss_history_frame(run: TrainingRun, seed_index: int) -> pd.DataFrame:
    hist = run.history_array()[:, seed_index, :]
    frame = pd.DataFrame(hist, columns=list(run.step_fn.term_names))
    frame.insert(0, "step", run.history_steps)
    return frame


def seed_weights(run: TrainingRun, seed_index: int, settings: GridTraining) -> dict:
    """One seed's trained networks in plain nn.Sequential layout, with the
    settings needed to rebuild them (`load_autoencoder` for an autoencoder)."""
    return {
        "seed": run.sampler.seeds[seed_index],
        "settings": settings.to_dict(),
        **_plain_networks(run, seed_index),
    }


def _plain_networks(run: TrainingRun, seed_index: int) -> dict:
    """Every network of a run (encoder and decoder; generator and discriminator), one seed's weights."""
    return {name: net.plain_state_dict(seed_index) for name, net in run.step_fn.networks().items()}


def snapshots(run: TrainingRun, settings: GridTraining) -> dict:
    """The networks kept during training (`run.snapshots`), for the
    convergence evaluation: per step, every seed's plain weights and its
    generated samples, made exactly as `generate` makes the final ones.
    Leaves the run's networks as they were."""
    networks = run.step_fn.networks()
    final = snapshot(run)
    steps, weights, samples = [], [], []
    try:
        for step, state in sorted(run.snapshots.items()):
            for name, net in networks.items():
                net.load_state_dict(state[name])
            steps.append(step)
            weights.append([_plain_networks(run, k) for k in range(len(run.sampler.seeds))])
            samples.append(torch.as_tensor(generate(run, settings.n_generated), dtype=torch.float32))
    finally:
        for name, net in networks.items():
            net.load_state_dict(final[name])
    shape = (0, len(run.sampler.seeds), settings.n_generated, DATA_DIM)
    return {
        "settings": settings.to_dict(),
        "steps": steps,
        "seeds": list(run.sampler.seeds),
        "weights": weights,  # [step][seed] -> network name -> its nn.Sequential layout
        "samples": torch.stack(samples) if samples else torch.zeros(shape),  # (steps, seeds, n, 2), float32
    }


def load_weights(path, settings: GridTraining, seed: int) -> dict:
    """A `seed_weights` file of this job (`settings`, `seed`), loaded without
    running any code it might hold; another job's weights are refused."""
    weights = load_torch(path, "grid weights")
    settings.check_made(weights["settings"], weights["seed"], path)
    if weights["seed"] != seed:
        raise ForeignFileError(
            f"{path} holds seed {weights['seed']}, not seed {seed}: delete it and re-run to regenerate it"
        )
    return weights


def load_autoencoder(weights: dict):
    """(encode_mean, decode) functions on (n, 2) / (n, h) float tensors."""
    settings = GridTraining.from_dict(weights["settings"])
    objective = make_objective(settings)
    enc_sizes, dec_sizes = network_sizes(settings, objective)
    encoder, decoder = plain_mlp(enc_sizes), plain_mlp(dec_sizes)
    encoder.load_state_dict(weights["encoder"])
    decoder.load_state_dict(weights["decoder"])
    encoder.eval(), decoder.eval()
    return (lambda x: objective.encode_mean(encoder(x))), decoder


@torch.no_grad()
def errors_and_codes(autoencoder, x: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-point ||x - g(f(x))||^2 and the code f(x) of a `load_autoencoder`
    pair, with the encoder's mean (deterministic) code, both float64: (n,), (n, h)."""
    encode, decode = autoencoder
    xt = torch.as_tensor(x, dtype=torch.float32)
    codes = encode(xt)
    return squared_error(xt[None], decode(codes)[None])[0].double(), codes.double()


def reconstruction_errors(weights: dict, x: np.ndarray) -> np.ndarray:
    """Per-point ||x - g(f(x))||^2 with the encoder's mean (deterministic) code."""
    return errors_and_codes(load_autoencoder(weights), x)[0].numpy()
