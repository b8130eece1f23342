import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import multivariate_normal
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KernelDensity

from couae.grid.kde import bandwidth_grid, cv_scores, kde_log_density, kde_test_log_likelihood


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    samples = rng.normal(size=(300, 2)) * [1.0, 0.3] + [0.5, -1.0]
    query = rng.normal(size=(50, 2))
    return samples, query


def test_log_density_matches_sklearn(data):
    samples, query = data
    bws = [0.05, 0.3, 2.0]
    ours = kde_log_density(samples, query, bws)
    for k, bw in enumerate(bws):
        ref = KernelDensity(bandwidth=bw, rtol=0, atol=0).fit(samples).score_samples(query)
        # sklearn's tree estimator bounds far-away nodes and drifts in the deep
        # tails (log density << -20) even with rtol=0; scipy's exact mixture
        # checks those points (test below).
        typical = ref > -20
        assert typical.sum() >= 5
        np.testing.assert_allclose(ours[k][typical], ref[typical], rtol=1e-8)


def test_log_density_matches_scipy_mixture(data):
    samples, query = data
    bw = 0.05  # small: many points far in the tails, where exactness matters
    comps = np.stack([multivariate_normal(mean=s, cov=bw**2).logpdf(query) for s in samples])
    ref = logsumexp(comps, axis=0) - np.log(len(samples))
    np.testing.assert_allclose(kde_log_density(samples, query, [bw])[0], ref, rtol=1e-10)


def test_cv_selection_matches_gridsearchcv(data):
    samples, query = data
    bws = bandwidth_grid(-1, 0.5, 8)  # wide enough that no held-out point underflows
    search = GridSearchCV(KernelDensity(rtol=0, atol=0), {"bandwidth": bws}, cv=5).fit(samples)
    np.testing.assert_allclose(cv_scores(samples, bws, 5), search.cv_results_["mean_test_score"], rtol=1e-9)
    result = kde_test_log_likelihood(samples, query, bws, selection="cv", folds=5)
    assert result.bandwidth == pytest.approx(search.best_params_["bandwidth"])
    assert result.test_log_likelihood == pytest.approx(search.best_estimator_.score_samples(query).mean(), abs=1e-9)


def test_validation_selection_uses_validation_log_likelihood(data):
    samples, query = data
    rng = np.random.default_rng(1)
    validation = rng.normal(size=(100, 2)) * [1.0, 0.3] + [0.5, -1.0]
    bws = [0.01, 0.2, 5.0]
    result = kde_test_log_likelihood(samples, query, bws, selection="validation", folds=5, validation=validation)
    means = [KernelDensity(bandwidth=b).fit(samples).score_samples(validation).mean() for b in bws]
    assert result.bandwidth == bws[int(np.argmax(means))]


def test_rejects_unknown_selection(data):
    samples, query = data
    with pytest.raises(ValueError, match="unknown bandwidth selection"):
        kde_test_log_likelihood(samples, query, [1.0], selection="silverman", folds=5)


def test_paper_bandwidth_grid():
    np.testing.assert_allclose(bandwidth_grid(-3, 1.5, 10), np.logspace(-3, 1.5, 10))
