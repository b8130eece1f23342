"""Theorem 2 per width: the table from per-seed evaluations (xi, test metric,
the bound and the measured gap) and its figures."""

import math

import matplotlib.colors
import pandas as pd
import pytest

from couae.theory.figures import theorem2_bound_figure, theorem2_figure
from couae.theory.theorem2 import per_seed, theorem2_table, with_bound


def gap_columns(gap, recon_weight=1.0, k_bound=7.0):
    """Theorem 2's columns as the evaluations write them for an MMD model."""
    return {
        "lambda": 100.0,
        "recon_weight": recon_weight,
        "assumptions": "h = 2 (the theorem needs h > 2)",
        "kernel_bound": k_bound,
        "kernel_bound_source": "k(z, z)",
        "objective_train": 1.0,
        "objective_independent": 1.0 + gap / 2,
        "independent_size": 250,
        "objective_fresh": 1.0 + gap,
        "objective_fresh_std": 0.2,
        "fresh_draws": 4,
        "fresh_size": 500,
        "theorem_gap": gap / 2,
        "generalisation_gap": gap,
        "generalisation_gap_recon": gap / 2,
        "generalisation_gap_mmd2": gap / 200,
    }


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
                    "recon_mean": xi / 4,
                    **gap_columns(0.1 * (seed + 1)),
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
                "recon_mean": xi / 10,
                **gap_columns(0.5, recon_weight=0.05, k_bound=1.0),
                "caveats": caveats,
            }
            for w, xi, fid in ((0.25, 900.0, 60.0), (0.5, 700.0, 52.0), (1.0, 500.0, 47.0))
        ]
    )


def test_table_summarises_xi_and_test_metric_per_width():
    t = theorem2_table(with_bound(per_seed(grid_evals(), "grid", n_train=500), delta=0.05))
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
    t = theorem2_table(with_bound(seeds, delta=0.05))
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


def test_bound_columns_per_width_use_each_seeds_own_xi_in_objective_units():
    seeds = with_bound(
        pd.concat([per_seed(grid_evals(), "grid", n_train=500), per_seed(celeba_evals(), "celeba")]), 0.05
    )
    t = theorem2_table(seeds)
    row = t[(t.dataset == "grid") & (t.width == 1.0)].iloc[0]
    q = math.sqrt(math.log(8 / 0.05) / (2 * 500))
    assert row.t == pytest.approx(5.0 * q)  # mean over seeds of xi_seed x q
    assert row.v == pytest.approx(7.0 * q) and row.s == pytest.approx(7.0 * math.sqrt(math.log(160) / 500))
    assert row.eps == pytest.approx(row.t + 100 * (2 * row.s + row.v)) and row.dominant in ("s", "u")
    assert row.eps_mean_xi == pytest.approx(row.eps - row.t + 1.25 * q)  # xi_mean = xi / 4
    assert row.generalisation_gap_mean == pytest.approx(0.2) and row.generalisation_gap_max == pytest.approx(0.3)
    assert row.theorem_gap_mean == pytest.approx(0.1) and row.theorem_gap_max == pytest.approx(0.15)
    # the independent sample's bound is at its own size, 250: every term but t at N / 2 instead of N
    assert row.eps_independent == pytest.approx(row.t * math.sqrt(2) + 100 * (2 * row.s + row.v) * math.sqrt(2))
    assert row.fresh_se == pytest.approx(0.1) and row.bound_holds == "3/3"
    assert row.eps_over_gap == pytest.approx(row.eps_independent / 0.1)
    celeba = t[t.dataset == "celeba"].iloc[0]  # xi in objective units: 0.05 x 900
    assert celeba.xi_objective == pytest.approx(45.0) and celeba.t == pytest.approx(
        45.0 * math.sqrt(math.log(160) / 2000)
    )


def test_a_gap_beyond_eps_is_counted_and_a_vae_row_has_no_bound():
    evals = grid_evals()
    evals.loc[0, "theorem_gap"] = 1e6
    evals.loc[1, "generalisation_gap"] = 1e6  # not what the theorem bounds: no effect on bound_holds
    vae = grid_evals().assign(experiment="vae", assumptions="vae objective, not eq. (2)")
    vae[["theorem_gap", "generalisation_gap", "kernel_bound", "objective_fresh_std"]] = float("nan")
    t = theorem2_table(with_bound(per_seed(pd.concat([evals, vae]), "grid", n_train=500), 0.05))
    assert list(t[t.experiment == "couae"].bound_holds) == ["2/3", "3/3"]
    v = t[t.experiment == "vae"]
    assert v.eps.isna().all() and (v.bound_holds == "").all() and (v.assumptions == "vae objective, not eq. (2)").all()


def test_bound_figure_plots_eps_and_gap_per_dataset():
    seeds = with_bound(
        pd.concat([per_seed(grid_evals(), "grid", n_train=500), per_seed(celeba_evals(), "celeba")]), 0.05
    )
    fig = theorem2_bound_figure(theorem2_table(seeds), {"grid": {"couae": "CouAE"}})
    grid_ax, celeba_ax = fig.axes
    assert grid_ax.get_yscale() == "log" and grid_ax.get_title() == "grid"
    eps_line, gap_line, generalisation_line = grid_ax.lines[:3]
    assert list(eps_line.get_xdata()) == [0.5, 1.0] and list(gap_line.get_ydata()) == pytest.approx([0.1, 0.1])
    assert list(generalisation_line.get_ydata()) == pytest.approx([0.2, 0.2])
    assert list(eps_line.get_ydata()) == pytest.approx(theorem2_table(seeds).query("dataset == 'grid'").eps_independent)
    assert "STAND-IN DATA" in celeba_ax.get_title()
    assert [t.get_text() for t in fig.legends[0].texts][0] == "CouAE"
