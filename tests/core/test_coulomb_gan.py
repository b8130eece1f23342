"""The Coulomb GAN's potential and update step: closed-form properties, no
gradient into the discriminator's targets, and a grid smoke run."""

import dataclasses

import numpy as np
import pytest
import torch

from couae.core.coulomb_gan import CoulombGANStep, potential
from couae.core.mmd import mmd2_empirical
from couae.kernels import make_kernel
from helpers import small_settings

PLUMMER = make_kernel("plummer", 2, eps=3.0, exponent=1.0)


def test_potential_vanishes_for_identical_batches():
    batch = torch.randn(3, 16, 2, dtype=torch.float64)
    points = torch.randn(3, 5, 2, dtype=torch.float64)
    assert potential(PLUMMER, points, batch, batch.clone()).abs().max() == 0.0


def test_potential_is_the_kernel_difference_at_a_hand_computed_point():
    real, fake, a = torch.tensor([[0.0, 0.0]]), torch.tensor([[3.0, 4.0]]), torch.tensor([[0.0, 4.0]])
    # Plummer, eps 3, exponent 1: (d^2 + 9)^(-1/2); d(a, real) = 4, d(a, fake) = 3
    assert potential(PLUMMER, a, real, fake).item() == pytest.approx(1 / 5 - 1 / np.sqrt(18))


def test_the_potential_pulls_a_lone_fake_point_towards_a_lone_real_one():
    real = torch.tensor([[2.0, -1.0]], dtype=torch.float64)
    fake = torch.tensor([[-1.0, 3.0]], dtype=torch.float64)
    a = fake.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(potential(PLUMMER, a, real, fake).sum(), a)
    # the generator climbs the potential: its step is +grad
    assert torch.dot(grad[0], (real - fake)[0]) > 0
    moved = fake + 0.5 * grad / grad.norm()
    assert (moved - real).norm() < (fake - real).norm()


def gan_step(seed=0):
    torch.manual_seed(seed)
    generator = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2)).double()
    discriminator = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1)).double()
    return CoulombGANStep(
        generator,
        discriminator,
        PLUMMER,
        torch.optim.SGD(generator.parameters(), lr=0.1),
        torch.optim.SGD(discriminator.parameters(), lr=0.1),
        latent_dim=2,
    )


def test_the_discriminator_targets_carry_no_gradient():
    step = gan_step()
    real = torch.randn(1, 10, 2, dtype=torch.float64)
    fake = step.generator(torch.randn(1, 10, 2, dtype=torch.float64))
    assert fake.requires_grad
    target_real, target_fake = step.targets(real, fake)
    assert not target_real.requires_grad and not target_fake.requires_grad
    torch.testing.assert_close(target_fake, potential(PLUMMER, fake.detach(), real, fake.detach()))


def test_each_network_moves_by_its_own_loss_only():
    """The generator's step is SGD on -1/2 mean D(G(z)) alone; the discriminator's on its regression alone."""
    step, reference = gan_step(), gan_step()
    x = torch.randn(1, 12, 2, dtype=torch.float64)
    z = torch.randn(1, 12, 2, dtype=torch.float64)
    terms = step(x, {"prior": z})
    fake = reference.generator(z)
    t_real, t_fake = reference.targets(x, fake)
    d = reference.discriminator
    loss_d = (d(x)[..., 0] - t_real).square().mean() + (d(fake.detach())[..., 0] - t_fake).square().mean()
    loss_g = -0.5 * d(fake)[..., 0].mean()
    g_grads = torch.autograd.grad(loss_g, list(reference.generator.parameters()))
    d_grads = torch.autograd.grad(loss_d, list(d.parameters()))
    for p, p0, g in zip(step.generator.parameters(), reference.generator.parameters(), g_grads, strict=True):
        torch.testing.assert_close(p, p0 - 0.1 * g)
    for p, p0, g in zip(step.discriminator.parameters(), d.parameters(), d_grads, strict=True):
        torch.testing.assert_close(p, p0 - 0.1 * g)
    energy = 0.5 * mmd2_empirical(PLUMMER, fake.detach(), x)
    torch.testing.assert_close(terms[0], torch.stack([energy[0], loss_d, loss_g]).detach())
    assert terms[0, 0] >= 0  # the Plummer energy is half a squared MMD


@pytest.mark.slow
def test_a_grid_smoke_run_covers_at_least_20_of_the_25_modes():
    from couae.core.training import train
    from couae.grid import model as grid_model
    from couae.grid.data import Mixture

    settings = small_settings("coulombgan", variant="cited", iterations=4000, seeds=[0, 1], log_every=500,
                              checkpoint_every=500)  # fmt: skip
    # faster than the row's, for a short run; the discriminator faster than the generator (two time-scales)
    faster = {**settings.model_params, "generator_lr": 1e-3, "discriminator_lr": 3e-3}
    settings = dataclasses.replace(settings, model_params=faster)
    mixture = Mixture.of(settings.data)
    run = train(grid_model.build_run(settings, mixture.sample(500, np.random.default_rng(0))), 4000, 500, 500)
    assert run.step_fn.term_names == ("loss", "discriminator", "generator")
    for samples in grid_model.generate(run, 2000):
        dist = np.linalg.norm(samples[:, None] - mixture.centres[None], axis=-1)
        near = dist.min(1) < 3 * mixture.std
        covered = (np.bincount(dist.argmin(1)[near], minlength=25) >= 5).sum()
        assert covered >= 20


