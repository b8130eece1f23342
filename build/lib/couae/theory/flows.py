"""Theorem 1 in practice: free particles moved by gradient descent on MMD^2
towards fixed samples of the prior.

In the paper's setting the free particles play the encoded set f(x_1..x_N) and
the fixed ones the prior samples; the global minimum puts every particle on a
distinct sample. Runs are batched (leading dimension) through the same MMD
estimator that trains the autoencoders. Each step moves particle i by
-lr * N * dMMD^2/dx_i (the factor N makes a particle's force independent of
the number of particles), capped in length so that steep kernels cannot throw
a particle across the space in one step. The cap shrinks geometrically from
`max_step` to `final_max_step` over the run, so that particles settle instead
of jittering by the cap around a minimum; it changes the speed of the flow,
not its fixed points. The objective is the MMD^2 between the two empirical
measures (`mmd2_empirical`), which is exactly 0 at the global minimum. With
noise injection the gradient is evaluated at positions perturbed by Gaussian
noise of scale noise * noise_decay^t (as in MMD gradient flows with noise
injection). The numbers of a flow are its job's `Theorem1Settings`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from scipy.optimize import linear_sum_assignment

from ..core.mmd import mmd2_empirical, pairwise_sq_dist
from ..core.seeding import torch_generator
from ..kernels import make_kernel
from ..settings import Theorem1Settings

log = logging.getLogger(__name__)


@dataclass
class FlowResult:
    reached_global: np.ndarray  # (runs,) bool
    worst_match: np.ndarray  # (runs,) largest particle-to-matched-sample distance
    start_worst_match: np.ndarray  # (runs,) the same at the start: equal to worst_match where the flow stalled
    final_mmd2: np.ndarray  # (runs,)
    off_balance: np.ndarray  # (runs,) the largest |net force| / sum of its parts on a particle off its sample
    targets: np.ndarray  # (runs, N, h)
    final: np.ndarray  # (runs, N, h)
    trajectory: np.ndarray  # (records, N, h) of run 0
    escaped: np.ndarray  # (runs,) bool: at a critical point, and escaped it when perturbed (a saddle)


def matched_distances(particles: np.ndarray, samples: np.ndarray) -> np.ndarray:
    """Per run and particle, its distance to the sample an optimal one-to-one
    matching gives it (Hungarian algorithm): (runs, N), particles in order."""
    out = np.empty(particles.shape[:2])
    for r in range(len(particles)):
        cost = np.linalg.norm(particles[r][:, None, :] - samples[r][None, :, :], axis=-1)
        rows, cols = linear_sum_assignment(cost)
        out[r, rows] = cost[rows, cols]
    return out


def force_balance(kernel, particles: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(net, total) at every particle: the net force N dMMD^2/dx_i (the flow's
    direction, as it scales it) and the sum of the sizes of the pairwise
    forces it is made of, (runs, N, h) and (runs, N). At a critical point the
    pairwise forces cancel (net << total); on a plateau, where a power-law
    kernel's forces have all but vanished, they are small but do not cancel."""
    kernel = kernel.bind(particles, targets)
    n, m = particles.shape[-2], targets.shape[-2]
    _, within = kernel.value_and_slope(pairwise_sq_dist(particles, particles))
    _, cross = kernel.value_and_slope(pairwise_sq_dist(particles, targets))
    # grad_x k(x, z) = 2 k'(|x - z|^2) (x - z); the V-statistic's gradient, times N
    repel = (4.0 / n) * within[..., None] * (particles[..., :, None, :] - particles[..., None, :, :])
    attract = -(4.0 / m) * cross[..., None] * (particles[..., :, None, :] - targets[..., None, :, :])
    net = repel.sum(-2) + attract.sum(-2)
    return net, repel.norm(dim=-1).sum(-1) + attract.norm(dim=-1).sum(-1)


def particles(settings: Theorem1Settings, dim: int) -> int:
    """N in dimension `dim`: n_particles, or with particles_above_dim at least dim + 1 (Assumption 1: N > h)."""
    return max(settings.n_particles, dim + 1) if settings.particles_above_dim else settings.n_particles


def descend(kernel, x: torch.Tensor, targets: torch.Tensor, steps: int, settings: Theorem1Settings, cap_at,
            noise: float = 0.0, noise_gen=None, record_every: int = 0, record=None) -> torch.Tensor:  # fmt: skip
    """`steps` steps of the flow from x (runs, N, h): the step rule's step,
    its length capped at cap_at(t); with noise, the gradient taken at
    positions perturbed by noise * noise_decay^t (noise_gen's draws)."""
    n = x.shape[-2]
    for t in range(steps):
        if record_every and t % record_every == 0:
            record.append(x[0].clone())
        probe = x
        if noise > 0:
            probe = x + noise * settings.noise_decay**t * torch.randn(x.shape, generator=noise_gen, dtype=x.dtype)
        probe = probe.detach().requires_grad_(True)
        (grad,) = torch.autograd.grad(mmd2_empirical(kernel, probe, targets).sum(), probe)
        cap = cap_at(t)
        if settings.step_rule == "normalised":  # the cap along the gradient's direction, per particle
            step = cap * grad / grad.norm(dim=-1, keepdim=True).clamp_min(torch.finfo(grad.dtype).tiny)
        else:
            step = settings.lr * n * grad
            step = step * (cap / step.norm(dim=-1, keepdim=True)).clamp(max=1.0)
        x = x - step
    return x


