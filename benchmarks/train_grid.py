"""Seed-batched grid training against a plain per-seed PyTorch loop.

Every variant trains the same model (an MMD autoencoder with the paper's
settings, width x1, batch 100) for the same steps per seed, with the same data,
randomness and training loop (couae.core.training). Timed, interleaved over rounds
(medians reported):

  plain      one nn.Sequential encoder/decoder per seed, trained seed after
             seed; MMD^2 of eq. (2) written with tensor ops and differentiated
             by autograd; torch.optim.Adam with its defaults. What one writes
             without this package.
  plain+lib  the same per-seed loop with this package's MMD (closed-form
             gradient) and fused Adam: isolates what batching alone gives.
  batched    this package: all seeds' networks stacked into batched matmuls,
             one step advances every seed (the workflow's eager path).
  compiled   batched, with the whole update step under torch.compile
             (couae.core.accelerate); one run, compiled before timing and
             then continued for `steps` more steps in each round.
  graphed    (CUDA only) compiled's networks with the step captured once as
             a CUDA graph and replayed.

Prints run-steps per second (steps x seeds / s) per variant, the one-off
compile time, and the ratios. Its CPU measurements decide `compile: auto` on
a CPU: compiled for the autoencoders (faster there), eager for the Coulomb GAN
and the learned kernel (not faster); each step class says which.

    python benchmarks/train_grid.py [--seeds 10] [--steps 300] [--device auto] [--backend inductor]
"""

import argparse
import dataclasses
import statistics
import time

import torch

import _common
from couae.core.mmd import pairwise_sq_dist
from couae.core.training import train
from couae.grid import model as grid_model
from couae.grid.data import make_splits
from couae.runtime.devices import resolve_device
from helpers import paper_grid, small_settings


def autograd_mmd2(kernel, x, y):
    """Eq. (2) with tensor ops only, differentiated by autograd (the baseline)."""
    n, m = x.shape[-2], y.shape[-2]
    off_x = ~torch.eye(n, dtype=torch.bool, device=x.device)
    off_y = ~torch.eye(m, dtype=torch.bool, device=x.device)
    kxx = (kernel(pairwise_sq_dist(x, x).masked_fill(~off_x, 1.0)) * off_x).sum((-2, -1)) / (n * (n - 1))
    kyy = (kernel(pairwise_sq_dist(y, y).masked_fill(~off_y, 1.0)) * off_y).sum((-2, -1)) / (m * (m - 1))
    return kxx + kyy - 2.0 * kernel(pairwise_sq_dist(x, y)).mean((-2, -1))


def make_plain_textbook(settings, data, device, seed):
    run = grid_model.build_run(settings, data, device, seeds=[seed], stacked=False)
    step = run.step_fn
    step.objective.estimator = autograd_mmd2
    params = list(step.encoder.parameters()) + list(step.decoder.parameters())
    step.optimizer = torch.optim.Adam(params, lr=settings.lr, betas=tuple(settings.adam_betas))
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument(
        "--experiment", default="couae", help="an experiment of config.yaml (the plain loops: MMD autoencoders only)"
    )
    parser.add_argument("--width", type=float, default=1.0)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; medians are reported")
    parser.add_argument("--backend", default="inductor", help="torch.compile's backend for the compiled variant")
    parser.add_argument("--no-plain", action="store_true", help="time the batched variants only")
    args = parser.parse_args()
    device = resolve_device(args.device)
    settings = small_settings(
        args.experiment,
        args.width,
        seeds=list(range(args.seeds)),
        iterations=args.steps,
        log_every=args.steps,
        checkpoint_every=args.steps,
    )
    plain_loops = settings.model == "mmd" and not args.no_plain  # the textbook loop is written for eq. (2)
    sizes = {"train": 500, "validation": 2, "test": 2, "reference": 2}
    data = make_splits(paper_grid(), sizes, seed=0)["train"]
    steps = args.steps

    variants = (
        {}
        if not plain_loops
        else {
            "plain": lambda: [
                train(make_plain_textbook(settings, data, device, s), steps, steps, steps) for s in settings.seeds
            ],
            "plain+lib": lambda: [
                train(grid_model.build_run(settings, data, device, seeds=[s], stacked=False), steps, steps, steps)
                for s in settings.seeds
            ],
        }
    )
    variants["batched"] = lambda: train(grid_model.build_run(settings, data, device), steps, steps, steps)
    warm = dataclasses.replace(settings, seeds=(0,))
    if plain_loops:
        train(make_plain_textbook(warm, data, device, 0), 20, 20, 20)
        train(grid_model.build_run(warm, data, device, stacked=False), 20, 20, 20)
    train(grid_model.build_run(warm, data, device), 20, 20, 20)
    accelerated = ["compiled"] + (["graphed"] if torch.device(device).type == "cuda" else [])
    compile_seconds = {}
    for mode in accelerated:  # one run each, compiled (or captured) before timing, then continued
        run = grid_model.build_run(settings, data, device, compile_mode=mode, backend=args.backend)
        start = time.perf_counter()
        train(run, steps, steps, steps)
        compile_seconds[mode] = time.perf_counter() - start
        variants[mode] = lambda run=run: train(run, run.step + steps, steps, steps)

    times = {name: [] for name in variants}
    for _ in range(args.rounds):  # interleaved, so drifts in machine speed hit every variant
        for name, fn in variants.items():
            times[name].append(_common.timed(fn, device))
    median = {name: statistics.median(t) for name, t in times.items()}
    run_steps = steps * args.seeds
    print(
        f"device {device}, torch threads {torch.get_num_threads()}, {args.seeds} seeds x {steps} steps, "
        f"{args.experiment} width x{args.width:g}, batch {settings.batch_size}, "
        f"median of {args.rounds} interleaved rounds"
    )
    for name, t in median.items():
        print(f"{name:10s} {run_steps / t:9.1f} run-steps/s ({t:.2f} s)")
    for mode, seconds in compile_seconds.items():
        print(f"{mode}: compiling and the first {steps} steps took {seconds:.1f} s (compiling happens once per job)")
    for mode in accelerated:
        print(f"{mode} vs eager batched: {median['batched'] / median[mode]:.2f}x")
    if plain_loops:
        print(f"batching alone (batched vs plain+lib): {median['plain+lib'] / median['batched']:.2f}x")
        print(f"seed-batched speed-up over the plain per-seed loop: {median['plain'] / median['batched']:.2f}x")


if __name__ == "__main__":
    main()
