"""Time per training step of the extension rows built from the works the
paper stands on (Coulomb GAN; MMD autoencoder with KernelNet's learned kernel,
without and with its pair-dependent part) against the CouAE row on the grid
(paper settings: width x1, batch 100, 10 seeds trained together), all through
the same training loop, measured interleaved in one run (medians).

    python benchmarks/extension_rows.py [--seeds 10] [--steps 300] [--rounds 3] [--threads 2]
"""

import argparse
import dataclasses
import statistics

import torch

import _common
from couae.core.training import train
from couae.grid import model as grid_model
from couae.grid.data import make_splits
from helpers import paper_grid, small_settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    data = make_splits(paper_grid(), {"train": 500, "validation": 1, "test": 1, "reference": 1}, seed=0)["train"]
    seeds = list(range(args.seeds))
    rows = {}
    for experiment in ("couae", "coulombgan", "learnedae"):
        rows[experiment] = small_settings(experiment, width=1.0, variant="cited", iterations=args.steps, seeds=seeds,
                                          log_every=100, checkpoint_every=100)  # fmt: skip
    learned = rows["learnedae"]
    rows["learnedae+pairs"] = dataclasses.replace(
        learned, kernel_params={**learned.kernel_params, "data_dependent": True}
    )
    times = {name: [] for name in rows}
    for _ in range(args.rounds):
        for name, settings in rows.items():
            run = grid_model.build_run(settings, data)
            times[name].append(_common.timed(lambda run=run: train(run, args.steps, 100, 100)) / args.steps)
    per_step = {name: statistics.median(t) for name, t in times.items()}
    print(f"grid, width x1, batch 100, {args.seeds} seeds per step, {args.steps} steps x {args.rounds} rounds, "
          f"torch threads {torch.get_num_threads()}")  # fmt: skip
    for name, t in per_step.items():
        print(f"{name:16s} {t * 1e3:7.2f} ms per step ({args.seeds / t:8,.0f} run-steps/s), "
              f"ratio to couae {t / per_step['couae']:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
