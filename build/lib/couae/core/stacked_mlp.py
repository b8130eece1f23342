"""MLPs with one network per seed (the grid's networks, the learned kernel's
networks), in two layouts with identical maths.

`StackedMLP` holds the weights of S independent networks (one per seed) as
(S, in, out) tensors and runs them with batched matmuls: one process trains all
seeds at the cost of a few large kernels instead of S times many small ones.
`plain_mlp` is the ordinary nn.Sequential of one network; per-seed weights are
saved in its layout so that users can load them without this package.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def layer_sizes(in_dim: int, hidden: int, n_hidden: int, width: float, out_dim: int) -> list[int]:
    """[in, hidden*width (n_hidden times), out]; widths must give >= 1 unit."""
    units = int(round(hidden * width))
    if units < 1:
        raise ValueError(f"hidden width {hidden} x {width} leaves no units")
    return [in_dim] + [units] * n_hidden + [out_dim]


def _uniform_init(shape, fan_in: int, gen: torch.Generator) -> torch.Tensor:
    # nn.Linear's default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases.
    bound = 1.0 / math.sqrt(fan_in)
    return (torch.rand(shape, generator=gen, dtype=torch.float64) * 2 - 1).mul_(bound).float()


def init_layers(sizes: list[int], gen: torch.Generator) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """One network's weights as (in, out) matrices and (out,) biases, from `gen`."""
    return [(_uniform_init((i, o), i, gen), _uniform_init((o,), i, gen)) for i, o in zip(sizes[:-1], sizes[1:])]


ACTIVATIONS = {"relu": torch.relu, "elu": torch.nn.functional.elu}


class StackedMLP(nn.Module):
    """S independent MLPs evaluated together: (S, B, in) -> (S, B, out), with
    ReLU (or `activation`) between the layers.

    Weights are stored as (S, out, in), nn.Linear's layout, and activations run
    feature-major, (S, features, B), so every product is W @ h. With the grid's
    2-unit inputs and outputs this keeps the long dimension of each product
    outermost, which batched CPU matmuls run about 4x faster than the other way
    round (benchmarks/train_grid.py).
    """

    def __init__(self, sizes: list[int], generators: list[torch.Generator], activation: str = "relu"):
        super().__init__()
        self.activation = ACTIVATIONS[activation]
        per_seed = [init_layers(sizes, g) for g in generators]
        self.weights = nn.ParameterList(
            nn.Parameter(torch.stack([net[k][0].t() for net in per_seed]).contiguous()) for k in range(len(sizes) - 1)
        )
        self.biases = nn.ParameterList(
            nn.Parameter(torch.stack([net[k][1] for net in per_seed]).unsqueeze(-1)) for k in range(len(sizes) - 1)
        )

    def layer_weight(self, k: int) -> torch.Tensor:
        """Layer k's weights as the forward pass uses them: (S, out, in)."""
        return self.weights[k]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x.transpose(-2, -1)
        last = len(self.weights) - 1
        for k, b in enumerate(self.biases):
            h = torch.baddbmm(b, self.layer_weight(k), h)
            if k < last:
                h = self.activation(h)
        return h.transpose(-2, -1)

    def plain_state_dict(self, stack: int) -> dict[str, torch.Tensor]:
        """Weights of one stack in `plain_mlp`'s state_dict layout."""
        state = {}
        for k, b in enumerate(self.biases):
            state[f"{2 * k}.weight"] = self.layer_weight(k)[stack].detach().clone().cpu()
            state[f"{2 * k}.bias"] = b[stack, :, 0].detach().clone().cpu()
        return state


class SpectralNormMLP(StackedMLP):
    """A StackedMLP whose every weight matrix is divided by its largest
    singular value (spectral normalisation, as KernelNet's critic): one power
    iteration per forward pass in training mode, its vectors kept as buffers
    (so checkpoints hold them); the saved plain layout holds the normalised
    weights."""

    def __init__(self, sizes: list[int], generators: list[torch.Generator], activation: str = "relu", power=None):
        super().__init__(sizes, generators, activation)
        power = power or generators
        for k, w in enumerate(self.weights):
            u = torch.stack([torch.randn(w.shape[1], generator=g) for g in power])
            self.register_buffer(f"power_u{k}", torch.nn.functional.normalize(u, dim=-1))

    def layer_weight(self, k: int) -> torch.Tensor:
        w, u = self.weights[k], getattr(self, f"power_u{k}")
        with torch.no_grad():
            v = torch.nn.functional.normalize(torch.einsum("soi,so->si", w, u), dim=-1)
            if self.training:
                u = torch.nn.functional.normalize(torch.einsum("soi,si->so", w, v), dim=-1)
                u = u.to(getattr(self, f"power_u{k}").dtype)
                getattr(self, f"power_u{k}").copy_(u)
        sigma = torch.einsum("so,soi,si->s", u, w, v)
        return w / sigma[:, None, None]


MODULES = {"relu": nn.ReLU, "elu": nn.ELU}


def plain_mlp(sizes: list[int], gen: torch.Generator | None = None, activation: str = "relu") -> nn.Sequential:
    """The same network as one stack of StackedMLP, as an nn.Sequential.

    With `gen`, weights are drawn exactly as StackedMLP draws them for that seed.
    """
    layers: list[nn.Module] = []
    for k, (i, o) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(i, o))
        if k < len(sizes) - 2:
            layers.append(MODULES[activation]())
    net = nn.Sequential(*layers)
    if gen is not None:
        with torch.no_grad():
            for k, (w, b) in enumerate(init_layers(sizes, gen)):
                net[2 * k].weight.copy_(w.t())
                net[2 * k].bias.copy_(b)
    return net
