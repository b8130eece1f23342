"""What the convergence snapshots add to a paper-settings grid job.

A grid job trains 10 seeds for 3,000,000 steps, then evaluates the final
networks (KDE log-likelihood of 10,000 samples per seed, reconstruction
errors). The snapshots add: copying the networks at each snapshot step,
generating their samples, and one more KDE evaluation per snapshot and seed.
Measured here, side by side, on this machine: the training rate (x1 networks,
the workflow's batched loop), the final evaluation of a seed, and the
snapshot work of a seed; the job times are projected from them.

Prints both projected times and, last, the ratio of the snapshot work to the
job without it (the target is at most 0.10).

    python benchmarks/snapshots.py [--steps 300] [--threads 2] [--device cpu]
"""

import argparse
import dataclasses
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

import _common
from couae.core.training import snapshot, train
from couae.grid import model as grid_model
from couae.grid.data import make_splits
from couae.grid.evaluation import convergence_rows, evaluate_job
from couae.grid.settings import grid_data_settings, grid_evaluation_settings, grid_training_settings
from couae.runtime.devices import resolve_device
from couae.settings import gap_settings
from helpers import load_config, paper_grid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=300, help="training steps timed")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    config = load_config()
    settings = grid_training_settings(config, "narrow", "couae", 1.0)
    data = grid_data_settings(config, "narrow")
    sizes = {"train": data.n_train, "validation": data.n_validation, "test": data.n_test, "reference": 2}
    splits = make_splits(paper_grid(), sizes, data.seed)
    evaluation = grid_evaluation_settings(config)

    run = grid_model.build_run(settings, splits["train"], device)
    train(run, args.steps, args.steps, args.steps)  # warm-up
    seconds = _common.timed(lambda: train(run, run.step + args.steps, args.steps, args.steps), device)
    per_step = seconds / args.steps
    copy = _common.timed(lambda: snapshot(run), device)

    # one final evaluation of two seeds, then the snapshot work for the same seeds
    two = dataclasses.replace(settings, seeds=settings.seeds[:2], snapshots=(20,))
    small = train(grid_model.build_run(two, splits["train"], device), 40, 20, 20, snapshot_steps=two.snapshots)
    samples = grid_model.generate(small, two.n_generated)
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for k, seed in enumerate(two.seeds):
            torch.save(grid_model.seed_weights(small, k, two), Path(tmp) / f"w{seed}.pt")
            np.save(Path(tmp) / f"s{seed}.npy", samples[k])
            paths.append((Path(tmp) / f"w{seed}.pt", Path(tmp) / f"s{seed}.npy"))
        start = time.perf_counter()
        final = evaluate_job("narrow", two, *zip(*paths, strict=True), splits, evaluation, gap_settings(config))
        final_per_seed = (time.perf_counter() - start) / len(two.seeds)
    start = time.perf_counter()
    kept = grid_model.snapshots(small, two)
    convergence_rows(kept, final, splits, evaluation)
    snapshot_per_seed = (time.perf_counter() - start) / len(two.seeds)

    n_seeds, n_snapshots = len(settings.seeds), len(settings.snapshots)
    job = settings.iterations * per_step + n_seeds * final_per_seed
    extra = n_snapshots * (copy + n_seeds * snapshot_per_seed)
    print(
        f"device {device}, {args.threads} threads; paper settings: {n_seeds} seeds x {settings.iterations} steps, "
        f"snapshots at {list(settings.snapshots)}"
    )
    print(f"training: {per_step * 1e3:.3f} ms per step (all seeds) -> {settings.iterations * per_step / 3600:.2f} h")
    print(f"final evaluation: {final_per_seed:.1f} s per seed; one snapshot: {copy * 1e3:.1f} ms to keep, "
          f"{snapshot_per_seed:.1f} s per seed to evaluate")  # fmt: skip
    print(f"job without snapshots {job / 3600:.2f} h; snapshots add {extra / 60:.1f} min")
    print(f"ratio snapshot work / job: {extra / job:.3f} (target <= 0.10)")


if __name__ == "__main__":
    main()
