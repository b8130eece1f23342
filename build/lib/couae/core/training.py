"""The training loop shared by every model, and its checkpoints.

A model is trained through its update step (`UpdateStep`): the networks and
optimisers it owns, the Gaussian draws one step needs, and what one step does
with a minibatch (one optimiser for an autoencoder; a generator and a
discriminator step for a GAN; an extra adversarial step for a learned kernel).

Randomness is drawn in blocks of `log_every` steps from per-seed generators
(see `BatchSampler`), and the loop only synchronises with the device at block
ends: there it checks that every loss was finite, appends the block's mean loss
terms to the history, keeps a copy of the networks at the requested snapshot
steps and, every `checkpoint_every` steps, writes a checkpoint.
Because checkpoints fall on block ends and hold every network, optimiser and
generator, a run resumed from one replays exactly the numbers an
uninterrupted run would draw. Checkpoints hold only tensors and plain Python
values, so they load with `torch.load(weights_only=True)`: loading one never
runs code.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import torch
from torch import nn

from ..runtime.atomic import save_torch
from ..runtime.loading import DamagedFileError, load_torch
from .objectives import TERM_NAMES
from .seeding import torch_generator

log = logging.getLogger(__name__)

CHECKPOINT_FORMAT = 2  # 1: one encoder/decoder/optimizer, numpy history (weights_only cannot load it)


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


class Interrupted(RuntimeError):
    """Training stopped on request (SIGTERM, SIGUSR1) after writing a checkpoint at `step`."""

    def __init__(self, step: int, checkpoint):
        self.step = step
        super().__init__(f"stopped on request at step {step}; checkpoint written to {checkpoint}")


class StopRequest:
    """Set by SIGTERM or SIGUSR1 (a scheduler's time limit or preemption, or its
    warning before one): the loop then checkpoints at the next step and stops."""

    SIGNALS = ("SIGTERM", "SIGUSR1")

    def __init__(self):
        self.signal: str | None = None

    def __call__(self) -> bool:
        return self.signal is not None

    def install(self) -> StopRequest:
        import signal

        def note(number, frame):
            self.signal = signal.Signals(number).name

        for name in self.SIGNALS:
            signal.signal(getattr(signal, name), note)
        return self


class UpdateStep(Protocol):
    """One optimisation step of a model, for every seed at once."""

    term_names: tuple[str, ...]  # the per-seed loss terms a step returns, total first
    sampling_network: str  # which of its networks maps prior codes to data

    def networks(self) -> dict[str, nn.Module]: ...

    def optimizers(self) -> dict[str, torch.optim.Optimizer]: ...

    def gaussian_draws(self) -> dict[str, int]:
        """Name -> dimension of the N(0, I) draws one step takes per sample."""
        ...

    def generators(self) -> dict[str, torch.Generator]:
        """Random streams the step draws from itself (checkpointed with it)."""
        ...

    def __call__(self, x: torch.Tensor, draws: dict[str, torch.Tensor]) -> torch.Tensor:
        """Update on minibatch x (S, B, ...) with this step's draws (S, B, dim);
        returns the detached loss terms (S, len(term_names))."""
        ...

    # Optional, for a step whose work a CUDA graph must hold whole:
    # draw_block(n_steps) -> {name: (n_steps, S, ...)}: the random numbers its next
    #     n_steps steps take from its own streams, drawn before the block (each
    #     step then finds its share in `draws`);
    # after_block(step, row): at a block's end, fill the terms of its history
    #     row (S, terms) that are measured outside the step.


def set_own_gradients(*losses_and_params: tuple[torch.Tensor, list[nn.Parameter]]) -> None:
    """Set each parameter group's .grad to the gradient of its own loss only:
    in a simultaneous update (GAN, learned kernel) one network's loss never
    moves another network. The losses may share one graph."""
    last = len(losses_and_params) - 1
    for k, (loss, params) in enumerate(losses_and_params):
        grads = torch.autograd.grad(loss, params, retain_graph=k < last)
        for p, g in zip(params, grads, strict=True):
            p.grad = g


@dataclass
class AutoencoderStep:
    """The autoencoders' step: one optimiser over encoder and decoder,
    descending `objective` (MMD autoencoder or VAE). With `autocast_dtype` the
    forward pass runs under torch.autocast (mixed precision); the objectives
    keep their sums in float32 and the backward pass runs outside autocast."""

    encoder: nn.Module
    decoder: nn.Module
    objective: object
    optimizer: torch.optim.Optimizer
    latent_dim: int
    autocast_dtype: torch.dtype | None = None
    term_names: tuple[str, ...] = TERM_NAMES
    sampling_network = "decoder"
    # WAE's code adds truncated-normal noise (this std, cut at 2 std) to the
    # encoder's input, not to the reconstruction target; one stream per seed
    input_noise: float = 0.0
    noise_generators: list[torch.Generator] = field(default_factory=list)
    # benchmarks/train_grid.py, 10 seeds at width x1 on a 2-core CPU: compiled 1.3x (CouAE), 2.5x (VAE) eager's rate
    compile_pays_on_cpu = True

    @classmethod
    def build(cls, networks, encoder, decoder, objective) -> AutoencoderStep:
        """The step of an autoencoder model type from the networks a data set built
        (`couae.models.Networks`): one Adam over both networks, the data set's
        autocast and encoder input noise."""
        s = networks.settings
        params = list(encoder.parameters()) + list(decoder.parameters())
        std, noise_generators = networks.input_noise()
        return cls(
            encoder,
            decoder,
            objective,
            networks.adam(params, s.lr, tuple(s.adam_betas)),
            s.latent_dim,
            autocast_dtype=networks.autocast,
            input_noise=std,
            noise_generators=noise_generators,
        )

    @property
    def graph_safe(self) -> bool:
        """Whether a CUDA graph can hold the step (couae.core.accelerate): the input noise draws on its own streams."""
        return not self.input_noise

    def networks(self) -> dict[str, nn.Module]:
        return {"encoder": self.encoder, "decoder": self.decoder}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"autoencoder": self.optimizer}

    def gaussian_draws(self) -> dict[str, int]:
        draws = {"prior": self.latent_dim}
        if self.objective.needs_noise:  # the VAE's reparameterisation noise
            draws["noise"] = self.latent_dim
        return draws

    def generators(self) -> dict[str, torch.Generator]:
        return {f"input_noise/{k}": g for k, g in enumerate(self.noise_generators)}

    def _noisy_encoder(self, x):
        """The encoder, seeing x plus this step's input noise (seed by seed)."""
        noise = torch.empty_like(x)
        cut = 2 * self.input_noise
        for k, gen in enumerate(self.noise_generators):
            nn.init.trunc_normal_(noise[k], 0.0, self.input_noise, -cut, cut, generator=gen)
        return lambda inputs: self.encoder(inputs + noise)

    def _autocast(self, device_type: str):
        if self.autocast_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type, dtype=self.autocast_dtype)

    def __call__(self, x, draws):
        encoder = self._noisy_encoder(x) if self.input_noise else self.encoder
        with self._autocast(x.device.type):
            terms = self.objective.terms(encoder, self.decoder, x, draws["prior"], draws.get("noise"))
        self.optimizer.zero_grad(set_to_none=True)
        # Seeds share no parameters: the gradient of the sum is each seed's own.
        terms[:, 0].sum().backward()
        self.optimizer.step()
        return terms.detach()


