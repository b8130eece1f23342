import dataclasses

import numpy as np
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from couae.grid.data import make_splits
from helpers import paper_grid

SIZES = {"train": 500, "validation": 300, "test": 300, "reference": 300}


def test_centres_are_the_5x5_grid():
    centres = paper_grid().centres
    assert centres.shape == (25, 2)
    assert sorted(set(centres[:, 0])) == [-4, -2, 0, 2, 4]


def test_log_density_matches_scipy_mixture():
    mix = dataclasses.replace(paper_grid(), std=0.1)
    x = np.random.default_rng(0).uniform(-5, 5, size=(40, 2))
    comps = np.stack([multivariate_normal(c, 0.01).logpdf(x) for c in mix.centres])
    np.testing.assert_allclose(mix.log_density(x), logsumexp(comps, axis=0) - np.log(25), rtol=1e-10)


def test_true_density_test_log_likelihood_is_about_minus_0_08():
    # reference-settings.md: the true density scores about -0.08 per point
    mix = paper_grid()
    x = mix.sample(20000, np.random.default_rng(1))
    assert abs(mix.log_density(x).mean() - (-0.08)) < 0.03


def test_splits_are_seeded_distinct_and_sized():
    a = make_splits(paper_grid(), SIZES, seed=3)
    b = make_splits(paper_grid(), SIZES, seed=3)
    c = make_splits(paper_grid(), SIZES, seed=4)
    for name, n in SIZES.items():
        assert a[name].shape == (n, 2)
        np.testing.assert_array_equal(a[name], b[name])
    assert not np.allclose(a["train"], c["train"])
    assert not np.allclose(a["validation"][:300], a["test"][:300])
