import dataclasses
import math

import numpy as np
import pytest

from couae.kernels import make_kernel
from couae.theory.flows import matched_distances, run_flows
from couae.theory.landscape import curve, minima, surface
from helpers import flow_settings, paper_kernel

CHARGES = [-4.0, 0.0, 4.0]


def test_coulomb_landscape_at_hand_computed_points():
    # 1-D Coulomb k = -|d|/2. Fixed part: (1/6) * 2 * (-(4 + 8 + 4)/2) = -8/3.
    # One free charge q: + (1/3) sum_i |z_i - q|  ->  E(0) = 0, E(4) = 4 - 8/3.
    coulomb = paper_kernel("coulomb", 1)
    np.testing.assert_allclose(curve(coulomb, CHARGES, [0.0, 4.0]), [0.0, 4 / 3], atol=1e-12)
    # Two free charges at -4 and 4: -|8|/2 + (1/6)(0+4+8+8+4+0) - 8/3 = -8/3
    assert surface(coulomb, CHARGES, [-4.0, 4.0])[0, 1] == pytest.approx(-8 / 3)


def test_gaussian_landscape_at_a_hand_computed_point():
    k = make_kernel("gaussian", 1, scales=[1.0])  # exp(-d^2 / 2)
    fixed = (2 * math.exp(-8) + math.exp(-32)) / 3
    expected = fixed - (2 / 3) * (1 + 2 * math.exp(-8))
    assert curve(k, CHARGES, [0.0])[0] == pytest.approx(expected, rel=1e-12)


def test_gaussian_and_imq_have_spurious_minima_and_coulomb_none():
    positions = np.linspace(-8, 8, 161)
    for name in ("gaussian", "imq"):
        k = make_kernel(name, 1, scales=[1.0])
        glob, spurious = minima(curve(k, CHARGES, positions))
        assert [positions[g[0]] for g in glob] == [0.0] and len(spurious) == 2
        assert len(minima(surface(k, CHARGES, positions))[1]) == 4
    coulomb = paper_kernel("coulomb", 1)
    assert minima(curve(coulomb, CHARGES, positions)) == ([(80,)], [])
    glob, spurious = minima(surface(coulomb, CHARGES, positions))
    assert spurious == [] and len(glob) > 100  # a flat global valley, no false minima from rounding


def test_minima_of_a_sampled_function():
    x = np.linspace(-3, 3, 61)
    values = (x**2 - 4) ** 2 + 0.5 * x  # two wells, the left one deeper
    glob, spurious = minima(values)
    assert len(glob) == 1 and x[glob[0][0]] < 0 and len(spurious) == 1 and x[spurious[0][0]] > 0


def test_matched_distances_find_the_permutation():
    rng = np.random.default_rng(0)
    samples = rng.normal(size=(2, 6, 3))
    particles = samples[:, rng.permutation(6)] + 1e-3
    np.testing.assert_allclose(matched_distances(particles, samples), math.sqrt(3) * 1e-3)


SMALL = flow_settings(
    n_particles=5, n_runs=4, steps=1500, lr=0.2, max_step=0.1, final_max_step=1e-3, tolerance=0.02, seed=1,
    step_rule="gradient", particles_above_dim=False,
)  # fmt: skip


def test_small_coulomb_flow_reaches_the_global_minimum():
    result = run_flows(paper_kernel("coulomb", 2, eps=0.01), 2, 0.0, SMALL)
    assert result.reached_global.all()
    assert (result.worst_match < 0.02).all()


def test_single_scale_gaussian_flow_stalls_where_coulomb_does_not():
    result = run_flows(make_kernel("gaussian", 2, scales=[1.0]), 2, 0.0, SMALL)
    assert not result.reached_global.all()


def test_start_distance_tells_a_stalled_flow_from_one_that_moved():
    """In h = 16 the power-law Coulomb force between far-apart points vanishes:
    the particles end where they started. In h = 2 they close the distance."""
    settings = dataclasses.replace(SMALL, n_runs=3, steps=300)
    stalled = run_flows(paper_kernel("coulomb", 16, eps=0.01), 16, 0.0, settings)
    np.testing.assert_allclose(stalled.worst_match, stalled.start_worst_match, rtol=1e-3)
    assert (stalled.start_worst_match > 1.0).all() and not stalled.reached_global.any()
    moved = run_flows(paper_kernel("coulomb", 2, eps=0.01), 2, 0.0, settings)
    assert (moved.worst_match < 0.5 * moved.start_worst_match).all()


def test_flows_are_seeded_and_record_trajectories():
    settings = flow_settings(n_particles=4, n_runs=3, steps=50, noise_decay=0.99)
    k = paper_kernel("imq", 2)
    a, b, c = (run_flows(k, 2, 0.3, dataclasses.replace(settings, seed=s), record_every=10) for s in (3, 3, 4))
    np.testing.assert_array_equal(a.final, b.final)
    assert not np.allclose(a.final, c.final)
    assert a.trajectory.shape == (6, 4, 2)
    np.testing.assert_array_equal(a.trajectory[-1], a.final[0])


