"""The learned kernel's drift on a zero-mean objective (issue 35, docs/methods.md).

The learned-kernel row's kernel, built as the row builds it (ceiling 4, so no
penalty acts), ascends MMD^2 - penalty on codes and prior draws both drawn
fresh from N(0, I) at every step: the objective's mean is 0 for every
kernel, so E|w|^2 should stay where it starts. Prints, per optimiser setting,
E|w|^2 on fixed draws at the end over its start, per seed: Adam at the row's
betas (0.5, 0.9), Adam at (0.9, 0.999), and SGD with a step matched to
Adam's (its lr: Adam's over the gradients' rms at the start, measured here).

    python benchmarks/kernel_drift.py [--steps 9600] [--features 512] [--seeds 4]
"""

import argparse
import dataclasses
import math

import numpy as np
import torch

import _common  # noqa: F401  (the library's import path)
from couae.core.seeding import torch_generator
from couae.grid import model as grid_model
from helpers import small_settings


def kernel_step(seeds: int, features: int, **params):
    settings = small_settings("learnedae", seeds=list(range(seeds)))
    params = {**settings.model_params, "features": features, "omega_ceiling": 4.0, "omega_floor": None, **params}
    return grid_model.build_run(dataclasses.replace(settings, model_params=params), np.zeros((200, 2))).step_fn


def ascend(step, steps: int, seeds: int, measure: bool = True):
    """E|w|^2 at the end over its start per seed (fixed draws), or with measure False the gradients' rms."""
    kernel, optimizer = step.kernel, step.kernel_optimizer
    fixed = kernel.draw([torch_generator(s, "drift/fixed") for s in range(seeds)], "cpu")
    gen = torch.Generator().manual_seed(7)
    with torch.no_grad():
        start = kernel.frequencies(fixed).square().sum(-1).mean(-1)
    squares, count = 0.0, 0
    for _ in range(steps):
        codes, prior = torch.randn(seeds, 100, 2, generator=gen), torch.randn(seeds, 100, 2, generator=gen)
        objective = step.objective.kernel_objective(kernel, kernel.draw(step.feature_generators, "cpu"), codes, prior)
        optimizer.zero_grad()
        (-objective.sum()).backward()
        if not measure:
            squares += sum(float(p.grad.square().sum()) for p in kernel.parameters())
            count += sum(p.numel() for p in kernel.parameters())
            continue
        optimizer.step()
    if not measure:
        return math.sqrt(squares / count)
    with torch.no_grad():
        return (kernel.frequencies(fixed).square().sum(-1).mean(-1) / start).numpy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=9600)
    parser.add_argument("--features", type=int, default=512)
    parser.add_argument("--seeds", type=int, default=4)
    args = parser.parse_args()
    torch.set_num_threads(1)
    step = kernel_step(args.seeds, args.features)
    adam_lr = step.kernel_optimizer.param_groups[0]["lr"]
    ratio_per_lr = step.objective.settings.lr_ratio / adam_lr  # the lr_ratio that gives the kernel an lr of 1
    rms = ascend(step, 50, args.seeds, measure=False)
    matched = adam_lr / rms
    print(f"kernel lr {adam_lr:g}; the gradients' rms at the start {rms:.3g}: SGD's matched lr {matched:.3g}")
    settings = {
        "Adam, betas (0.5, 0.9) (the row's)": {},
        "Adam, betas (0.9, 0.999)": {"adam_betas": [0.9, 0.999]},
        f"SGD, lr {matched:.3g}": {"kernel_optimizer": "sgd", "lr_ratio": matched * ratio_per_lr},
    }
    for name, params in settings.items():
        ratio = ascend(kernel_step(args.seeds, args.features, **params), args.steps, args.seeds)
        per_seed = [round(float(r), 3) for r in ratio]
        print(f"{name}: E|w|^2 after {args.steps} steps over its start, per seed: {per_seed}")


if __name__ == "__main__":
    main()
