"""Particle flows compared on the same particles: the MMD flow (Arbel et al.
2019), with noise injection, the KALE flow (Glaser et al. 2021), and MMD flows
under the Coulomb and Plummer kernels. Sources and settings:
`../shared/notes/related-models.md`, section 3.

M particles z_j move towards N fixed targets y_i. Every flow is an Euler step
z_j <- z_j - lr * velocity(z_j + beta_t u_j), where the velocity is the gradient
of a witness function built from the un-noised particles (u_j ~ N(0, I) drawn
fresh every step; beta_t = 0 without noise injection):
- MMD flow: f(z) = mean_j k(z, z_j) - mean_i k(z, y_i), velocity grad f. It is
  M times the gradient of F = MMD^2 / 2 (V-statistic) with respect to z_j.
- KALE flow: f = (1/lambda) [mean_j k(., z_j) - sum_i alpha_i k(., y_i)] with
  alpha >= 0 minimising the convex dual
    J(alpha) = sum_i alpha_i log(N alpha_i) - sum_i alpha_i
               + 1/(2 lambda) ||sum_i alpha_i k(., y_i) - mean_j k(., z_j)||^2,
  solved by Newton's method with an Armijo line search that keeps alpha > 0,
  warm-started from the previous step; velocity (1 + lambda) grad f. At the
  optimum alpha_i = exp(f(y_i)) / N, and KALE = (1 + lambda) [mean_j f(z_j) -
  mean_i exp(f(y_i)) + 1 - (lambda / 2) ||f||^2]; the primal value equals J + 1.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

import numpy as np
import ot
import pandas as pd
import torch

from ..core.mmd import mmd2_empirical, pairwise_sq_dist
from ..core.seeding import torch_generator
from ..kernels import make_kernel
from ..settings import FlowSettings

log = logging.getLogger(__name__)


# --- the setups: targets, starting particles, modes ---------------------------------------------


@dataclass
class FlowSetup:
    targets: torch.Tensor  # (N, d)
    starts: torch.Tensor  # (M, d)
    mode_centres: torch.Tensor  # (K, d)
    mode_radii: torch.Tensor  # (K,): 0 for a point or Gaussian mode, the radius for a ring
    cover_radius: float  # a particle within this distance of a mode sits on it


def make_setup(spec, seed: int, name: str) -> FlowSetup:
    """A setup from its config entry (theory.flows.setups.<name>); random draws
    come from the setup's own streams, so every row of a setup starts alike."""
    targets_gen = torch_generator(seed, f"flows/{name}/targets")
    starts_gen = torch_generator(seed, f"flows/{name}/starts")
    kind = spec["kind"]
    if kind == "rings":
        centres = torch.tensor(spec["centres"], dtype=torch.float64)
        angles = torch.arange(spec["per_mode"], dtype=torch.float64) * (2 * math.pi / spec["per_mode"])
        circle = spec["radius"] * torch.stack([angles.cos(), angles.sin()], dim=-1)
        targets = (centres[:, None, :] + circle[None]).reshape(-1, 2)
        radii = torch.full((len(centres),), float(spec["radius"]), dtype=torch.float64)
    elif kind == "gaussians":
        centres = torch.tensor(spec["centres"], dtype=torch.float64)
        noise = torch.randn(
            len(centres), spec["per_mode"], centres.shape[1], generator=targets_gen, dtype=torch.float64
        )
        targets = (centres[:, None, :] + spec["std"] * noise).reshape(-1, centres.shape[1])
        radii = torch.zeros(len(centres), dtype=torch.float64)
    elif kind == "prior":  # Theorem 1's setting: targets and starts both from N(0, I)
        targets = torch.randn(spec["n_targets"], spec["dim"], generator=targets_gen, dtype=torch.float64)
        centres, radii = targets, torch.zeros(len(targets), dtype=torch.float64)
    else:
        raise ValueError(f"unknown flow setup kind {kind!r}")
    dim = targets.shape[1]
    if kind == "prior":
        starts = torch.randn(spec["n_particles"], dim, generator=starts_gen, dtype=torch.float64)
    else:
        mean = torch.tensor(spec["start_mean"], dtype=torch.float64)
        starts = mean + spec["start_std"] * torch.randn(
            spec["n_particles"], dim, generator=starts_gen, dtype=torch.float64
        )
    return FlowSetup(targets, starts, centres, radii, float(spec["cover_radius"]))