class BatchSampler:
    """Minibatch indices and the update step's named Gaussian draws, one
    independent generator per seed (stream 'train'). Per generator and block,
    the indices are drawn first, then each Gaussian draw in the step's order.
    With `per_seed_data`, the data hold one training set of n_data points per
    seed, one after another, and seed k's indices point into its own."""

    def __init__(self, seeds, n_data: int, batch_size: int, gaussian_draws: dict[str, int], per_seed_data=False):
        if batch_size > n_data:
            raise ValueError(f"batch size {batch_size} exceeds the {n_data} training samples")
        self.seeds = list(seeds)
        self.n_data, self.batch_size = n_data, batch_size
        self.gaussian_draws = dict(gaussian_draws)
        self.generators = [torch_generator(s, "train") for s in self.seeds]
        self.offsets = [k * n_data if per_seed_data else 0 for k in range(len(self.seeds))]

    def draw(self, n_steps: int) -> dict[str, torch.Tensor]:
        """Tensors with leading dims (n_steps, n_seeds): 'idx' and each Gaussian draw."""
        per_seed = {name: [] for name in ["idx", *self.gaussian_draws]}
        shape = (n_steps, self.batch_size)
        for gen, offset in zip(self.generators, self.offsets, strict=True):
            per_seed["idx"].append(torch.randint(0, self.n_data, shape, generator=gen) + offset)
            for name, dim in self.gaussian_draws.items():
                per_seed[name].append(torch.randn(*shape, dim, generator=gen))
        return {name: torch.stack(tensors, 1) for name, tensors in per_seed.items()}

    def state_dict(self):
        return [g.get_state() for g in self.generators]

    def load_state_dict(self, states) -> None:
        if len(states) != len(self.generators):
            raise CheckpointError("checkpoint holds a different number of seeds")
        for gen, state in zip(self.generators, states, strict=True):
            gen.set_state(state.cpu())  # a checkpoint loaded onto a GPU holds them there


