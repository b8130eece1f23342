"""The Coulomb GAN (Unterthiner et al. 2018) as an update step: a generator
and a discriminator that learns the potential field between real and
generated samples. Settings and sources: `../shared/notes/related-models.md`,
section 1.

With real points y and generated points x, the batch estimate of the
potential at a point a is
    Phi(a) = mean_i k(a, y_i) - mean_i k(a, x_i)     (positive where real data dominate),
self pairs kept as in the authors' code. The discriminator regresses Phi at
every real and generated point of the batch (the targets are constants: no
gradient flows into them); the generator climbs the learned potential,
minimising -1/2 mean D(G(z)). Both networks update simultaneously from the
same batch, as the authors' TensorFlow code does. The logged `loss` is the
batch energy F = 1/2 (biased MMD^2 between the real and generated batches),
which the game drives to zero; its kernel is the experiment's kernel (the
Plummer kernel by default).

With `decay`, both learning rates and the kernel's eps fall geometrically,
reaching `decay` times their start at the horizon (the run's last step, or
`decay_steps`: the GAN paper decays both over 1,000,000 steps on its grid).
The schedule is read off the generator optimiser's own step count, so a
resumed run continues it exactly. `leave_out` drops each point's pair with
itself from its own sample's mean in the targets; the authors' code keeps it,
which adds k(0) / N to every real point's target and takes it from every
generated one's (1 / (N eps) for the Plummer kernel with exponent 1).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import torch
from torch import nn

from .mmd import mmd2_empirical, pairwise_sq_dist
from .training import set_own_gradients

TERM_NAMES = ("loss", "discriminator", "generator")


def potential(kernel, points: torch.Tensor, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Phi at `points` (..., n, d) from real (..., m, d) and generated (..., l, d) samples: (..., n)."""
    return kernel(pairwise_sq_dist(points, real)).mean(-1) - kernel(pairwise_sq_dist(points, fake)).mean(-1)


def _mean_over_others(kernel, points: torch.Tensor) -> torch.Tensor:
    """mean_{j != i} k(p_i, p_j) for every point of `points` (..., n, d): (..., n)."""
    values = kernel(pairwise_sq_dist(points, points))
    return (values.sum(-1) - values.diagonal(dim1=-2, dim2=-1)) / (points.shape[-2] - 1)