def mode_coverage(particles: torch.Tensor, setup: FlowSetup) -> float:
    """The fraction of modes holding at least half their fair share of the
    particles (M / number of modes) within cover_radius: a ring counts the
    distance to its circle, a point or Gaussian mode the distance to its centre."""
    dist = (torch.cdist(particles, setup.mode_centres) - setup.mode_radii).abs()
    nearest = dist.argmin(1)
    on_mode = dist.gather(1, nearest[:, None])[:, 0] <= setup.cover_radius
    counts = torch.bincount(nearest[on_mode], minlength=len(setup.mode_centres))
    fair = len(particles) / len(setup.mode_centres)
    return float((counts >= 0.5 * fair).double().mean())


def wasserstein2(particles: torch.Tensor, targets: torch.Tensor) -> float:
    """The exact W2 distance between the two empirical measures (POT's network simplex)."""
    a, b = particles.numpy(), targets.numpy()
    return math.sqrt(max(ot.emd2([], [], ot.dist(a, b), numItermax=10_000_000), 0.0))


# --- witness functions and their gradients ------------------------------------------------------


def kernel_gradient_mean(kernel, points: torch.Tensor, centres: torch.Tensor, weights=None) -> torch.Tensor:
    """sum_j w_j grad_p k(p, c_j) at every point p (w: uniform 1/len(c) by
    default): with s the kernel's slope dk/d(d^2), grad_p k = 2 s (p - c)."""
    _, slope = kernel.value_and_slope(pairwise_sq_dist(points, centres))
    slope = slope / len(centres) if weights is None else slope * weights[None, :]
    return 2.0 * (slope.sum(-1, keepdim=True) * points - slope @ centres)


def mmd_witness_gradient(kernel, points, particles, targets) -> torch.Tensor:
    """grad f at `points`, f(z) = mean_j k(z, z_j) - mean_i k(z, y_i)."""
    return kernel_gradient_mean(kernel, points, particles) - kernel_gradient_mean(kernel, points, targets)


@dataclass
class KaleSolution:
    alpha: torch.Tensor  # (N,)
    iterations: int
    value: float  # KALE
    dual_gap: float  # J(alpha) + 1 - primal(f_alpha) >= 0, 0 at the optimum
    f_targets: torch.Tensor  # f(y_i)
    f_particles: torch.Tensor  # f(z_j)


