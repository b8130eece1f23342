"""Theorem 2's bound (inversion, terms, assumptions per kernel) and the gap
measured on trained models (unbiased against a closed form; within the bound
on a small trained grid model)."""

import math
import zlib
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch

from couae.core.objectives import MMDObjective, reconstruction_summary
from couae.kernels import make_kernel
from couae.settings import GapSettings
from couae.theory.generalisation import (
    assumption_failures,
    bound_terms,
    kernel_range,
    objective_terms,
    tail_probability,
    theorem2_row,
)
from helpers import load_config, paper_grid, small_settings

SCALES = [0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0]


@pytest.mark.parametrize("n,xi,k_bound,lam,delta", [(500, 3.0, 7.0, 100.0, 0.05), (162770, 40.0, 1.0, 100.0, 0.01),
                                                    (3, 0.2, 0.3, 1.0, 0.5)])  # fmt: skip
def test_inverting_the_bound_gives_back_delta(n, xi, k_bound, lam, delta):
    terms = bound_terms(n, xi, k_bound, lam, delta)
    rhs = tail_probability(n, xi, k_bound, terms["t"], terms["s"], terms["u"], terms["v"])
    assert rhs == pytest.approx(delta, rel=1e-12)
    assert terms["eps"] == pytest.approx(terms["t"] + lam * (terms["s"] + terms["u"] + terms["v"]))
    # the corrected cross term has range 2K: twice the deviation at the same probability
    assert terms["v_corrected"] == pytest.approx(2 * terms["v"])
    assert terms["eps_corrected"] - terms["eps"] == pytest.approx(lam * terms["v"])
    # each term alone carries delta / 4
    assert 2 * math.exp(-2 * n * terms["t"] ** 2 / xi**2) == pytest.approx(delta / 4)


def test_the_dominant_term_and_a_bad_delta():
    assert bound_terms(500, 100.0, 1.0, 0.01, 0.05)["dominant"] == "t"
    assert bound_terms(500, 0.01, 7.0, 100.0, 0.05)["dominant"] in ("s", "u")  # floor(N/2) points
    with pytest.raises(ValueError, match=r"theory\.theorem2\.delta"):
        bound_terms(500, 1.0, 1.0, 1.0, 1.5)


@pytest.mark.parametrize(
    "name,params,dim,expected_k,failures",
    [
        ("imq", {"scales": SCALES}, 8, 7.0, []),
        ("gaussian", {"scales": [1.0, 2.0]}, 64, 2.0, []),
        ("imq", {"scales": SCALES}, 2, 7.0, ["h = 2 (the theorem needs h > 2)"]),
        ("coulomb", {"eps": 1.0, "beta": 2.0}, 64, 1.0, []),  # the paper's CelebA kernel
        ("coulomb", {"eps": 0.5, "beta": None}, 5, 2.0, []),  # 1 / (d^3 + eps)
        ("plummer", {"eps": 3.0, "exponent": 1.0}, 4, 1 / 3, []),
        ("coulomb", {"eps": 1e-2, "beta": None}, 2, None,
         ["h = 2 (the theorem needs h > 2)", "log Coulomb kernel is unbounded and takes negative values"]),
        ("coulomb", {"eps": 1e-2, "beta": None}, 1, None,
         ["h = 1 (the theorem needs h > 2)", "linear Coulomb kernel is unbounded and takes negative values"]),
        ("coulomb", {"eps": 0.0, "beta": 2.0}, 8, None, ["Coulomb kernel with eps = 0 is unbounded"]),
    ],
)  # fmt: skip
def test_applicability_per_kernel(name, params, dim, expected_k, failures):
    kernel = make_kernel(name, dim, **params)
    k_bound, _ = kernel.theorem2_bound()
    assert k_bound == (pytest.approx(expected_k) if expected_k is not None else None)
    if k_bound is not None:  # K = k(z, z), the kernel's largest value
        assert float(kernel(torch.zeros((), dtype=torch.float64))) == pytest.approx(k_bound)
    trained = SimpleNamespace(model="mmd", latent_dim=dim, theorem2_data_failure=None)  # CelebA's: bounded pixels
    assert assumption_failures(trained, kernel) == failures
    assert assumption_failures(SimpleNamespace(model="vae", latent_dim=64), None) == ["vae objective, not eq. (2)"]