@dataclass
class TrainingRun:
    """Everything a run needs; `data` is (N, ...) on the training device.

    `prepare` turns indexed stored data into model input (images are kept as
    uint8 and scaled per batch).
    """

    step_fn: UpdateStep
    sampler: BatchSampler
    data: torch.Tensor
    prepare: Callable = _identity
    # filled as training goes: one row of mean loss terms (n_seeds, n_terms) per block
    history_steps: list[int] = field(default_factory=list)
    history: list[torch.Tensor] = field(default_factory=list)
    # step -> network name -> state dict (on the CPU), kept at the snapshot steps
    snapshots: dict[int, dict[str, dict]] = field(default_factory=dict)
    step: int = 0
    training_seconds: float = 0.0  # wall time spent in train(), summed over resumed processes
    # a block cut short by a stop request: its steps done, their loss terms, and the
    # sampler's state before the block (a resumed run draws the block again, identically)
    block: dict | None = None

    def state_dict(self, fingerprint: str) -> dict:
        return {
            "format": CHECKPOINT_FORMAT,
            "fingerprint": fingerprint,
            "step": self.step,
            "networks": {name: net.state_dict() for name, net in self.step_fn.networks().items()},
            "optimizers": {name: opt.state_dict() for name, opt in self.step_fn.optimizers().items()},
            "sampler": self.sampler.state_dict(),
            "generators": {name: g.get_state() for name, g in self.step_fn.generators().items()},
            "history_steps": list(self.history_steps),
            "history": list(self.history),
            "snapshots": dict(self.snapshots),
            "training_seconds": self.training_seconds,
            "block": self.block,
        }

    def load_state_dict(self, state: dict) -> None:
        for part, own in (("networks", self.step_fn.networks()), ("optimizers", self.step_fn.optimizers())):
            if set(state[part]) != set(own):
                raise CheckpointError(f"checkpoint holds the {part} {sorted(state[part])}, this run {sorted(own)}")
            for name, module in own.items():
                module.load_state_dict(state[part][name])
        self.sampler.load_state_dict(state["sampler"])
        own = self.step_fn.generators()
        if set(state["generators"]) != set(own):
            raise CheckpointError(
                f"checkpoint holds the generators {sorted(state['generators'])}, this run {sorted(own)}"
            )
        for name, gen in own.items():
            gen.set_state(state["generators"][name].to("cpu"))
        self.history_steps = list(state["history_steps"])
        self.history = list(state["history"])
        self.snapshots = dict(state["snapshots"])
        self.step = int(state["step"])
        self.training_seconds = float(state["training_seconds"])
        self.block = state.get("block")  # checkpoints written at block ends have none
        if self.block is not None:
            self.sampler.load_state_dict(self.block["sampler"])
            streams = self.block.get("streams") or {}  # a step drawing by blocks redraws the cut block from its start
            for name, gen in own.items():
                if name in streams:
                    gen.set_state(streams[name].to("cpu"))

    def history_array(self) -> np.ndarray:
        """(n_rows, n_seeds, n_terms) array of block-mean loss terms."""
        if not self.history:
            return np.zeros((0, len(self.sampler.seeds), len(self.step_fn.term_names)))
        return torch.stack(self.history).numpy()

    @property
    def dtype(self) -> torch.dtype:
        """The networks' parameter dtype (stored data may be uint8)."""
        return next(next(iter(self.step_fn.networks().values())).parameters()).dtype

    def save_checkpoint(self, path, fingerprint: str) -> None:
        """Write this run's checkpoint (a pack writes one per member: `couae.core.pack`)."""
        save_torch(self.state_dict(fingerprint), path)

    def check_finite(self, terms: torch.Tensor, last_checkpoint: int | None) -> None:
        """NonFiniteLossError at the first step and seed of `terms` (a block's,
        from self.step) that is not finite (a pack ends only that member)."""
        finite = torch.isfinite(terms).all(-1)  # (steps, seeds)
        if not bool(finite.all()):
            t, s = (~finite).nonzero()[0].tolist()
            raise NonFiniteLossError(self.step + t + 1, self.sampler.seeds[s], last_checkpoint)