def perturbed_escapes(kernel, x: torch.Tensor, targets: torch.Tensor, settings: Theorem1Settings, generator):
    """Whether each run (at a critical point) escapes it: perturbed by
    N(0, perturbation^2) in every coordinate and continued with plain descent
    at the final step cap, a saddle's run lowers its MMD^2 by more than
    `escape` of itself or reaches the global minimum; a minimum's returns."""
    so = settings.second_order
    with torch.no_grad():
        before = mmd2_empirical(kernel, x, targets)
    moved = x + so["perturbation"] * torch.randn(x.shape, generator=generator, dtype=x.dtype)
    after = descend(kernel, moved, targets, so["steps"], settings, lambda t: settings.final_max_step)
    with torch.no_grad():
        lower = mmd2_empirical(kernel, after, targets) < (1.0 - so["escape"]) * before
    reached = matched_distances(after.numpy(), targets.numpy()).max(1) <= settings.tolerance
    return lower.numpy() | reached


def run_flows(kernel, dim: int, noise: float, settings: Theorem1Settings, record_every: int = 0) -> FlowResult:
    """settings.n_runs seeded flows in dimension `dim` with initial noise
    level `noise` (0: plain descent): samples and starts both from N(0, I),
    independent per run. With `record_every`, run 0's positions are kept every
    that many steps (the figure's trajectory). A particle within
    settings.tolerance of its matched sample sits on it. A run that missed the
    minimum at a critical point (forces off its samples balanced below
    critical_balance) is perturbed and continued: `escaped` says it was a saddle."""
    seed = settings.seed
    shape = (settings.n_runs, particles(settings, dim), dim)
    targets = torch.randn(*shape, generator=torch_generator(seed, f"flow/targets/{dim}"), dtype=torch.float64)
    x = torch.randn(*shape, generator=torch_generator(seed, f"flow/starts/{dim}"), dtype=torch.float64)
    noise_gen = torch_generator(seed, f"flow/noise/{dim}")
    start_worst = matched_distances(x.numpy(), targets.numpy()).max(1)
    record = []

    def cap_at(t):  # shrinking geometrically, so that particles settle
        return settings.max_step * (settings.final_max_step / settings.max_step) ** (t / settings.steps)

    x = descend(kernel, x, targets, settings.steps, settings, cap_at, noise, noise_gen, record_every, record)
    if record_every:
        record.append(x[0].clone())
    with torch.no_grad():
        final_mmd2 = mmd2_empirical(kernel, x, targets).numpy()
    final, samples = x.numpy(), targets.numpy()
    matched = matched_distances(final, samples)
    worst = matched.max(1)
    # at a particle on its sample a singular kernel's force is large whatever the rest does: only the others count
    off = matched > settings.tolerance
    net, total = force_balance(kernel, x, targets)
    balance = (net.norm(dim=-1) / total.clamp_min(torch.finfo(total.dtype).tiny)).numpy()
    off_balance = np.where(off, balance, 0.0).max(1)
    critical = (worst > settings.tolerance) & (off_balance < settings.critical_balance)
    escaped = np.zeros(settings.n_runs, dtype=bool)
    if critical.any():
        gen = torch_generator(seed, f"flow/second-order/{dim}")
        escaped[critical] = perturbed_escapes(kernel, x[critical], targets[critical], settings, gen)
    return FlowResult(
        worst <= settings.tolerance,
        worst,
        start_worst,
        final_mmd2,
        off_balance,
        samples,
        final,
        torch.stack(record).numpy() if record else np.zeros((0,) + shape[1:]),
        escaped,
    )


def theorem1_rows(settings: Theorem1Settings) -> tuple[pd.DataFrame, dict]:
    """One flow's job: every dimension and noise level of `settings`. Returns
    its table rows and the path of one plain-descent run in 2-D (the figure's
    trajectory panel), {"trajectory", "targets"}."""
    s = settings
    rows, trajectory = [], None
    for dim in s.dims:
        kernel = make_kernel(s.kernel, dim, **s.params)
        for noise in s.noise_levels:
            record = max(1, s.steps // 100) if dim == 2 and noise == 0 else 0
            started = time.perf_counter()
            result = run_flows(kernel, dim, noise, s, record)
            log.info(
                "%s, h = %d, noise %g: %d of %d runs at the global minimum (%.1f s)",
                s.flow,
                dim,
                noise,
                int(result.reached_global.sum()),
                s.n_runs,
                time.perf_counter() - started,
            )
            rows.append(
                {
                    "flow": s.flow,
                    "kernel": s.kernel,
                    "dim": dim,
                    "noise": noise,
                    "runs": s.n_runs,
                    "fraction_global": result.reached_global.mean(),
                    "median_worst_distance": np.median(result.worst_match),
                    "median_start_worst_distance": np.median(result.start_worst_match),
                    "mean_final_mmd2": result.final_mmd2.mean(),
                    "particles": particles(s, dim),
                    "missed_at_critical": int(
                        ((~result.reached_global) & (result.off_balance < s.critical_balance)).sum()
                    ),
                    # of those, the runs that escaped when perturbed: saddles, not spurious minima
                    "missed_at_saddle": int(result.escaped.sum()),
                    # the count at the other thresholds (set after seeing the runs), for the claims to report
                    "critical_by_balance": "; ".join(
                        f"{threshold:g}: {int(((~result.reached_global) & (result.off_balance < threshold)).sum())}"
                        for threshold in sorted({*s.balance_sensitivity, s.critical_balance})
                    ),
                    "median_off_balance": np.median(result.off_balance[~result.reached_global])
                    if (~result.reached_global).any()
                    else np.nan,
                }
            )
            if record:
                trajectory = {"trajectory": result.trajectory, "targets": result.targets[0]}
    if trajectory is None:
        raise ValueError("theory.theorem1.dims must include 2 and noise_levels 0 for the trajectory panel")
    return pd.DataFrame(rows), trajectory
