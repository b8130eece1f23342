"""The training loop shared by every experiment.

Randomness is drawn in blocks of `log_every` steps from per-seed generators
(see `BatchSampler`), and the loop only synchronises with the device at block
ends: there it checks that every loss was finite, appends the block's mean loss
terms to the history and, every `checkpoint_every` steps, writes a checkpoint.
Because checkpoints fall on block ends and hold the generators' states, a run
resumed from one replays exactly the numbers an uninterrupted run would draw.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
from torch import nn

from .atomic import save_torch
from .seeding import torch_generator

log = logging.getLogger(__name__)


def fingerprint(settings: dict) -> str:
    """Hash of a job's resolved settings: a checkpoint resumes only the settings that made it."""
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()


def _identity(x):
    return x


class NonFiniteLossError(RuntimeError):
    def __init__(self, step: int, seed: int, last_checkpoint_step: int | None):
        self.step, self.seed, self.last_checkpoint_step = step, seed, last_checkpoint_step
        kept = (
            f"the last good checkpoint (step {last_checkpoint_step}) is kept"
            if last_checkpoint_step is not None
            else "no checkpoint had been written yet"
        )
        super().__init__(f"non-finite loss at step {step} (seed {seed}); training stopped, {kept}")


class CheckpointError(RuntimeError):
    pass


class BatchSampler:
    """Minibatch indices, prior samples and (for VAEs) reparameterisation noise,
    one independent generator per seed (stream 'train')."""

    def __init__(self, seeds, n_data: int, batch_size: int, latent_dim: int, with_noise: bool):
        if batch_size > n_data:
            raise ValueError(f"batch size {batch_size} exceeds the {n_data} training samples")
        self.seeds = list(seeds)
        self.n_data, self.batch_size, self.latent_dim = n_data, batch_size, latent_dim
        self.with_noise = with_noise
        self.generators = [torch_generator(s, "train") for s in self.seeds]

    def draw(self, n_steps: int) -> dict[str, torch.Tensor]:
        """Tensors with leading dims (n_steps, n_seeds)."""
        idx, prior, noise = [], [], []
        shape = (n_steps, self.batch_size)
        for gen in self.generators:
            idx.append(torch.randint(0, self.n_data, shape, generator=gen))
            prior.append(torch.randn(*shape, self.latent_dim, generator=gen))
            if self.with_noise:
                noise.append(torch.randn(*shape, self.latent_dim, generator=gen))
        out = {"idx": torch.stack(idx, 1), "prior": torch.stack(prior, 1)}
        if self.with_noise:
            out["noise"] = torch.stack(noise, 1)
        return out

    def state_dict(self):
        return [g.get_state() for g in self.generators]

    def load_state_dict(self, states) -> None:
        if len(states) != len(self.generators):
            raise CheckpointError("checkpoint holds a different number of seeds")
        for gen, state in zip(self.generators, states):
            gen.set_state(state)


