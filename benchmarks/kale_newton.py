"""The KALE flow's cost: one warm-started Newton solve of the dual on the rings
setup's 240 particles and targets, per flow step, against one MMD flow step
on the same particles, measured side by side in one run (CPU).

Each KALE step solves a 240 x 240 Newton system per iteration; warm starts
keep the iterations per step few. Printed: time per step of each, Newton
iterations per step, the ratio, and the projection to the paper's 50,000 steps.

    python benchmarks/kale_newton.py [--steps 300] [--lam 1e-3] [--threads 1]
"""

import argparse
import time

import torch
import yaml

import _common
from couae.kernels import make_kernel
from couae.theory.particle_flows import KaleSolver, make_setup, mmd_witness_gradient
from helpers import REPO


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--lam", type=float, default=1e-3)
    parser.add_argument("--lr", type=float, default=1e-4, help="the rings setup's KALE step (notes)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    spec = yaml.safe_load((REPO / "config.yaml").read_text())["theory"]["flows"]["setups"]["rings"]
    setup = make_setup(spec, 0, "rings")
    kernel = make_kernel(spec["kernel"]["kernel"], 2, **spec["kernel"]["params"])
    solver = KaleSolver(kernel, setup.targets, args.lam, spec["newton_iterations"])
    z = setup.starts.clone()
    solver.solve(z)  # the cold start, not timed: the flow pays it once

    def kale_steps():
        nonlocal z
        iterations = 0
        for _ in range(args.steps):
            iterations += solver.solve(z).iterations
            z = z - args.lr * (1 + args.lam) * solver.witness_gradient(z, z)
        return iterations

    start = time.perf_counter()
    iterations = kale_steps()
    kale = (time.perf_counter() - start) / args.steps
    w = setup.starts.clone()
    mmd = _common.timed(lambda: [mmd_witness_gradient(kernel, w, w, setup.targets) for _ in range(args.steps)])
    mmd /= args.steps
    print(f"rings setup: {len(z)} particles, {len(setup.targets)} targets, lambda {args.lam:g}, "
          f"{args.steps} steps, torch threads {torch.get_num_threads()}")  # fmt: skip
    print(f"KALE step (warm-started Newton + velocity): {kale * 1e3:.3f} ms, "
          f"{iterations / args.steps:.2f} Newton iterations per step")  # fmt: skip
    print(f"MMD step (velocity):                        {mmd * 1e3:.3f} ms")
    print(f"ratio KALE / MMD: {kale / mmd:.1f}; 50,000 steps: KALE {kale * 5e4:.0f} s, MMD {mmd * 5e4:.0f} s")


if __name__ == "__main__":
    main()