def test_forces_cancel_at_a_constructed_critical_point_but_not_on_a_plateau():
    """Two particles on one point between two samples at -1 and 1: a spurious
    critical point (by symmetry), both particles off their samples; the pairwise
    forces cancel. Far from the samples under a power-law kernel the forces
    are tiny but point one way: a plateau, not a critical point. The net force
    is the flow's own (N dMMD^2/dx, checked against autograd)."""
    import torch

    from couae.core.mmd import mmd2_empirical
    from couae.theory.flows import force_balance

    gaussian = make_kernel("gaussian", 1, scales=[1.0])
    targets = torch.tensor([[[-1.0], [1.0]]], dtype=torch.float64)
    net, total = force_balance(gaussian, torch.zeros(1, 2, 1, dtype=torch.float64), targets)
    assert float(net.abs().max()) < 1e-12 < float(total.min())
    moving = torch.tensor([[[0.3], [-0.5]]], dtype=torch.float64, requires_grad=True)
    net, total = force_balance(gaussian, moving.detach(), targets)
    (grad,) = torch.autograd.grad(mmd2_empirical(gaussian, moving, targets).sum(), moving)
    torch.testing.assert_close(net, 2 * grad)
    assert float((net.norm(dim=-1) / total).min()) > 0.05
    power = make_kernel("coulomb", 8, eps=1e-2, beta=None, smoothing="distance")
    far, sample = torch.full((1, 1, 8), 6.0, dtype=torch.float64), torch.zeros(1, 1, 8, dtype=torch.float64)
    net, total = force_balance(power, far, sample)
    assert float(net.norm(dim=-1).max()) < 1e-6 and float((net.norm(dim=-1) / total).min()) > 0.99


def test_a_flow_records_whether_its_misses_ended_at_critical_points():
    """A single-scale Gaussian flow stalls at spurious critical points (the
    forces off the samples vanish); the rows count them."""
    from couae.theory.flows import theorem1_rows

    settings = flow_settings(kernel="gaussian", params={"scales": [1.0]}, dims=(2,), noise_levels=(0.0,),
                             n_runs=6, steps=2000)  # fmt: skip
    rows, _ = theorem1_rows(settings)
    row = rows.iloc[0]
    missed = round((1 - row.fraction_global) * row.runs)
    assert missed > 0 and 0 < row.missed_at_critical <= missed and row.median_off_balance < settings.critical_balance
    assert row.particles == settings.n_particles


def test_the_normalised_rule_moves_every_particle_by_the_cap_along_its_force():
    """step_rule normalised: whatever the force's size (a power law's falls as d^-(h-1)), a particle moves
    by the step's cap along the force; the gradient rule moves it by lr N |grad| where that is below the cap.
    N = max(n_particles, h + 1) with particles_above_dim."""
    import torch

    from couae.theory.flows import descend, particles

    settings = dataclasses.replace(SMALL, particles_above_dim=True)
    assert particles(settings, 8) == 9 and particles(settings, 2) == 5
    kernel = paper_kernel("coulomb", 8, eps=0.01)
    gen = torch.Generator().manual_seed(5)
    targets = torch.randn(2, 9, 8, generator=gen, dtype=torch.float64)
    start = 3.0 + torch.randn(2, 9, 8, generator=gen, dtype=torch.float64)
    normalised = descend(kernel, start, targets, 1, dataclasses.replace(settings, step_rule="normalised"),
                         lambda t: 0.05)  # fmt: skip
    torch.testing.assert_close((normalised - start).norm(dim=-1), torch.full((2, 9), 0.05, dtype=torch.float64))
    gradient = descend(kernel, start, targets, 1, settings, lambda t: 0.05)
    assert float((gradient - start).norm(dim=-1).median()) < 0.01  # far away, the force is tiny


def test_the_second_order_check_tells_a_saddle_from_a_spurious_minimum():
    """Two samples at (-1, 0) and (1, 0). A saddle: two particles on the axis between them at (0, +-a),
    the flow's own balance of attraction and repulsion (by symmetry no force along x); moving them apart
    along x lowers the MMD, so perturbed they escape. A spurious minimum: under a narrow Gaussian (C = 1)
    both particles in the well of the sample at (-3, 0), the other sample at (3, 0) out of reach; perturbed,
    they return."""
    import torch

    from couae.theory.flows import descend, force_balance, perturbed_escapes

    settings = dataclasses.replace(SMALL, step_rule="gradient")
    gen = torch.Generator().manual_seed(0)

    def settle(kernel, start, targets, steps=3000):
        x = descend(kernel, start, targets, steps, settings, lambda t: 0.01)
        net, total = force_balance(kernel, x, targets)
        assert float((net.norm(dim=-1) / total).max()) < 1e-6  # a critical point
        return x

    wide = make_kernel("gaussian", 2, scales=[1.0])
    targets = torch.tensor([[[-1.0, 0.0], [1.0, 0.0]]], dtype=torch.float64)
    saddle = settle(wide, torch.tensor([[[0.0, 0.5], [0.0, -0.5]]], dtype=torch.float64), targets)
    assert float(saddle[..., 0].abs().max()) == 0.0 and float(saddle[0, 0, 1]) > 0
    assert perturbed_escapes(wide, saddle, targets, settings, gen).all()
    narrow = make_kernel("gaussian", 2, scales=[0.25])
    apart = torch.tensor([[[-3.0, 0.0], [3.0, 0.0]]], dtype=torch.float64)
    minimum = settle(narrow, torch.tensor([[[-3.0, 0.3], [-3.0, -0.3]]], dtype=torch.float64), apart)
    assert not perturbed_escapes(narrow, minimum, apart, settings, gen).any()