def leave_one_out_targets(kernel, real: torch.Tensor, fake: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Phi at each real and generated point with the point's pair with itself
    left out of its own sample's mean: (Phi(real), Phi(fake))."""
    at_real = _mean_over_others(kernel, real) - kernel(pairwise_sq_dist(real, fake)).mean(-1)
    at_fake = kernel(pairwise_sq_dist(fake, real)).mean(-1) - _mean_over_others(kernel, fake)
    return at_real, at_fake


def _flat(samples: torch.Tensor) -> torch.Tensor:
    """(S, B, ...) samples as (S, B, d) vectors: images are points of R^(3 x 64 x 64) to the kernel."""
    return samples.flatten(2)


@dataclass
class CoulombGANStep:
    """One simultaneous discriminator and generator update, for every seed."""

    generator: nn.Module  # prior codes -> data (the autoencoders' decoder shape)
    discriminator: nn.Module  # data -> one value (the encoder trunk with a scalar head)
    kernel: object
    generator_optimizer: torch.optim.Optimizer
    discriminator_optimizer: torch.optim.Optimizer
    latent_dim: int
    decay: float | None = None  # lrs and eps reach this factor at `iterations`; None: constant
    iterations: int = 0  # the decay's horizon (the run's length, or model_params.decay_steps)
    leave_out: bool = False  # the targets without each point's pair with itself (self_pairs: leave_out)
    term_names: tuple[str, ...] = TERM_NAMES
    autocast_dtype = None  # runs in the networks' own precision (float32)
    sampling_network = "generator"
    compile_pays_on_cpu = False  # benchmarks/train_grid.py: compiled runs at 0.7x eager's rate on a CPU
    _start: dict = field(default_factory=dict, init=False, repr=False)  # the lrs and eps the schedule starts from
    _lrs: dict = field(default_factory=dict, init=False, repr=False)  # the decaying lrs, tensors moved in place

    def __post_init__(self):
        # before a checkpoint is loaded: its optimisers hold the decayed lrs of their last step
        self._start = {name: [float(g["lr"]) for g in opt.param_groups] for name, opt in self.optimizers().items()}
        self._start["kernel"] = self.kernel
        if self.decay is None:
            return
        # The schedule runs on the device, from tensors made here and moved in place at every
        # step, so that a CUDA graph replays it and a compiled step sees them as its inputs.
        # Adam reads a tensor lr where it is fused or capturable (the grid's, and CelebA's on
        # CUDA); float64 on a CPU gives the numbers of a float lr, float32 on CUDA.
        device = next(self.generator.parameters()).device
        dtype = torch.float64 if device.type == "cpu" else torch.float32
        for name, opt in self.optimizers().items():
            self._lrs[name] = [torch.tensor(lr, dtype=dtype, device=device) for lr in self._start[name]]
            self._install(opt, self._lrs[name])
            # a checkpoint's load_state_dict puts its saved lrs in the groups: put ours back
            opt.register_load_state_dict_post_hook(lambda opt, lrs=self._lrs[name]: self._install(opt, lrs))
        if hasattr(self.kernel, "eps"):
            eps = torch.tensor(float(self.kernel.eps), dtype=torch.float64, device=device)
            self.kernel = dataclasses.replace(self.kernel, eps=eps)

    @staticmethod
    def _install(optimizer, lrs) -> None:
        for group, lr in zip(optimizer.param_groups, lrs, strict=True):
            group["lr"] = lr

    # Run as it is, also inside a compiled step: Dynamo would take the optimiser's state
    # at its first call for a constant (no step count yet), and the lrs would never fall.
    @torch.compiler.disable
    def _schedule(self) -> None:
        """Set this step's lrs and kernel eps to decay^(t / T) times their start,
        t the steps the generator's optimiser has taken (a checkpoint's included)."""
        state = self.generator_optimizer.state.get(next(iter(self.generator.parameters())), {})
        device = next(self.generator.parameters()).device
        steps = state["step"].double() if "step" in state else torch.zeros((), dtype=torch.float64, device=device)
        factor = self.decay ** (steps.to(device) / max(self.iterations, 1))
        for name, lrs in self._lrs.items():
            for start, lr in zip(self._start[name], lrs, strict=True):
                lr.copy_(start * factor)
        if hasattr(self.kernel, "eps"):
            self.kernel.eps.copy_(self._start["kernel"].eps * factor)

    @property
    def graph_safe(self) -> bool:
        """A CUDA graph can hold the step: its schedule runs on the device."""
        return True

    def networks(self) -> dict[str, nn.Module]:
        return {"generator": self.generator, "discriminator": self.discriminator}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"generator": self.generator_optimizer, "discriminator": self.discriminator_optimizer}

    def gaussian_draws(self) -> dict[str, int]:
        return {"prior": self.latent_dim}

    def generators(self) -> dict[str, torch.Generator]:
        return {}

    def targets(self, real: torch.Tensor, fake: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The discriminator's regression targets at the real and generated
        points, without gradient: (Phi(real), Phi(fake))."""
        real, fake = _flat(real.detach()), _flat(fake.detach())
        with torch.no_grad():
            if self.leave_out:
                return leave_one_out_targets(self.kernel, real, fake)
            return potential(self.kernel, real, real, fake), potential(self.kernel, fake, real, fake)

    def __call__(self, x, draws):
        if self.decay is not None:
            self._schedule()
        fake = self.generator(draws["prior"].to(x.dtype))
        target_real, target_fake = self.targets(x, fake)
        # called on each half separately: batch norm's statistics are per half (the authors' code)
        d_real, d_fake = self.discriminator(x)[..., 0], self.discriminator(fake.detach())[..., 0]
        # per seed: mean squared error on the real half plus on the generated half (the authors' code)
        loss_d = (d_real - target_real).square().mean(-1) + (d_fake - target_fake).square().mean(-1)
        loss_g = -0.5 * self.discriminator(fake)[..., 0].mean(-1)
        # Seeds share no parameters: the gradient of each sum is each seed's own. Each network
        # gets the gradient of its own loss only (the generator's loss does not move D).
        set_own_gradients(
            (loss_d.sum(), list(self.discriminator.parameters())), (loss_g.sum(), list(self.generator.parameters()))
        )
        self.discriminator_optimizer.step()
        self.generator_optimizer.step()
        with torch.no_grad():
            energy = 0.5 * mmd2_empirical(self.kernel, _flat(fake.detach()), _flat(x))
        return torch.stack([energy, loss_d, loss_g], dim=-1).detach()
