"""MMD, noisy MMD and KALE particle flows: velocities against autograd and
closed forms, the KALE solver's optimality conditions, the large-lambda limit,
the metrics and the setups."""

import numpy as np
import pytest
import torch

from couae.core.mmd import mmd2_empirical
from couae.kernels import make_kernel
from couae.settings import flow_settings
from couae.theory.particle_flows import (
    KaleSolver,
    make_setup,
    mmd_witness_gradient,
    mode_coverage,
    noise_level,
    run_flow,
    wasserstein2,
)
from helpers import load_config

KERNELS = [
    ("gaussian", {"scales": [0.025]}),
    ("imq", {"scales": [0.1, 1.0]}),
    ("coulomb", {"eps": 1e-2, "beta": None}),
    ("plummer", {"eps": 0.1, "exponent": 1.0}),
]


def clouds(m=30, n=40, seed=0):
    gen = torch.Generator().manual_seed(seed)
    particles = 0.3 * torch.randn(m, 2, generator=gen, dtype=torch.float64)
    targets = torch.randn(n, 2, generator=gen, dtype=torch.float64) + torch.tensor([0.5, -0.2], dtype=torch.float64)
    return particles, targets


@pytest.mark.parametrize("name,params", KERNELS)
def test_mmd_velocity_is_m_times_the_gradient_of_half_mmd2(name, params):
    kernel = make_kernel(name, 2, **params)
    particles, targets = clouds()
    z = particles.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(0.5 * mmd2_empirical(kernel, z, targets), z)
    velocity = mmd_witness_gradient(kernel, particles, particles, targets)
    torch.testing.assert_close(velocity, len(particles) * grad, rtol=1e-9, atol=1e-12)


def solved(lam, particles=None, targets=None, iterations=800, tolerance=1e-6):
    kernel = make_kernel("gaussian", 2, scales=[0.125])
    if particles is None:
        particles, targets = clouds()
    solver = KaleSolver(kernel, targets, lam, iterations, tolerance=tolerance)
    return solver, solver.solve(particles), particles


@pytest.mark.parametrize("lam", [1e-3, 0.1, 10.0])
def test_kale_optimum_satisfies_alpha_equal_exp_f_over_n(lam):
    solver, solution, _ = solved(lam, tolerance=1e-12)  # solved to rounding
    n = len(solver.targets)
    # f(y) = (b - K alpha) / lambda: rounding grows as 1 / lambda
    torch.testing.assert_close(solution.alpha, solution.f_targets.exp() / n, rtol=max(1e-6, 1e-7 / lam), atol=0)
    assert (solution.alpha > 0).all() and solution.iterations < 800
    assert abs(solution.dual_gap) < 1e-9  # the primal value equals J(alpha) + 1
    assert solution.value > 0  # KALE of two different measures
    # the notes' stopping rule (half the Newton decrement below 1e-6) leaves a gap of that order
    _, stopped, _ = solved(lam)
    assert -1e-12 < stopped.dual_gap < 1e-5 and stopped.iterations <= solution.iterations


def test_particles_on_the_targets_give_kale_zero():
    _, targets = clouds()
    solver, solution, _ = solved(1e-3, particles=targets.clone(), targets=targets)
    torch.testing.assert_close(solution.alpha, torch.full_like(solution.alpha, 1 / len(targets)))
    assert solution.f_targets.abs().max() < 1e-8 and abs(solution.value) < 1e-10


def test_warm_starts_take_fewer_newton_steps():
    solver, first, particles = solved(1e-3)
    again = solver.solve(particles + 1e-3)
    assert again.iterations < first.iterations


def test_kale_at_large_lambda_moves_particles_as_the_mmd_flow():
    lam = 1e4
    solver, solution, particles = solved(lam)
    kale_velocity = (1 + lam) * solver.witness_gradient(particles, particles)
    mmd_velocity = mmd_witness_gradient(solver.kernel, particles, particles, solver.targets)
    assert (kale_velocity - mmd_velocity).norm() <= 1e-3 * mmd_velocity.norm()
    # and its value tends to 1/2 MMD^2
    half_mmd2 = 0.5 * float(mmd2_empirical(solver.kernel, particles, solver.targets))
    assert solution.value == pytest.approx(half_mmd2, rel=1e-3)


def test_noise_schedules():
    halving = {"schedule": "halving", "beta0": 0.3, "every": 5}
    assert [noise_level(halving, t) for t in (0, 4, 5, 10)] == [0.3, 0.3, 0.15, 0.075]
    sqrt = {"schedule": "sqrt", "beta0": 0.3, "every": 100}
    assert noise_level(sqrt, 300) == pytest.approx(0.15)
    assert noise_level(None, 7) == 0.0 and noise_level({"schedule": "none", "beta0": 1, "every": 1}, 7) == 0.0
    # sum of squares: bounded for halving, growing like log t for sqrt (Prop. 8 asks for a divergent one)
    squares = [sum(noise_level(s, t) ** 2 for t in range(10**k)) for s in (halving, sqrt) for k in (3, 5)]
    assert squares[1] == pytest.approx(squares[0]) and squares[3] > 2.5 * squares[2]


