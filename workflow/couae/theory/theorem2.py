"""Theorem 2's measured inputs: per dataset, experiment and width, the largest
reconstruction error xi (over training and validation data), the test metric
(the grid's KDE log-likelihood, CelebA's FID) and the number of training
points N.

The bound itself is not evaluated here: its statement is not available to
this package, and its terms will not be guessed. What is measured is what the
bound depends on, per width, so that its claimed trend (smaller xi, better
generalisation) can be checked against the data.
"""

from __future__ import annotations

import pandas as pd

from ..report import caveats
from ..report.paper import METRICS

PER_SEED_COLUMNS = [
    "dataset",
    "variant",
    "experiment",
    "width",
    "seed",
    "n_train",
    "xi",
    "recon_train_max",
    "recon_validation_max",
    "metric_value",
    "caveats",
]
COLUMNS = [
    "dataset",
    "variant",
    "experiment",
    "width",
    "n_train",
    "n_seeds",
    "xi_mean",
    "xi_std",
    "xi_max",
    "recon_train_max_mean",
    "recon_validation_max_mean",
    "metric",
    "metric_mean",
    "metric_std",
    "spearman_xi_vs_metric",
    "caveats",
]


def per_seed(evals: pd.DataFrame, dataset: str, n_train: int | None = None) -> pd.DataFrame:
    """One dataset's evaluation rows (one per seed) in a shared layout: its test
    metric (see `paper.METRICS`) as `metric_value`; N from the rows or `n_train`."""
    metric = METRICS[dataset][0]
    out = evals.rename(columns={metric: "metric_value"}).assign(dataset=dataset)
    if "variant" not in out:  # CelebA has no variants
        out["variant"] = ""
    if n_train is not None:
        out["n_train"] = n_train
    if "caveats" not in out:
        out["caveats"] = ""
    out["caveats"] = out["caveats"].fillna("")
    return out[PER_SEED_COLUMNS]


def theorem2_table(seeds: pd.DataFrame) -> pd.DataFrame:
    """One row per (dataset, variant, experiment, width) from `per_seed` rows.

    spearman_xi_vs_metric: rank correlation across the seeds and widths of one
    experiment; the claimed trend (larger xi, worse test metric) makes it
    negative for a log-likelihood and positive for FID."""
    rows = []
    for (dataset, variant, experiment), by_exp in seeds.groupby(["dataset", "variant", "experiment"], sort=False):
        rho = by_exp["xi"].corr(by_exp["metric_value"], method="spearman") if len(by_exp) > 2 else float("nan")
        for width, g in by_exp.groupby("width", sort=True):
            rows.append(
                {
                    "dataset": dataset,
                    "variant": variant,
                    "experiment": experiment,
                    "width": width,
                    "n_train": int(g["n_train"].iloc[0]),
                    "n_seeds": len(g),
                    "xi_mean": g["xi"].mean(),
                    "xi_std": g["xi"].std(ddof=1),
                    "xi_max": g["xi"].max(),
                    "recon_train_max_mean": g["recon_train_max"].mean(),
                    "recon_validation_max_mean": g["recon_validation_max"].mean(),
                    "metric": METRICS[dataset][1],
                    "metric_mean": g["metric_value"].mean(),
                    "metric_std": g["metric_value"].std(ddof=1),
                    "spearman_xi_vs_metric": rho,
                    "caveats": caveats.join_distinct(g["caveats"]),
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS)