def aside_path(checkpoint_path, fingerprint: str) -> Path:
    """Where a checkpoint of the settings `fingerprint` waits while other settings train."""
    path = Path(checkpoint_path)
    return path.with_name(f"{path.stem}-{fingerprint[:12]}{path.suffix}")


def _read_checkpoint(path: Path, device) -> dict:
    try:
        state = load_torch(path, "a training checkpoint", map_location=device)
    except DamagedFileError as exc:  # the user's progress: never discarded silently
        raise CheckpointError(f"{exc} To start this run afresh, move {path} away (it is kept as it is).") from exc
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(
            f"checkpoint {path} is not in this package's checkpoint format {CHECKPOINT_FORMAT}; "
            "move it away to start afresh"
        )
    return state


def try_resume(run: TrainingRun, checkpoint_path, fingerprint: str) -> bool:
    """Load `checkpoint_path` into `run` if it holds a run of these settings.

    A checkpoint of other settings is moved aside, renamed with its settings'
    fingerprint (`aside_path`), never overwritten; when those settings come
    back, their checkpoint is moved back and resumed, so changing a setting
    and changing it back loses nothing."""
    path = Path(checkpoint_path)
    state = _read_checkpoint(path, run.data.device) if path.exists() else None
    if state is not None and state.get("fingerprint") != fingerprint:
        aside = aside_path(path, state["fingerprint"])
        if aside.exists():  # an older checkpoint of those settings is kept too
            aside = aside.with_name(f"{aside.stem}-{int(time.time())}{aside.suffix}")
        os.replace(path, aside)
        log.warning("checkpoint %s was made with other settings: moved to %s (kept)", path, aside)
        state = None
    ours = aside_path(path, fingerprint)
    if state is None and ours.exists():
        os.replace(ours, path)
        log.info("checkpoint of these settings found at %s: moved back to %s", ours, path)
        state = _read_checkpoint(path, run.data.device)
    if state is None:
        return False
    run.load_state_dict(state)
    log.info("resumed from checkpoint %s at step %d", path, run.step)
    return True