def test_the_grids_gaussian_data_break_the_bounded_support_in_every_row():
    from couae.celeba.settings import CelebATraining

    kernel = make_kernel("imq", 8, scales=SCALES)  # otherwise every assumption holds
    failure = small_settings().theorem2_data_failure  # a grid job's, from its mixture
    grid = SimpleNamespace(model="mmd", latent_dim=8, theorem2_data_failure=failure)
    assert assumption_failures(grid, kernel) == ["Gaussian data: unbounded support (the theorem needs [-M, M]^d)"]
    assert CelebATraining.theorem2_data_failure is None  # pixels in [-1, 1]


def test_an_unbounded_kernel_is_evaluated_with_its_range_over_the_codes():
    kernel = make_kernel("coulomb", 2, eps=1e-2, beta=None)  # -log(d + eps)
    k_range, source = kernel_range(kernel, 9.0)
    assert k_range == pytest.approx(math.log((9.0 + 1e-2) / 1e-2)) and source.startswith("range over")
    assert kernel_range(make_kernel("imq", 2, scales=SCALES), 9.0) == (7.0, "k(z, z)")


def test_empirical_objective_is_the_training_objective_on_the_whole_sample():
    settings = small_settings("couae")
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(1, 40, 2, generator=gen, dtype=torch.float64)
    prior = torch.randn(1, 40, 2, generator=gen, dtype=torch.float64)
    encoder = torch.nn.Linear(2, 2).double()
    decoder = torch.nn.Linear(2, 2).double()
    kernel = make_kernel(settings.kernel, settings.latent_dim, **settings.kernel_params)
    objective = MMDObjective(kernel, settings.lam, settings.recon_weight)
    with torch.no_grad():
        loss, recon, reg = objective.terms(encoder, decoder, x, prior)[0].tolist()
        codes = encoder(x[0])
        errors = (x[0] - decoder(codes)).square().sum(-1)
    got = objective_terms(errors, codes, prior[0], objective.kernel, settings.lam)
    assert got["objective"] == pytest.approx(loss, rel=1e-12) and got["recon"] == pytest.approx(recon)
    assert got["mmd2"] == pytest.approx(reg, rel=1e-12)


def test_the_estimate_of_l_is_unbiased_against_a_closed_form():
    """Codes N(m, I) against the prior N(0, I) under a Gaussian kernel exp(-d^2 / c):
    MMD^2 = 2 (c / (c + 4))^(h/2) (1 - exp(-|m|^2 / (c + 4))); errors 0.5 on average."""
    h, n, lam, shift = 3, 400, 10.0, torch.tensor([0.6, 0.0, 0.0], dtype=torch.float64)
    trained = SimpleNamespace(model="mmd", kernel="gaussian", kernel_params={"scales": [1.0]}, latent_dim=h,
                              lam=lam, recon_weight=2.0, theorem2_data_failure=None)  # fmt: skip
    c = 2.0 * h
    exact_mmd2 = 2 * (c / (c + 4)) ** (h / 2) * (1 - math.exp(-float(shift @ shift) / (c + 4)))

    def sample(name):
        gen = torch.Generator().manual_seed(zlib.crc32(name.encode()))
        return torch.rand(n, generator=gen, dtype=torch.float64) * 0.5, torch.randn(
            n, h, generator=gen, dtype=torch.float64
        ) + shift

    row = theorem2_row(
        trained, sample("train"), lambda: sample("independent"), lambda r: sample(f"fresh{r}"), GapSettings(40, 1)
    )
    expected = 2.0 * 0.25 + lam * exact_mmd2  # recon_weight x E[error] + lambda MMD^2
    se = row["objective_fresh_std"] / math.sqrt(row["fresh_draws"])
    assert 0 < se < 0.1 * expected and abs(row["objective_fresh"] - expected) < 4 * se
    assert row["assumptions"] == "hold" and row["kernel_bound"] == 1.0 and row["fresh_size"] == n
    assert row["generalisation_gap"] == pytest.approx(abs(row["objective_train"] - row["objective_fresh"]))
    assert row["theorem_gap"] == pytest.approx(abs(row["objective_independent"] - row["objective_fresh"]))


