"""CelebA training throughput of the x1 model at batch 100, with FLOP utilisation.

Trains the paper's x1 DCGAN autoencoder (CouAE by default) through the real
training loop (couae.core.training.train) on random uint8 images of the CelebA
shape, kept on the device as the workflow keeps them. Counts the FLOPs of one
training step (forward and backward, torch.utils.flop_counter), then times
blocks of steps in each precision, interleaved over rounds (medians).

Prints per precision: images/s, ms per step, projected minutes for the
paper's 100,000 iterations, the FLOP rate against a dense matmul's measured
rate in the same precision, and on a GPU the model FLOP utilisation against
the device's dense peak (--peak-tflops, or a table of known GPUs). The last
lines are the ratios: mixed precision over float32, and the projected run time
over the 15-minute target for one H100.

    python benchmarks/train_celeba.py [--steps 50] [--rounds 3] [--device auto]
"""

import argparse
import statistics

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

import _common
from couae.celeba import model as image_model
from couae.celeba.settings import celeba_training_settings
from couae.core.training import train
from couae.report import paper
from couae.runtime.devices import resolve_device
from helpers import load_config

CELEBA_ITERATIONS = paper.iterations("celeba")

TARGET_MINUTES = 15.0
# dense peak TFLOP/s: (float32 via TF32 tensor cores, bfloat16/float16)
KNOWN_PEAKS = {"H100": (494.7, 989.4), "H200": (494.7, 989.4), "A100": (156.0, 312.0)}


def peak_tflops(device, precision, override):
    if override:
        return override
    if device.type != "cuda":
        return None
    name = torch.cuda.get_device_name(device)
    for key, (tf32, half) in KNOWN_PEAKS.items():
        if key in name:
            return half if precision != "none" else tf32
    return None


def flops_per_step(run) -> int:
    """FLOPs of one training step's forward and backward passes."""
    with FlopCounterMode(display=False) as counter:
        train(run, run.step + 1, 1, 1)
    return counter.get_total_flops()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--experiment", default="couae")
    parser.add_argument("--width", type=float, default=1.0)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--steps", type=int, default=None, help="steps per timed block (default 50 GPU, 2 CPU)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--peak-tflops", type=float, default=None)
    args = parser.parse_args()
    device = resolve_device(args.device)
    torch.backends.cudnn.benchmark = True
    steps = args.steps or (50 if device.type == "cuda" else 2)
    precisions = ["bf16", "none"] if device.type == "cuda" else ["none"]
    images = np.random.default_rng(0).integers(0, 256, (5000, 3, 64, 64), dtype=np.uint8)

    runs, flops = {}, {}
    for precision in precisions:
        settings = celeba_training_settings(
            load_config({"celeba": {"training": {"batch_size": args.batch_size, "mixed_precision": precision}}}),
            args.experiment,
            args.width,
            0,
        )
        run = image_model.build_run(settings, images, device)
        flops[precision] = flops_per_step(run)
        train(run, run.step + 3, 1, 1)  # warm-up: cuDNN autotuning, allocator
        runs[precision] = run
    times = {p: [] for p in precisions}
    for _ in range(args.rounds):
        for p, run in runs.items():
            block = lambda run=run: train(run, run.step + steps, steps, steps)  # noqa: E731
            times[p].append(_common.timed(block, device) / steps)

    print(
        f"device: {device} ({torch.cuda.get_device_name(device) if device.type == 'cuda' else 'CPU'}), "
        f"{args.experiment} x{args.width:g}, batch {args.batch_size}, {steps} steps x {args.rounds} rounds"
    )
    gemm = _common.matmul_rate(device, 8192 if device.type == "cuda" else 1024)
    median = {}
    for p in precisions:
        median[p] = statistics.median(times[p])
        line = (
            f"{'bf16 autocast' if p == 'bf16' else 'float32':>13}: {args.batch_size / median[p]:8.0f} images/s, "
            f"{1000 * median[p]:7.1f} ms/step, {flops[p] / 1e12:.2f} TFLOP/step, "
            f"{CELEBA_ITERATIONS} iterations in {CELEBA_ITERATIONS * median[p] / 60:.1f} min"
        )
        peak = peak_tflops(device, p, args.peak_tflops)
        if peak:
            line += f", MFU {flops[p] / median[p] / 1e12 / peak:.1%} of {peak:g} TFLOP/s"
        measured = gemm[{"bf16": "bfloat16"}.get(p, "float32")]
        line += f", {flops[p] / median[p] / 1e12 / measured:.1%} of the measured matmul rate ({measured:.3g} TFLOP/s)"
        print(line)
    if "bf16" in median:
        print(f"ratio bf16 / float32 speed: {median['none'] / median['bf16']:.2f}x")
    best = min(median.values())
    print(
        f"ratio projected run / {TARGET_MINUTES:g}-minute target: {CELEBA_ITERATIONS * best / 60 / TARGET_MINUTES:.2f} "
        "(<= 1 meets the target; the target is for one H100)"
    )


if __name__ == "__main__":
    main()
