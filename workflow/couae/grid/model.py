"""Grid autoencoders assembled from a job's settings: build, train, generate,
save per seed and load back.

`settings` is the `couae.settings.GridTraining` of one (experiment, width)
job; its fingerprint marks the checkpoints, so a checkpoint is only resumed by
the settings that made it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ..core.accelerate import accelerated
from ..core.objectives import squared_error
from ..core.seeding import torch_generator
from ..core.stacked_mlp import StackedMLP, layer_sizes, plain_mlp
from ..core.training import BatchSampler, TrainingRun, snapshot
from ..models import model_type
from ..runtime.atomic import save_dataframe_csv, save_numpy, save_torch
from ..runtime.loading import load_torch
from ..settings import ForeignFileError
from .data import Mixture, seed_train_split, source_of
from .settings import GridTraining

DATA_DIM = 2


def network_sizes(settings: GridTraining, encoder_outputs: int) -> tuple[list[int], list[int]]:
    args = (settings.hidden, settings.n_hidden, settings.width)
    encoder = layer_sizes(DATA_DIM, *args, encoder_outputs)
    decoder = layer_sizes(settings.latent_dim, *args, DATA_DIM)
    return encoder, decoder


class GridNetworks:
    """The grid's networks for a model type's step (`couae.models.Networks`):
    seed-stacked MLPs (or, for one seed, the plain nn.Sequential layout), each
    network initialised from its seed's own stream, fused Adam."""

    data_dim = DATA_DIM
    autocast = None
    fused = True  # one kernel for all parameters (same maths as the per-tensor loop)

    def __init__(self, settings: GridTraining, seeds, device, dtype, stacked: bool):
        if not stacked and len(seeds) != 1:
            raise ValueError("the plain layout holds exactly one seed")
        self.settings, self.seeds, self.device, self.dtype, self.stacked = settings, list(seeds), device, dtype, stacked

    def length_scale(self, kind: str) -> float:
        return source_of(self.settings.data).length_scale(kind)  # a mixture's: nearest centres' distance, modes' std

    def _mlp(self, sizes: list[int], stream: str, activation: str = "relu"):
        if self.stacked:
            net = StackedMLP(sizes, [torch_generator(s, stream) for s in self.seeds], activation)
        else:
            net = plain_mlp(sizes, torch_generator(self.seeds[0], stream), activation)
        return net.to(self.device, self.dtype)

    def autoencoder(self, encoder_outputs: int):
        enc_sizes, dec_sizes = network_sizes(self.settings, encoder_outputs)
        return self._mlp(enc_sizes, "init/encoder"), self._mlp(dec_sizes, "init/decoder")

    def generator_and_discriminator(self, latent_dim, discriminator_width, discriminator_hidden, activation):
        """The decoder's shape (from `latent_dim` inputs) as generator; as
        discriminator the encoder's trunk with one output, at width x
        discriminator_width, or of `discriminator_hidden` units per layer."""
        if not self.stacked:
            raise ValueError("a generator and discriminator train in the stacked layout only")
        s = self.settings
        generator = self._mlp(layer_sizes(latent_dim, s.hidden, s.n_hidden, s.width, DATA_DIM), "init/generator")
        if discriminator_hidden is None:
            d_sizes = layer_sizes(DATA_DIM, s.hidden, s.n_hidden, s.width * discriminator_width, 1)
        else:
            d_sizes = layer_sizes(DATA_DIM, discriminator_hidden, s.n_hidden, 1.0, 1)
        return generator, self._mlp(d_sizes, "init/discriminator", activation)

    def adam(self, params, lr: float, betas):
        return torch.optim.Adam(params, lr=lr, betas=tuple(betas), fused=self.fused)

    def input_noise(self):
        return 0.0, []


def build_run(
    settings: GridTraining,
    train_data: np.ndarray,
    device="cpu",
    seeds=None,
    stacked=True,
    dtype=torch.float32,
    compile_mode: str = "eager",
    backend: str = "inductor",
) -> TrainingRun:
    """A fresh run for `seeds` (default: all of the settings' seeds): the
    model type's step on the grid's networks.

    stacked=True trains all seeds in one StackedMLP per network; stacked=False
    builds the plain nn.Sequential networks of a single seed (the reference
    layout). dtype float64 is for tests that compare layouts without float32
    rounding. compile_mode says how the step runs (couae.core.accelerate:
    auto, eager, compiled, graphed; a grid step is launch-bound, so auto
    captures a CUDA graph where the step allows); `backend` is torch.compile's.
    """
    seeds = list(settings.seeds if seeds is None else seeds)
    step = settings.model_type.build_step(GridNetworks(settings, seeds, device, dtype, stacked))
    step = accelerated(step, compile_mode, device, graphs=True, backend=backend, steps=settings.iterations)
    points, per_seed = training_points(settings, train_data, seeds)
    sampler = BatchSampler(seeds, len(train_data), settings.batch_size, step.gaussian_draws(), per_seed)
    data = torch.as_tensor(points, dtype=dtype, device=device)
    return TrainingRun(step, sampler, data)