def test_w2_of_a_translated_cloud_is_the_translation():
    _, targets = clouds()
    shift = torch.tensor([0.3, -0.4], dtype=torch.float64)
    assert wasserstein2(targets[torch.randperm(len(targets))] + shift, targets) == pytest.approx(0.5, rel=1e-9)


def test_setups_and_mode_coverage():
    config = load_config()
    setups = config["theory"]["flows"]["setups"]
    rings = make_setup(setups["rings"], 0, "rings")
    distances = (rings.targets[:, None, :] - rings.mode_centres[None]).norm(dim=-1).min(1).values
    assert rings.targets.shape == (240, 2) and torch.allclose(distances, torch.full((240,), 0.3, dtype=torch.float64))
    assert rings.starts.shape == (240, 2) and rings.starts.mean(0).sub(torch.tensor([0.0, -0.3])).abs().max() < 0.01
    assert mode_coverage(rings.targets, rings) == 1.0
    assert mode_coverage(rings.targets[:80], rings) == pytest.approx(1 / 3)  # all particles on one ring
    assert make_setup(setups["rings"], 0, "rings").starts.equal(rings.starts)  # every row starts alike
    mog = make_setup(setups["mog"], 0, "mog")
    assert mog.targets.shape == (240, 2) and mode_coverage(mog.starts, mog) == 0.25
    prior = make_setup(setups["theorem1"], 0, "theorem1")
    assert mode_coverage(prior.targets, prior) == 1.0 and mode_coverage(prior.starts, prior) < 1.0


def small_flow(row, steps=60, **setup):
    mog = {"per_mode": 10, "n_particles": 40, **setup}
    config = load_config({"theory": {"flows": {"steps": steps, "record_every": 20, "setups": {"mog": mog}}}})
    return run_flow(flow_settings(config, "mog", row))


def test_a_flow_records_its_metrics_and_moves_towards_the_targets():
    records, trajectory = small_flow("mmd", steps=200)
    assert list(records.step) == [0, 20, 40, 60, 80, 100, 120, 140, 160, 180, 200]
    assert records.w2.iloc[-1] < records.w2.iloc[0] and records.half_mmd2_wide.iloc[-1] < records.half_mmd2_wide.iloc[0]
    assert trajectory["positions"].shape == (11, 40, 2) and trajectory["targets"].shape == (40, 2)
    assert (records.kale_dual_gap.abs() < 1e-8).all() and "own_kale" not in records  # the meter solves tightly


def test_kale_flow_at_large_lambda_follows_the_mmd_flow_and_noise_changes_the_path():
    mmd, mmd_path = small_flow("mmd")
    kale, kale_path = small_flow("kalemmd")
    assert np.abs(kale_path["positions"] - mmd_path["positions"]).max() < 1e-5
    assert kale.own_kale.notna().all() and (kale.newton_iterations >= 0).all()
    _, noisy_path = small_flow("mmdnoise")
    assert np.abs(noisy_path["positions"][-1] - mmd_path["positions"][-1]).max() > 1e-4
    np.testing.assert_array_equal(noisy_path["positions"][0], mmd_path["positions"][0])


def test_a_diverging_flow_stops_with_a_message():
    config = load_config({"theory": {"flows": {"steps": 50, "record_every": 10,
                                               "rows": {"mmd": {"lr": float("inf")}}}}})  # fmt: skip
    with pytest.raises(FloatingPointError, match="theorem1/mmd: particles not finite"):
        run_flow(flow_settings(config, "theorem1", "mmd"))


def test_flow_table_takes_the_start_and_the_end_of_each_flow(tmp_path):
    import pandas as pd

    from couae.theory.flow_table import flows_table, read_records

    paths = {}
    for row, extra in (("mmd", {}), ("kale", {"own_kale": [0.5, 0.2], "newton_iterations": [3, 1]})):
        frame = pd.DataFrame(
            {"step": [0, 10], "seconds": [0.0, 2.5], "w2": [1.0, 0.4], "coverage": [0.0, 0.5], **extra}
        )
        frame.to_csv(tmp_path / f"{row}.csv", index=False)
        paths["rings", row] = tmp_path / f"{row}.csv"
    table = flows_table(read_records(paths))
    assert list(table.row) == ["mmd", "kale"] and (table.w2_start == 1.0).all() and (table.w2 == 0.4).all()
    assert (table.steps == 10).all() and (table.seconds == 2.5).all()
    assert table.own_kale.isna().tolist() == [True, False] and table.own_kale.iloc[1] == 0.2