@dataclass
class TrainingRun:
    """Everything a run needs; `data` is (N, ...) on the training device.

    `prepare` turns indexed stored data into model input (images are kept as
    uint8 and scaled per batch); `autocast_dtype` runs the networks under
    torch.autocast (mixed precision), while the objectives keep their sums in
    float32.
    """

    encoder: nn.Module
    decoder: nn.Module
    objective: object
    optimizer: torch.optim.Optimizer
    sampler: BatchSampler
    data: torch.Tensor
    prepare: Callable = _identity
    autocast_dtype: torch.dtype | None = None
    # filled as training goes: one row of mean loss terms (n_seeds, 3) per block
    history_steps: list[int] = field(default_factory=list)
    history: list[np.ndarray] = field(default_factory=list)
    step: int = 0
    training_seconds: float = 0.0  # wall time spent in train(), summed over resumed processes

    def state_dict(self, fingerprint: str) -> dict:
        return {
            "fingerprint": fingerprint,
            "step": self.step,
            "encoder": self.encoder.state_dict(),
            "decoder": self.decoder.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "sampler": self.sampler.state_dict(),
            "history_steps": list(self.history_steps),
            "history": list(self.history),
            "training_seconds": self.training_seconds,
        }

    def load_state_dict(self, state: dict) -> None:
        self.encoder.load_state_dict(state["encoder"])
        self.decoder.load_state_dict(state["decoder"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.sampler.load_state_dict(state["sampler"])
        self.history_steps = list(state["history_steps"])
        self.history = list(state["history"])
        self.step = int(state["step"])
        self.training_seconds = float(state.get("training_seconds", 0.0))

    def history_array(self) -> np.ndarray:
        """(n_rows, n_seeds, 3) array of block-mean loss terms."""
        if not self.history:
            return np.zeros((0, len(self.sampler.seeds), 3))
        return np.stack(self.history)

    @property
    def dtype(self) -> torch.dtype:
        """The networks' parameter dtype (stored data may be uint8)."""
        return next(self.encoder.parameters()).dtype

    def autocast(self):
        if self.autocast_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.data.device.type, dtype=self.autocast_dtype)


def try_resume(run: TrainingRun, checkpoint_path, fingerprint: str) -> bool:
    """Load `checkpoint_path` into `run` if it exists and was made with the same
    settings; a checkpoint of other settings is left alone and ignored."""
    try:
        state = torch.load(checkpoint_path, map_location=run.data.device, weights_only=False)
    except FileNotFoundError:
        return False
    except Exception as exc:  # a checkpoint we cannot read is not silently discarded
        raise CheckpointError(
            f"cannot read checkpoint {checkpoint_path} ({exc}); move it away to start afresh"
        ) from exc
    if state.get("fingerprint") != fingerprint:
        log.info("checkpoint %s was made with other settings: starting afresh", checkpoint_path)
        return False
    run.load_state_dict(state)
    log.info("resumed from checkpoint %s at step %d", checkpoint_path, run.step)
    return True


def train(
    run: TrainingRun,
    total_steps: int,
    log_every: int,
    checkpoint_every: int,
    checkpoint_path=None,
    fingerprint: str = "",
) -> TrainingRun:
    """Train `run` up to `total_steps`, resuming from `run.step`."""
    if checkpoint_every % log_every:
        raise ValueError("checkpoint_every must be a multiple of log_every")
    if run.step % log_every and run.step != total_steps:
        raise CheckpointError(f"resume step {run.step} is not a multiple of log_every={log_every}")
    device = run.data.device
    n_seeds = len(run.sampler.seeds)
    last_checkpoint = run.step if run.step > 0 else None
    while run.step < total_steps:
        block_start = time.perf_counter()
        n = min(log_every, total_steps - run.step)
        draws = {k: v.to(device, non_blocking=True) for k, v in run.sampler.draw(n).items()}
        for k in ("prior", "noise"):  # drawn in float32; the model may run in float64
            if k in draws:
                draws[k] = draws[k].to(run.dtype)
        terms = torch.empty(n, n_seeds, 3, device=device, dtype=run.dtype)
        for t in range(n):
            x = run.prepare(run.data[draws["idx"][t]])
            noise = draws["noise"][t] if "noise" in draws else None
            with run.autocast():
                step_terms = run.objective.terms(run.encoder, run.decoder, x, draws["prior"][t], noise)
            run.optimizer.zero_grad(set_to_none=True)
            # Seeds share no parameters: the gradient of the sum is each seed's own.
            step_terms[:, 0].sum().backward()
            run.optimizer.step()
            terms[t] = step_terms.detach()
        finite = torch.isfinite(terms).all(-1)  # (n, seeds)
        if not bool(finite.all()):
            t, s = (~finite).nonzero()[0].tolist()
            raise NonFiniteLossError(run.step + t + 1, run.sampler.seeds[s], last_checkpoint)
        run.step += n
        run.history_steps.append(run.step)
        run.history.append(terms.mean(0).cpu().numpy())  # also waits for the device
        run.training_seconds += time.perf_counter() - block_start
        if checkpoint_path is not None and (run.step % checkpoint_every == 0 or run.step == total_steps):
            save_torch(run.state_dict(fingerprint), checkpoint_path)
            last_checkpoint = run.step
            log.info("step %d/%d: checkpoint written; mean loss %s", run.step, total_steps,
                     np.array2string(run.history[-1][:, 0], precision=4))
    return run