def snapshot(run: TrainingRun) -> dict[str, dict]:
    """A CPU copy of every network's state."""
    return {
        name: {k: v.detach().to("cpu", copy=True) for k, v in net.state_dict().items()}
        for name, net in run.step_fn.networks().items()
    }


PROGRESS_SECONDS = 60.0  # a long job says how far it got at least this often


class _Progress:
    """Step, rate and ETA in the log at least every PROGRESS_SECONDS."""

    def __init__(self, run: TrainingRun, total_steps: int, seconds: float):
        self.total, self.seconds = total_steps, seconds
        self.start_step, self.start = run.step, time.perf_counter()
        self.last = self.start

    def due(self) -> bool:
        return time.perf_counter() - self.last >= self.seconds

    def log(self, step: int) -> None:
        now = time.perf_counter()
        rate = (step - self.start_step) / max(now - self.start, 1e-9)
        eta = (self.total - step) / rate if rate > 0 else float("inf")
        log.info(
            "step %d/%d (%.0f%%): %.1f steps/s, ETA %s", step, self.total, 100 * step / self.total, rate, _clock(eta)
        )
        self.last = now


def _clock(seconds: float) -> str:
    if seconds == float("inf"):
        return "unknown"
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{secs:02d}"


def train(
    run: TrainingRun,
    total_steps: int,
    log_every: int,
    checkpoint_every: int,
    checkpoint_path=None,
    fingerprint: str = "",
    snapshot_steps=(),
    on_progress: Callable | None = None,
    progress_seconds: float = PROGRESS_SECONDS,
    stop: Callable[[], bool] | None = None,
) -> TrainingRun:
    """Train `run` up to `total_steps`, resuming from `run.step`; keep the
    networks at `snapshot_steps` (block ends: multiples of log_every). Step,
    rate and ETA are logged at least every `progress_seconds`, and at block
    ends then (and at the last step) `on_progress(run)` is called, to write
    the loss history so far, say. When `stop()` turns true (a StopRequest),
    the loop writes a checkpoint after the current step, also inside a block,
    and raises Interrupted: the resumed run continues bit for bit."""
    if checkpoint_every % log_every:
        raise ValueError("checkpoint_every must be a multiple of log_every")
    if any(s % log_every for s in snapshot_steps):
        raise ValueError(f"snapshot steps {list(snapshot_steps)} must be multiples of log_every={log_every}")
    if run.step % log_every and run.step != total_steps:
        raise CheckpointError(f"resume step {run.step} is not a multiple of log_every={log_every}")
    if run.block is not None and not 0 < run.block["done"] < min(log_every, total_steps - run.step):
        raise CheckpointError(f"checkpoint cut a block at step {run.block['done']}, not inside this run's blocks")
    device = run.data.device
    n_seeds = len(run.sampler.seeds)
    n_terms = len(run.step_fn.term_names)
    last_checkpoint = run.step if run.step > 0 else None
    progress = _Progress(run, total_steps, progress_seconds)
    stop = stop if checkpoint_path is not None else None  # stopping without a checkpoint would lose the work
    draw_block = getattr(run.step_fn, "draw_block", None)
    after_block = getattr(run.step_fn, "after_block", None)
    while run.step < total_steps:
        block_start = time.perf_counter()
        n = min(log_every, total_steps - run.step)
        before = run.sampler.state_dict()  # a block cut short is drawn again from here
        streams = None
        draws = run.sampler.draw(n)
        if draw_block is not None:  # the step's own draws too, from its streams' state before the block
            streams = {name: gen.get_state() for name, gen in run.step_fn.generators().items()}
            draws.update(draw_block(n))
        idx = draws.pop("idx").to(device, non_blocking=True)
        # drawn in float32; the model may run in float64
        draws = {k: v.to(device, non_blocking=True).to(run.dtype) for k, v in draws.items()}
        terms = torch.empty(n, n_seeds, n_terms, device=device, dtype=run.dtype)
        first = 0
        if run.block is not None:  # resumed inside a block: its first steps are done
            first = run.block["done"]
            terms[:first] = run.block["terms"].to(device, run.dtype)
            run.block = None
        for t in range(first, n):
            terms[t] = run.step_fn(run.prepare(run.data[idx[t]]), {k: v[t] for k, v in draws.items()})
            if progress.due():  # inside the block too: a block may take long (CelebA on a CPU)
                progress.log(run.step + t + 1)
            if stop is not None and stop() and t + 1 < n:
                run.check_finite(terms[: t + 1], last_checkpoint)
                run.block = {"done": t + 1, "terms": terms[: t + 1].cpu(), "sampler": before, "streams": streams}
                run.training_seconds += time.perf_counter() - block_start
                run.save_checkpoint(checkpoint_path, fingerprint)
                raise Interrupted(run.step + t + 1, checkpoint_path)
        run.check_finite(terms, last_checkpoint)
        run.step += n
        run.history_steps.append(run.step)
        row = terms.mean(0)
        if after_block is not None:
            after_block(run.step, row)
        run.history.append(row.cpu())  # also waits for the device
        if run.step in snapshot_steps:
            run.snapshots[run.step] = snapshot(run)
        run.training_seconds += time.perf_counter() - block_start
        if run.step == total_steps or (on_progress is not None and progress.due()):
            progress.log(run.step)
            if on_progress is not None:
                on_progress(run)
        if checkpoint_path is not None and (run.step % checkpoint_every == 0 or run.step == total_steps):
            run.save_checkpoint(checkpoint_path, fingerprint)
            last_checkpoint = run.step
            log.info(
                "step %d/%d: checkpoint written; mean loss %s",
                run.step,
                total_steps,
                np.array2string(run.history[-1][:, 0].numpy(), precision=4),
            )
        if stop is not None and stop() and run.step < total_steps:
            if last_checkpoint != run.step:
                run.save_checkpoint(checkpoint_path, fingerprint)
            raise Interrupted(run.step, checkpoint_path)
    return run