def seed_splits(settings: GridTraining, splits: dict, seed: int) -> dict:
    """The splits one seed trained and is evaluated on: `splits` (the data file's), with the seed's own
    training split where every seed draws one (grid.data.split_per_seed)."""
    if not settings.data.get("split_per_seed"):
        return splits
    mixture = Mixture.of(settings.data)
    return {**splits, "train": seed_train_split(mixture, settings.data["n_train"], settings.data["seed"], seed)}


def training_points(settings: GridTraining, train_data: np.ndarray, seeds) -> tuple[np.ndarray, bool]:
    """The points the run trains on, and whether they hold one training split per seed (one after another)."""
    if not settings.data.get("split_per_seed"):
        return train_data, False
    return np.concatenate([seed_splits(settings, {"train": train_data}, s)["train"] for s in seeds]), True


@torch.no_grad()
def generate(run: TrainingRun, n: int) -> np.ndarray:
    """n samples per seed, decoded from N(0, I) draws of each seed's 'generate'
    stream: (n_seeds, n, 2)."""
    h = run.step_fn.latent_dim
    device = run.data.device
    z = torch.stack([torch.randn(n, h, generator=torch_generator(s, "generate")) for s in run.sampler.seeds])
    generator = run.step_fn.networks()[run.step_fn.sampling_network]
    return generator(z.to(device, run.dtype)).cpu().numpy().astype(np.float64)


def loss_history_frame(run: TrainingRun, seed_index: int) -> pd.DataFrame:
    hist = run.history_array()[:, seed_index, :]
    frame = pd.DataFrame(hist, columns=list(run.step_fn.term_names))
    frame.insert(0, "step", run.history_steps)
    return frame


def step_diagnostics(run: TrainingRun) -> list[dict]:
    """What the run's step measures of itself, per seed (a model type's caveats read it); {} each where nothing."""
    measure = getattr(run.step_fn, "diagnostics", None)
    return measure() if measure else [{} for _ in run.sampler.seeds]


def seed_weights(run: TrainingRun, seed_index: int, settings: GridTraining, diagnostics: dict | None = None) -> dict:
    """One seed's trained networks in plain nn.Sequential layout, with the
    settings needed to rebuild them (`load_autoencoder` for an autoencoder)
    and its `step_diagnostics` (measured here unless given)."""
    return {
        "seed": run.sampler.seeds[seed_index],
        "settings": settings.to_dict(),
        "diagnostics": step_diagnostics(run)[seed_index] if diagnostics is None else diagnostics,
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


def seed_folder(block_dir, seed: int) -> Path:
    """Where one seed of a block job keeps its weights.pt, loss.csv and samples.npy."""
    return Path(block_dir) / f"seed{seed}"


def save_losses(run: TrainingRun, out_dir) -> None:
    """Each seed's loss history, seed<k>/loss.csv (also as training goes: it shows the progress)."""
    for k, seed in enumerate(run.sampler.seeds):
        save_dataframe_csv(loss_history_frame(run, k), seed_folder(out_dir, seed) / "loss.csv", index=False)


def save_block(run: TrainingRun, settings: GridTraining, out_dir, snapshots_path) -> None:
    """A trained job's outputs: per seed weights.pt, loss.csv and samples.npy
    under out_dir/seed<k>/, and the networks kept during training in `snapshots_path`."""
    samples = generate(run, settings.n_generated)
    save_losses(run, out_dir)
    diagnostics = step_diagnostics(run)  # every seed's at once
    for k, seed in enumerate(run.sampler.seeds):
        seed_dir = seed_folder(out_dir, seed)
        save_torch(seed_weights(run, k, settings, diagnostics[k]), seed_dir / "weights.pt")
        save_numpy(samples[k], seed_dir / "samples.npy")
    save_torch(snapshots(run, settings), snapshots_path)


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
    spec = model_type(settings.model)
    enc_sizes, dec_sizes = network_sizes(settings, spec.encoder_outputs(settings.latent_dim))
    encoder, decoder = plain_mlp(enc_sizes), plain_mlp(dec_sizes)
    encoder.load_state_dict(weights["encoder"])
    decoder.load_state_dict(weights["decoder"])
    encoder.eval(), decoder.eval()
    return (lambda x: spec.encode_mean(encoder(x))), decoder


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
