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


class StackedMLP(nn.Module):
    """S independent ReLU MLPs evaluated together: (S, B, in) -> (S, B, out).

    Weights are stored as (S, out, in), nn.Linear's layout, and activations run
    feature-major, (S, features, B), so every product is W @ h. With the grid's
    2-unit inputs and outputs this keeps the long dimension of each product
    outermost, which batched CPU matmuls run about 4x faster than the other way
    round (benchmarks/train_grid.py).
    """

    def __init__(self, sizes: list[int], generators: list[torch.Generator]):
        super().__init__()
        per_seed = [init_layers(sizes, g) for g in generators]
        self.weights = nn.ParameterList(
            nn.Parameter(torch.stack([net[k][0].t() for net in per_seed]).contiguous()) for k in range(len(sizes) - 1)
        )
        self.biases = nn.ParameterList(
            nn.Parameter(torch.stack([net[k][1] for net in per_seed]).unsqueeze(-1)) for k in range(len(sizes) - 1)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x.transpose(-2, -1)
        last = len(self.weights) - 1
        for k, (w, b) in enumerate(zip(self.weights, self.biases)):
            h = torch.baddbmm(b, w, h)
            if k < last:
                h = torch.relu(h)
        return h.transpose(-2, -1)

    def plain_state_dict(self, stack: int) -> dict[str, torch.Tensor]:
        """Weights of one stack in `plain_mlp`'s state_dict layout."""
        state = {}
        for k, (w, b) in enumerate(zip(self.weights, self.biases)):
            state[f"{2 * k}.weight"] = w[stack].detach().clone().cpu()
            state[f"{2 * k}.bias"] = b[stack, :, 0].detach().clone().cpu()
        return state


def plain_mlp(sizes: list[int], gen: torch.Generator | None = None) -> nn.Sequential:
    """The same network as one stack of StackedMLP, as an nn.Sequential.

    With `gen`, weights are drawn exactly as StackedMLP draws them for that seed.
    """
    layers: list[nn.Module] = []
    for k, (i, o) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(i, o))
        if k < len(sizes) - 2:
            layers.append(nn.ReLU())
    net = nn.Sequential(*layers)
    if gen is not None:
        with torch.no_grad():
            for k, (w, b) in enumerate(init_layers(sizes, gen)):
                net[2 * k].weight.copy_(w.t())
                net[2 * k].bias.copy_(b)
    return net