def test_the_independent_sample_estimate_is_unbiased_against_a_closed_form():
    """L_hat on an independent sample, over many samples: its mean is L (the
    same closed form), its spread that of one N-sample estimate."""
    h, n, lam, shift = 3, 200, 10.0, torch.tensor([0.6, 0.0, 0.0], dtype=torch.float64)
    trained = SimpleNamespace(model="mmd", kernel="gaussian", kernel_params={"scales": [1.0]}, latent_dim=h,
                              lam=lam, recon_weight=2.0, theorem2_data_failure=None)  # fmt: skip
    c = 2.0 * h
    expected = 2.0 * 0.25 + lam * 2 * (c / (c + 4)) ** (h / 2) * (1 - math.exp(-float(shift @ shift) / (c + 4)))

    def sample(name):
        gen = torch.Generator().manual_seed(zlib.crc32(name.encode()))
        errors = torch.rand(n, generator=gen, dtype=torch.float64) * 0.5
        return errors, torch.randn(n, h, generator=gen, dtype=torch.float64) + shift

    values = [
        theorem2_row(trained, sample("train"), lambda k=k: sample(f"independent{k}"), lambda r: sample(f"fresh{r}"),
                     GapSettings(draws=2, seed=k))["objective_independent"]
        for k in range(60)
    ]  # fmt: skip
    mean, se = np.mean(values), np.std(values, ddof=1) / math.sqrt(len(values))
    assert abs(mean - expected) < 4 * se and se < 0.05 * expected


def test_the_bound_holds_for_a_small_trained_grid_model():
    from couae.core.training import train
    from couae.grid import model as grid_model
    from couae.grid.data import make_splits
    from couae.grid.evaluation import theorem2_columns
    from couae.settings import gap_settings
    from couae.theory.theorem2 import per_seed, theorem2_table, with_bound

    splits = make_splits(paper_grid(), {"train": 500, "validation": 200, "test": 10, "reference": 10}, seed=5)
    rows = []
    for experiment in ("wae", "couae", "vae"):
        settings = small_settings(experiment, iterations=300, seeds=[0])
        run = train(grid_model.build_run(settings, splits["train"]), 300, 100, 100)
        weights = grid_model.seed_weights(run, 0, settings)
        errors = {s: grid_model.reconstruction_errors(weights, splits[s]) for s in ("train", "validation")}
        rows.append({"experiment": experiment, "width": 0.5, "seed": 0, "test_log_likelihood": -5.0,
                     **reconstruction_summary(errors),
                     **theorem2_columns(settings, grid_model.load_autoencoder(weights), splits["train"],
                                        gap_settings(load_config()))})  # fmt: skip
    table = theorem2_table(with_bound(per_seed(pd.DataFrame(rows), "grid", n_train=500), delta=0.05))
    measured = table[table.experiment != "vae"]
    assert (measured.theorem_gap_mean > 0).all() and (measured.fresh_se > 0).all()
    assert (measured.theorem_gap_mean <= measured.eps_independent).all() and (measured.bound_holds == "1/1").all()
    assert (measured.generalisation_gap_mean > 0).all()
    assert (measured.eps_over_gap > 1).all()
    vae = table[table.experiment == "vae"].iloc[0]
    assert vae.assumptions == "vae objective, not eq. (2)" and np.isnan(vae.eps) and vae.bound_holds == ""
