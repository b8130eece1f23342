"""Theorem 2's measured inputs: the per-width table from per-seed evaluations."""
import pandas as pd
import pytest

from couae.theorem2 import theorem2_table
from couae.theory_figures import theorem2_figure


def evals():
    rows = []
    for width, base_xi in ((0.5, 1.0), (1.0, 4.0)):
        for seed, (dxi, ll) in enumerate([(0.0, -4.0), (1.0, -4.5), (2.0, -5.0)]):
            xi = base_xi + dxi
            rows.append({"experiment": "couae", "width": width, "seed": seed, "test_log_likelihood": ll - width,
                         "recon_train_max": xi, "recon_validation_max": xi - 0.5, "xi": xi})
    return pd.DataFrame(rows)


def test_table_summarises_xi_and_test_metric_per_width():
    t = theorem2_table(evals(), n_train=500)
    assert list(t.width) == [0.5, 1.0] and (t.n_train == 500).all() and (t.n_seeds == 3).all()
    row = t[t.width == 1.0].iloc[0]
    assert row.xi_mean == pytest.approx(5.0) and row.xi_std == pytest.approx(1.0) and row.xi_max == 6.0
    assert row.recon_validation_max_mean == pytest.approx(4.5)
    assert row.test_log_likelihood_mean == pytest.approx(-5.5)
    # rank correlation over all seeds and widths of the experiment
    assert row.spearman_xi_vs_loglik == pytest.approx(pd.Series([1, 2, 3, 4, 5, 6]).corr(
        pd.Series([-4.5, -5.0, -5.5, -5.0, -5.5, -6.0]), method="spearman"))
    assert row.spearman_xi_vs_loglik < -0.8


def test_figure_has_one_panel_per_experiment():
    e = pd.concat([evals(), evals().assign(experiment="wae")])
    fig = theorem2_figure(e, {"couae": "CouAE"})
    assert len(fig.axes) == 2 and fig.axes[0].get_title() == "CouAE"
    assert len(fig.axes[0].collections) == 2  # one scatter per width
