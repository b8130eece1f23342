"""Theorem 2's measured inputs: the per-width table from per-seed evaluations."""

import matplotlib.colors
import pandas as pd
import pytest

from couae.theory.figures import theorem2_figure
from couae.theory.theorem2 import per_seed, theorem2_table


def grid_evals():
    rows = []
    for width, base_xi in ((0.5, 1.0), (1.0, 4.0)):
        for seed, (dxi, ll) in enumerate([(0.0, -4.0), (1.0, -4.5), (2.0, -5.0)]):
            xi = base_xi + dxi
            rows.append(
                {
                    "experiment": "couae",
                    "width": width,
                    "seed": seed,
                    "test_log_likelihood": ll - width,
                    "bandwidth": 0.1,
                    "recon_train_max": xi,
                    "recon_validation_max": xi - 0.5,
                    "xi": xi,
                }
            )
    return pd.DataFrame(rows)


def celeba_evals(caveats="stand-in data, not CelebA; test-only features, not FID"):
    """As evaluate_celeba writes them: N and caveats in every row (CSV read with keep_default_na=False)."""
    return pd.DataFrame(
        [
            {
                "experiment": "couae",
                "width": w,
                "seed": 0,
                "fid": fid,
                "n_generated": 300,
                "n_train": 1000,
                "recon_train_max": xi,
                "recon_validation_max": xi / 2,
                "xi": xi,
                "caveats": caveats,
            }
            for w, xi, fid in ((0.25, 900.0, 60.0), (0.5, 700.0, 52.0), (1.0, 500.0, 47.0))
        ]
    )


def test_table_summarises_xi_and_test_metric_per_width():
    t = theorem2_table(per_seed(grid_evals(), "grid", n_train=500))
    assert list(t.width) == [0.5, 1.0] and (t.n_train == 500).all() and (t.n_seeds == 3).all()
    row = t[t.width == 1.0].iloc[0]
    assert row.xi_mean == pytest.approx(5.0) and row.xi_std == pytest.approx(1.0) and row.xi_max == 6.0
    assert row.recon_validation_max_mean == pytest.approx(4.5)
    assert row.metric == "test log-likelihood (higher is better)" and row.metric_mean == pytest.approx(-5.5)
    # rank correlation over all seeds and widths of the experiment
    assert row.spearman_xi_vs_metric == pytest.approx(
        pd.Series([1, 2, 3, 4, 5, 6]).corr(pd.Series([-4.5, -5.0, -5.5, -5.0, -5.5, -6.0]), method="spearman")
    )
    assert row.spearman_xi_vs_metric < -0.8
    assert row.caveats == ""


def test_celeba_rows_use_fid_their_own_n_and_keep_their_caveats():
    seeds = pd.concat([per_seed(grid_evals(), "grid", n_train=500), per_seed(celeba_evals(), "celeba")])
    t = theorem2_table(seeds)
    celeba = t[t.dataset == "celeba"]
    assert list(celeba.width) == [0.25, 0.5, 1.0] and (celeba.n_train == 1000).all()
    assert (t[t.dataset == "grid"].n_train == 500).all()
    assert list(celeba.metric_mean) == [60.0, 52.0, 47.0] and (celeba.metric == "FID (lower is better)").all()
    # larger xi with larger (worse) FID: the claimed trend is a positive correlation here
    assert celeba.spearman_xi_vs_metric.iloc[0] == pytest.approx(1.0)
    assert celeba.n_seeds.eq(1).all() and celeba.xi_std.isna().all()  # one seed: no spread, not 0
    assert celeba.caveats.eq("stand-in data, not CelebA; test-only features, not FID").all()


def test_a_dataset_metric_that_is_missing_is_an_error():
    with pytest.raises(KeyError, match="metric_value"):
        per_seed(grid_evals().drop(columns="test_log_likelihood"), "grid", n_train=500)


def test_figure_has_a_row_per_dataset_and_marks_caveats():
    grid = pd.concat([grid_evals(), grid_evals().assign(experiment="wae")])
    seeds = pd.concat([per_seed(grid, "grid", n_train=500), per_seed(celeba_evals(), "celeba")])
    fig = theorem2_figure(seeds, {"grid": {"couae": "CouAE"}, "celeba": {"couae": "CouAE (CelebA)"}})
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(fig.axes) == 4 and len(visible) == 3  # 2 grid panels, 1 CelebA panel, 1 empty slot
    grid_ax, celeba_ax = visible[0], visible[2]
    assert grid_ax.get_title().startswith("grid: CouAE") and len(grid_ax.collections) == 2  # a scatter per width
    assert celeba_ax.get_ylabel() == "FID (lower is better)" and len(celeba_ax.collections) == 3
    assert "STAND-IN DATA" in celeba_ax.get_title()
    assert matplotlib.colors.same_color(celeba_ax.title.get_color(), "crimson")
    assert matplotlib.colors.same_color(grid_ax.title.get_color(), "black")
