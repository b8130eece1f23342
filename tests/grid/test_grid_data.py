import dataclasses
import math

import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from couae.grid.data import Mixture, make_splits
from helpers import paper_grid

SIZES = {"train": 500, "validation": 300, "test": 300, "reference": 300}


def test_centres_are_the_5x5_grid():
    centres = paper_grid().centres
    assert centres.shape == (25, 2)
    assert sorted(set(centres[:, 0])) == [-4, -2, 0, 2, 4]


def test_log_density_matches_scipy_mixture():
    mix = dataclasses.replace(paper_grid(), stds=np.full(25, 0.1))
    x = np.random.default_rng(0).uniform(-5, 5, size=(40, 2))
    comps = np.stack([multivariate_normal(c, 0.01).logpdf(x) for c in mix.centres])
    np.testing.assert_allclose(mix.log_density(x), logsumexp(comps, axis=0) - np.log(25), rtol=1e-10)


def test_a_mixture_with_a_std_per_centre_matches_scipy():
    centres, stds = [[0.0, 0.0], [3.0, 1.0], [-2.0, 4.0]], [0.5, 1.5, 0.2]
    mix = Mixture.of({"centres": centres, "std": stds})
    x = np.random.default_rng(0).uniform(-5, 5, size=(60, 2))
    comps = np.stack([multivariate_normal(c, s**2).logpdf(x) for c, s in zip(centres, stds, strict=True)])
    np.testing.assert_allclose(mix.log_density(x), logsumexp(comps, axis=0) - np.log(3), rtol=1e-10)
    assert mix.spacing == pytest.approx(math.dist(centres[0], centres[1]))  # the nearest two
    draws = mix.sample(60_000, np.random.default_rng(2))
    # each mode draws with its own std: within 3 of its stds of the third centre lie a third of the draws
    # times P(chi2_2 < 9) = 1 - exp(-4.5) (the other modes reach there with probability < 1e-4)
    within = (np.linalg.norm(draws - centres[2], axis=1) < 3 * 0.2).mean()
    assert within == pytest.approx((1 - math.exp(-4.5)) / 3, abs=0.006)  # 3 binomial standard errors


def test_the_ring_of_8_is_the_gan_benchmark():
    """Centres at radius 2, 45 degrees apart, the first on the x axis; neighbours a chord 2 r sin(pi/8) apart."""
    ring = Mixture.of({"count": 8, "radius": 2.0, "std": 0.02})
    np.testing.assert_allclose(np.linalg.norm(ring.centres, axis=1), 2.0)
    np.testing.assert_allclose(ring.centres[0], [2.0, 0.0])
    angles = np.degrees(np.arctan2(ring.centres[:, 1], ring.centres[:, 0])) % 360
    np.testing.assert_allclose(angles, np.arange(0, 360, 45), atol=1e-9)
    assert ring.spacing == pytest.approx(2 * 2.0 * math.sin(math.pi / 8)) == pytest.approx(1.5307, abs=1e-4)
    assert ring.spacing == pytest.approx(np.linalg.norm(ring.centres[0] - ring.centres[1]))
    # well-separated modes (76 stds apart): E log p = -ln 8 - 1 - ln(2 pi sigma^2)
    closed_form = -math.log(8) - 1 - math.log(2 * math.pi * 0.02**2)
    x = ring.sample(100_000, np.random.default_rng(1))
    assert ring.log_density(x).mean() == pytest.approx(closed_form, abs=0.01)


def test_the_grid_is_the_points_of_its_centres():
    """A grid written as its list of centres is the same mixture."""
    grid = paper_grid("cited")
    listed = Mixture.of({"centres": grid.centres.tolist(), "std": 1.0})
    x = grid.sample(500, np.random.default_rng(0))
    np.testing.assert_array_equal(listed.log_density(x), grid.log_density(x))
    assert listed.spacing == grid.spacing == 10.5


@pytest.mark.parametrize(
    "entry, named",
    [
        ({"std": 1.0}, "has none"),
        ({"per_axis": 5, "spacing": 2.0, "count": 8, "radius": 2.0, "std": 1.0}, "keys of grid and ring"),
        ({"count": 8, "std": 1.0}, "radius missing"),
    ],
)
def test_a_mixture_needs_exactly_one_shape(entry, named):
    with pytest.raises(ValueError, match=named):
        Mixture.of(entry)


@pytest.mark.parametrize("variant, std, ceiling", [("narrow", 0.05, -0.0653), ("cited", 1.0, -6.0568)])
def test_each_variant_ceiling_is_the_closed_form(variant, std, ceiling):
    """Well-separated equal-weight components: E log p = -ln 25 - 1 - ln(2 pi sigma^2)."""
    mix = paper_grid(variant)
    assert mix.std == std
    closed_form = -math.log(25) - 1 - math.log(2 * math.pi * std**2)
    assert closed_form == pytest.approx(ceiling, abs=1e-4)
    x = mix.sample(200_000, np.random.default_rng(1))
    # Monte Carlo: standard error about 1 / sqrt(2 n) = 0.0016 nats
    assert mix.log_density(x).mean() == pytest.approx(closed_form, abs=0.01)


def test_cited_variant_is_lim_and_ye_grid():
    centres = paper_grid("cited").centres
    assert sorted(set(centres[:, 0])) == [-21, -10.5, 0, 10.5, 21]


def test_splits_are_seeded_distinct_and_sized():
    a = make_splits(paper_grid(), SIZES, seed=3)
    b = make_splits(paper_grid(), SIZES, seed=3)
    c = make_splits(paper_grid(), SIZES, seed=4)
    for name, n in SIZES.items():
        assert a[name].shape == (n, 2)
        np.testing.assert_array_equal(a[name], b[name])
    assert not np.allclose(a["train"], c["train"])
    assert not np.allclose(a["validation"][:300], a["test"][:300])


@pytest.mark.parametrize(
    "change, named",
    [
        (lambda s: {**s, "test": np.zeros((250, 3))}, r"its 'test' split has shape \(250, 3\), not points in"),
        (lambda s: {**s, "train": s["train"][:100]}, r"training split holds 100 points and the settings ask for 500"),
        (lambda s: {k: v for k, v in s.items() if k != "reference"}, r"without the split\(s\) reference"),
        (lambda s: {**s, "validation": np.full((3, 2), np.nan)}, r"'validation' split holds non-finite values"),
    ],
)
def test_grid_data_that_does_not_match_the_settings_is_refused_naming_the_file(tmp_path, change, named):
    from couae.grid.data import load_splits
    from couae.runtime.atomic import save_npz
    from couae.runtime.loading import DamagedFileError

    good = make_splits(paper_grid(), SIZES, seed=3)
    path = tmp_path / "data.npz"
    save_npz(path, **good)
    assert {k: v.shape for k, v in load_splits(path, 500).items()} == {k: v.shape for k, v in good.items()}
    save_npz(path, **change(good))
    with pytest.raises(DamagedFileError, match=rf"^{path}: .*{named}.*delete it and re-run"):
        load_splits(path, 500)
