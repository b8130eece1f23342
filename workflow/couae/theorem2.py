"""Theorem 2's measured inputs on the grid: per experiment and width, the
largest reconstruction error xi (over training and validation data), the test
log-likelihood, and the number of training points N.

The bound itself is not evaluated here: its statement is not available to
this package, and its terms will not be guessed. What is measured is what the
bound depends on, per width, so that its claimed trend (smaller xi, better
generalisation) can be checked against the data.
"""
from __future__ import annotations

import pandas as pd

COLUMNS = ["experiment", "width", "n_train", "n_seeds", "xi_mean", "xi_std", "xi_max",
           "recon_train_max_mean", "recon_validation_max_mean",
           "test_log_likelihood_mean", "test_log_likelihood_std", "spearman_xi_vs_loglik"]


def theorem2_table(evals: pd.DataFrame, n_train: int) -> pd.DataFrame:
    """One row per (experiment, width) from the grid evaluation rows (one per seed).

    spearman_xi_vs_loglik: rank correlation across seeds and widths of one
    experiment (negative when a larger xi goes with a worse test log-likelihood)."""
    rows = []
    for experiment, by_exp in evals.groupby("experiment", sort=False):
        rho = by_exp["xi"].corr(by_exp["test_log_likelihood"], method="spearman") if len(by_exp) > 2 else float("nan")
        for width, g in by_exp.groupby("width", sort=True):
            rows.append({
                "experiment": experiment, "width": width, "n_train": n_train, "n_seeds": len(g),
                "xi_mean": g["xi"].mean(), "xi_std": g["xi"].std(ddof=1), "xi_max": g["xi"].max(),
                "recon_train_max_mean": g["recon_train_max"].mean(),
                "recon_validation_max_mean": g["recon_validation_max"].mean(),
                "test_log_likelihood_mean": g["test_log_likelihood"].mean(),
                "test_log_likelihood_std": g["test_log_likelihood"].std(ddof=1),
                "spearman_xi_vs_loglik": rho,
            })
    return pd.DataFrame(rows, columns=COLUMNS)