class KaleSolver:
    """The KALE dual for fixed targets: Newton's method with an Armijo line
    search (constant `armijo`, shrink `shrink`) that keeps alpha > 0, stopping
    when half the squared Newton decrement is below `tolerance` or after
    `max_iterations`; each solve starts from the previous alpha."""

    def __init__(self, kernel, targets, lam: float, max_iterations: int, tolerance=1e-6, armijo=0.4, shrink=0.8):
        self.kernel, self.targets, self.lam = kernel, targets, lam
        self.max_iterations, self.tolerance, self.armijo, self.shrink = max_iterations, tolerance, armijo, shrink
        self.k_yy = kernel(pairwise_sq_dist(targets, targets))
        n = len(targets)
        self.alpha = torch.full((n,), 1.0 / n, dtype=targets.dtype)

    def _dual(self, alpha, b, c) -> float:
        n = len(alpha)
        entropy = (alpha * torch.log(n * alpha)).sum() - alpha.sum()
        return float(entropy + (alpha @ self.k_yy @ alpha - 2.0 * alpha @ b + c) / (2.0 * self.lam))

    def _line_search(self, alpha, direction, value, slope, b, c):
        """(alpha + step direction, its J) for the first step 1, shrink, shrink^2, ...
        that keeps alpha > 0 and passes Armijo's test; None below 1e-20."""
        step = 1.0
        while step >= 1e-20:
            trial = alpha + step * direction
            if bool((trial > 0).all()):
                trial_value = self._dual(trial, b, c)
                if trial_value <= value + self.armijo * step * slope:
                    return trial, trial_value
            step *= self.shrink
        return None

    def solve(self, particles: torch.Tensor) -> KaleSolution:
        lam, n, m = self.lam, len(self.targets), len(particles)
        k_yz = self.kernel(pairwise_sq_dist(self.targets, particles))
        k_zz = self.kernel(pairwise_sq_dist(particles, particles))
        b = k_yz.sum(1) / m  # (1/M) sum_j k(y_i, z_j)
        c = float(k_zz.sum()) / m**2
        alpha = self.alpha.clone()
        value = self._dual(alpha, b, c)
        iterations = 0  # Newton updates taken
        while iterations < self.max_iterations:
            grad = torch.log(n * alpha) + (self.k_yy @ alpha - b) / lam
            hessian = torch.diag(1.0 / alpha) + self.k_yy / lam
            direction = -torch.linalg.solve(hessian, grad)
            slope = float(grad @ direction)  # -(Newton decrement)^2
            if -slope / 2.0 < self.tolerance:
                break
            found = self._line_search(alpha, direction, value, slope, b, c)
            if found is None:  # no descent left in float64: alpha is optimal to rounding
                break
            alpha, value = found
            iterations += 1
        self.alpha = alpha
        f_targets = (b - self.k_yy @ alpha) / lam
        f_particles = (k_zz.sum(1) / m - k_yz.T @ alpha) / lam
        norm2 = (c - 2.0 * alpha @ b + alpha @ self.k_yy @ alpha) / lam**2
        primal = float(f_particles.mean() - f_targets.exp().mean() + 1.0 - lam / 2.0 * norm2)
        return KaleSolution(alpha, iterations, (1.0 + lam) * primal, value + 1.0 - primal, f_targets, f_particles)

    def witness_gradient(self, points, particles) -> torch.Tensor:
        """grad f at `points` for the current alpha (after `solve(particles)`)."""
        towards = kernel_gradient_mean(self.kernel, points, self.targets, weights=self.alpha)
        return (kernel_gradient_mean(self.kernel, points, particles) - towards) / self.lam


# --- the flows ----------------------------------------------------------------------------------