@dataclass(frozen=True)
class Outcome:
    first_step: int  # where this process started (0, or the step it resumed from)
    process_seconds: float  # wall time of this process's resume and training


def resume_and_train(
    run: TrainingRun,
    settings,
    checkpoint_path,
    before_training: Callable | None = None,
    on_progress: Callable | None = None,
    stop: Callable[[], bool] | None = None,
) -> Outcome:
    """The training jobs' sequence: resume from `checkpoint_path` when it holds
    a run of the same `settings` (a `TrainingSettings`), else call
    `before_training(run)` (an encoder's pre-training, say), train to
    settings.iterations with checkpoints and progress (`train`), and log the
    rate. Raises NonFiniteLossError, CheckpointError, or Interrupted when
    `stop()` turned true (after writing a checkpoint)."""
    start = time.perf_counter()
    fingerprint = settings.fingerprint()
    if not try_resume(run, checkpoint_path, fingerprint) and before_training is not None:
        before_training(run)
    first_step = run.step
    snapshots = getattr(settings, "snapshots", ())
    train(
        run,
        settings.iterations,
        settings.log_every,
        settings.checkpoint_every,
        checkpoint_path,
        fingerprint,
        snapshots,
        on_progress,
        stop=stop,
    )
    elapsed = time.perf_counter() - start
    steps = settings.iterations - first_step
    if steps:
        n_seeds = len(run.sampler.seeds)
        log.info(
            "trained %d steps x %d seeds in %.1f s (%.0f run-steps/s, %.0f samples/s)",
            steps,
            n_seeds,
            elapsed,
            steps * n_seeds / elapsed,
            steps * n_seeds * settings.batch_size / elapsed,
        )
    return Outcome(first_step, elapsed)
