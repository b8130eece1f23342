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

Also, where no GPU is at hand to show progress:
  --ops     the aten operations one step runs (torch profiler) for one run of
            one seed, one job of --seeds seeds and each pack of the paper's grid
            rows as the workflow packs them on a GPU: the work a CUDA graph
            launches, per step;
  --pack    those packs against the same runs trained one job after another
            (same mode): whether packing pays on this device;
  --record  writes the rate of the mode `compile: auto` picks here into
            workflow/couae/runtime/rates.yaml, which the workflow reads to say
            at start what a run will cost (with --machine naming this machine).
It prints the projection formula gpu_check.py applies to the packs' step times.
"""

import argparse
import dataclasses
import statistics
import time

import torch

import _common
from couae.core.accelerate import mode_for
from couae.core.mmd import pairwise_sq_dist
from couae.core.training import train
from couae.grid import model as grid_model
from couae.grid import settings as GS
from couae.grid.data import make_splits
from couae.runtime.devices import resolve_device
from helpers import paper_grid, small_settings

PAPER_ROWS = ["vae", "wae", "couae"]  # the paper's grid rows, as the packs of --ops and --pack hold them


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
    parser.add_argument("--ops", action="store_true", help="aten operations per step: a run, a job, a pack")
    parser.add_argument("--pack", action="store_true", help="the paper rows' packs against their runs one by one")
    parser.add_argument("--record", action="store_true", help="write auto's rate into the workflow's rates.yaml")
    parser.add_argument("--machine", default=None, help="with --record: what this machine is, in words")
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
    auto = mode_for("auto", device, grid_model.build_run(settings, data, device).step_fn)
    auto_rate = run_steps / median["batched" if auto == "eager" else auto]
    print(f"auto runs {args.experiment} {auto} here: {auto_rate:.1f} run-steps/s")
    if args.record:
        record(args, device, auto_rate, auto, settings)
    if args.ops:
        operations(args, settings, data, device)
    if args.pack:
        packed_against_jobs(args, device)
    print(f"projection (benchmarks/gpu_check.py): {_common.PROJECTION_FORMULA}")


def record(args, device, rate, mode, settings) -> None:
    """This machine's rate of one job (--seeds seeds, width x1) into the workflow's rates.yaml."""
    import subprocess

    import yaml

    from couae.runtime import estimate

    if args.width != 1.0 or args.seeds != 10:
        raise SystemExit("--record measures one job as the workflow runs it: 10 seeds at width x1")
    kind = "gpu" if torch.device(device).type == "cuda" else "cpu"
    text = estimate.RATES.read_text()
    header = "".join(line for line in text.splitlines(keepends=True) if line.startswith("#"))
    rates = yaml.safe_load(text)
    entry = rates.setdefault("grid", {}).setdefault(kind, {"rates": {}})
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    entry.update(machine=args.machine or entry.get("machine", kind), command="benchmarks/train_grid.py --record",
                 commit=commit, note=f"{args.steps} steps, {args.seeds} seeds, {torch.get_num_threads()} threads, "
                 "each row in the mode compile auto picks")  # fmt: skip
    entry["rates"][args.experiment] = round(rate, 1)
    estimate.RATES.write_text(header + yaml.safe_dump(rates, sort_keys=False, width=110))
    print(f"recorded {args.experiment}: {rate:.1f} run-steps/s ({kind}) in {estimate.RATES}")


def operations(args, settings, data, device) -> None:
    """aten operations per step (nested ones included) of a run, a job and each paper-rows pack."""
    import tempfile

    from torch.profiler import ProfilerActivity, profile

    def per_step(run, steps=5):
        train(run, steps, steps, steps)  # warm-up
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            train(run, run.step + steps, steps, steps)
        return sum(1 for e in prof.events() if e.name.startswith("aten::")) / steps

    one = dataclasses.replace(settings, seeds=(0,))
    print(f"aten ops per step: one run of one seed {per_step(grid_model.build_run(one, data, device)):.0f}")
    print(
        f"aten ops per step: one job of {args.seeds} seeds {per_step(grid_model.build_run(settings, data, device)):.0f}"
    )
    config = _common.paper_config(args.seeds, rows=PAPER_ROWS)
    with tempfile.TemporaryDirectory() as folder:
        for pack in _common.workflow_packs(config):
            run = _common.built_pack(config, pack, device, folder, mode="eager")
            print(f"aten ops per step: pack {pack.name} ({len(pack.runs)} runs, {len(run.sampler.seeds)} seeds) "
                  f"{per_step(run):.0f}")  # fmt: skip


def packed_against_jobs(args, device) -> None:
    """The paper rows' packs against their runs trained one job after another, eager both."""
    import tempfile

    config = _common.paper_config(args.seeds, rows=PAPER_ROWS)
    steps = args.steps
    with tempfile.TemporaryDirectory() as folder:
        for pack in _common.workflow_packs(config):
            run = _common.built_pack(config, pack, device, folder, mode="eager")
            jobs = []
            for variant, experiment, width in pack.runs:
                settings = GS.grid_training_settings(config, variant, experiment, width, pack.block)
                train_data = make_splits(paper_grid(variant), {"train": 500, "validation": 2, "test": 2,
                                                               "reference": 2}, seed=0)["train"]  # fmt: skip
                jobs.append(grid_model.build_run(settings, train_data, device))
            train(run, steps, steps, steps)  # warm-up, both
            for job in jobs:
                train(job, steps, steps, steps)
            packed = _common.timed(lambda run=run: train(run, run.step + steps, steps, steps), device)
            alone = sum(_common.timed(lambda j=j: train(j, j.step + steps, steps, steps), device) for j in jobs)
            print(f"pack {pack.name} ({len(pack.runs)} runs): {packed:.2f} s for {steps} steps; its runs one job "
                  f"after another {alone:.2f} s: packed {alone / packed:.2f}x as fast")  # fmt: skip


if __name__ == "__main__":
    main()