def noise_level(noise, step: int) -> float:
    """beta_t of a row's noise schedule: none; halving (beta0 0.5^floor(t / every),
    sum of squares finite); sqrt (beta0 / sqrt(1 + t / every), sum of squares
    infinite, as Prop. 8 asks)."""
    if not noise or noise["schedule"] == "none":
        return 0.0
    if noise["schedule"] == "halving":
        return noise["beta0"] * 0.5 ** (step // noise["every"])
    if noise["schedule"] == "sqrt":
        return noise["beta0"] / math.sqrt(1.0 + step / noise["every"])
    raise ValueError(f"unknown noise schedule {noise['schedule']!r}")


class Flow:
    """One row's velocity field on one setup."""

    def __init__(self, settings: FlowSettings, setup: FlowSetup):
        row = settings.row
        dim = setup.targets.shape[1]
        kernel_spec = row.get("kernel") or settings.setup["kernel"]
        self.kernel = make_kernel(kernel_spec["kernel"], dim, **kernel_spec["params"])
        self.method, self.targets = row["method"], setup.targets
        self.lam = row.get("lambda")
        self.solver = None
        if self.method == "kale":
            self.solver = KaleSolver(self.kernel, setup.targets, self.lam, settings.setup["newton_iterations"])
        self.last_solution: KaleSolution | None = None

    def velocity(self, points, particles) -> torch.Tensor:
        """The descent direction at `points` of the witness built from `particles`."""
        if self.method == "mmd":
            return mmd_witness_gradient(self.kernel, points, particles, self.targets)
        self.last_solution = self.solver.solve(particles)
        return (1.0 + self.lam) * self.solver.witness_gradient(points, particles)


def evaluation_kernels(settings: FlowSettings, dim: int) -> dict:
    return {
        name: make_kernel(spec["kernel"], dim, **spec["params"])
        for name, spec in settings.evaluation["kernels"].items()
    }


def run_flow(settings: FlowSettings) -> tuple[pd.DataFrame, dict]:
    """The flow of one (setup, row): metrics every settings.record_every steps
    and at the end, and the particles' positions at those steps (for the
    figure) with the targets."""
    setup = make_setup(settings.setup, settings.seed, settings.setup_name)
    flow = Flow(settings, setup)
    dim = setup.targets.shape[1]
    kernels = evaluation_kernels(settings, dim)
    kale_meter = KaleSolver(  # a measurement: solved tighter than the flows' own stopping rule
        next(iter(kernels.values())),
        setup.targets,
        settings.evaluation["kale_lambda"],
        settings.setup["newton_iterations"],
        tolerance=1e-10,
    )
    lr = settings.row.get("lr_per_setup", {}).get(settings.setup_name, settings.row["lr"])
    max_step = settings.row.get("max_step")
    noise_gen = torch_generator(settings.seed, f"flows/{settings.setup_name}/{settings.row_name}/noise")
    z = setup.starts.clone()
    records, positions, steps = [], [], []
    started = last_log = time.perf_counter()
    for t in range(settings.steps + 1):
        if t % settings.record_every == 0 or t == settings.steps:
            records.append(_metrics(t, z, setup, flow, kernels, kale_meter, time.perf_counter() - started))
            positions.append(z.clone())
            steps.append(t)
            if time.perf_counter() - last_log > 30 or t == settings.steps:
                last_log = time.perf_counter()
                rate = t / max(last_log - started, 1e-9)
                name = f"{settings.setup_name}/{settings.row_name}"
                log.info("%s step %d of %d (%.0f steps/s): W2 %.4g, coverage %.2f", name, t, settings.steps, rate,
                         records[-1]["w2"], records[-1]["coverage"])  # fmt: skip
        if t == settings.steps:
            break
        beta = noise_level(settings.row.get("noise"), t)
        probe = z + beta * torch.randn(z.shape, generator=noise_gen, dtype=z.dtype) if beta > 0 else z
        step = lr * flow.velocity(probe, z)
        if max_step is not None:  # a singular kernel must not throw a particle across the plane
            step = step * (max_step / step.norm(dim=-1, keepdim=True).clamp_min(1e-300)).clamp(max=1.0)
        z = z - step
        if not bool(torch.isfinite(z).all()):
            raise FloatingPointError(f"{settings.setup_name}/{settings.row_name}: particles not finite at step {t}")
    trajectory = {
        "steps": np.array(steps),
        "positions": torch.stack(positions).numpy(),
        "targets": setup.targets.numpy(),
    }
    return pd.DataFrame(records), trajectory


def _metrics(step, z, setup: FlowSetup, flow: Flow, kernels, kale_meter: KaleSolver, seconds) -> dict:
    row = {"step": step, "seconds": seconds}
    for name, kernel in kernels.items():
        row[f"half_mmd2_{name}"] = 0.5 * float(mmd2_empirical(kernel, z, setup.targets))
    row["w2"] = wasserstein2(z, setup.targets)
    row["coverage"] = mode_coverage(z, setup)
    # the row's own velocity at the un-noised particles: near 0 on the particles when the flow stalls
    row["mean_sq_witness_gradient"] = float(flow.velocity(z, z).square().sum(-1).mean())
    if flow.last_solution is not None:
        row["own_kale"] = flow.last_solution.value
        row["newton_iterations"] = flow.last_solution.iterations
    measured = kale_meter.solve(z)
    row["kale"] = measured.value
    row["kale_dual_gap"] = measured.dual_gap
    return row