@pytest.mark.parametrize(
    ("variant", "kernel_scale", "eps"),
    [("narrow", "std", 0.15), ("narrow", "spacing", 6.0), ("cited", "std", 3.0), ("cited", "absolute", 3.0),
     ("cited", "spacing", 31.5)],
)  # fmt: skip
def test_kernel_scale_reads_eps_in_the_named_length_of_the_variant(variant, kernel_scale, eps):
    """eps 3 means 3 stds (0.05 narrow, 1 cited), 3 mode spacings (2, 10.5) or 3 as given."""
    from couae.grid import model as grid_model

    settings = small_settings("coulombgan", variant=variant, iterations=10, seeds=[0])
    settings = dataclasses.replace(settings, model_params={**settings.model_params, "kernel_scale": kernel_scale},
                                   kernel_params={**settings.kernel_params, "eps": 3.0})  # fmt: skip
    data = np.zeros((settings.batch_size, 2), dtype=np.float32)
    assert grid_model.build_run(settings, data).step_fn.kernel.eps == pytest.approx(eps)


def test_the_decay_schedule_follows_the_optimisers_step_count_across_a_resume(tmp_path):
    """Both lrs and the kernel's eps fall as decay^(t / T); a run resumed from
    a checkpoint continues the schedule where it stopped, bit for bit."""
    from couae.core.training import train, try_resume
    from couae.grid import model as grid_model
    from couae.grid.data import Mixture

    settings = small_settings("coulombgan", variant="narrow", iterations=40, seeds=[0], log_every=10,
                              checkpoint_every=20)  # fmt: skip
    settings = dataclasses.replace(settings, model_params={**settings.model_params, "decay": 0.1})
    mixture = Mixture.of(settings.data)
    data = mixture.sample(200, np.random.default_rng(0))
    whole = train(grid_model.build_run(settings, data), 40, 10, 20)
    step = whole.step_fn
    base = settings.model_params
    assert step.generator_optimizer.param_groups[0]["lr"] == pytest.approx(base["generator_lr"] * 0.1 ** (39 / 40))
    eps = settings.kernel_params["eps"]  # in the modes' stds, 0.05 on the narrow grid
    assert step.kernel.eps == pytest.approx(eps * 0.05 * 0.1 ** (39 / 40))
    checkpoint = tmp_path / "checkpoint.pt"
    train(grid_model.build_run(settings, data), 20, 10, 20, checkpoint, settings.fingerprint())
    resumed = grid_model.build_run(settings, data)
    assert try_resume(resumed, checkpoint, settings.fingerprint())
    train(resumed, 40, 10, 20)
    for a, b in zip(whole.step_fn.generator.parameters(), resumed.step_fn.generator.parameters(), strict=True):
        assert torch.equal(a, b)


def test_leave_one_out_targets_against_a_double_loop():
    """Phi(y_i) = mean_{j != i} k(y_i, y_j) - mean_j k(y_i, x_j) and Phi(x_i) = mean_j k(x_i, y_j) -
    mean_{j != i} k(x_i, x_j); the kept self pair differs from it by what the pair itself adds."""
    from couae.core.coulomb_gan import leave_one_out_targets

    gen = torch.Generator().manual_seed(4)
    real = torch.randn(1, 5, 2, generator=gen, dtype=torch.float64)
    fake = torch.randn(1, 4, 2, generator=gen, dtype=torch.float64)

    def k(a, b):
        return float(((a - b).square().sum() + PLUMMER.eps**2) ** (-PLUMMER.exponent / 2))

    at_real, at_fake = leave_one_out_targets(PLUMMER, real, fake)
    for i in range(5):
        own = sum(k(real[0, i], real[0, j]) for j in range(5) if j != i) / 4
        other = sum(k(real[0, i], fake[0, j]) for j in range(4)) / 4
        assert at_real[0, i].item() == pytest.approx(own - other, rel=1e-12)
    for i in range(4):
        other = sum(k(fake[0, i], real[0, j]) for j in range(5)) / 5
        own = sum(k(fake[0, i], fake[0, j]) for j in range(4) if j != i) / 3
        assert at_fake[0, i].item() == pytest.approx(other - own, rel=1e-12)
    # the kept self pair: the mean over all 5 pairs is (k(0) + 4 x the others' mean) / 5, so it adds
    # (k(0) - the others' mean) / 5 to each real point's target (about k(0) / N where k(0) dominates)
    others = torch.tensor([sum(k(real[0, i], real[0, j]) for j in range(5) if j != i) / 4 for i in range(5)],
                          dtype=torch.float64)  # fmt: skip
    kept = potential(PLUMMER, real, real, fake)[0]
    torch.testing.assert_close(kept - at_real[0], (PLUMMER.eps**-PLUMMER.exponent - others) / 5)


def test_the_decay_horizon_is_decay_steps_where_given():
    """The GAN paper decays lrs and eps over 1,000,000 steps whatever the run's length: decay^(t / horizon)."""
    from couae.core.training import train
    from couae.grid import model as grid_model
    from couae.grid.data import Mixture

    settings = small_settings("coulombgan", variant="narrow", iterations=20, seeds=[0], log_every=10,
                              checkpoint_every=20)  # fmt: skip
    settings = dataclasses.replace(settings, model_params={**settings.model_params, "decay": 0.1, "decay_steps": 1000})
    mixture = Mixture.of(settings.data)
    run = train(grid_model.build_run(settings, mixture.sample(200, np.random.default_rng(0))), 20, 10, 20)
    lr = float(run.step_fn.generator_optimizer.param_groups[0]["lr"])
    assert lr == pytest.approx(settings.model_params["generator_lr"] * 0.1 ** (19 / 1000))
    assert not run.step_fn.leave_out  # self_pairs: keep, the authors' code
    loo = dataclasses.replace(settings, model_params={**settings.model_params, "self_pairs": "leave_out"})
    assert grid_model.build_run(loo, mixture.sample(200, np.random.default_rng(0))).step_fn.leave_out
