"""Grid metrics per seed: the KDE test log-likelihood of the generated samples
and the reconstruction errors on training and validation data (with xi, their
largest: Theorem 2); and the two reference rows of Table 1."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.objectives import reconstruction_summary
from ..settings import GridData, GridEvaluation
from .data import GridMixture
from .kde import bandwidth_grid, kde_test_log_likelihood
from .model import load_weights, reconstruction_errors


def _kde(samples, splits, settings: GridEvaluation, device):
    return kde_test_log_likelihood(
        samples,
        splits["test"],
        bandwidth_grid(**settings.bandwidths),
        selection=settings.selection,
        folds=settings.cv_folds,
        validation=splits["validation"],
        device=device,
    )


def evaluate_seed(weights: dict, samples: np.ndarray, splits, settings: GridEvaluation, device="cpu") -> dict:
    if not np.isfinite(samples).all():
        raise ValueError(f"seed {weights['seed']}: generated samples contain non-finite values")
    kde = _kde(samples, splits, settings, device)
    errors = {split: reconstruction_errors(weights, splits[split]) for split in ("train", "validation")}
    trained = weights["settings"]
    return {
        "experiment": trained["experiment"],
        "width": trained["width"],
        "seed": weights["seed"],
        "test_log_likelihood": kde.test_log_likelihood,
        "bandwidth": kde.bandwidth,
        **reconstruction_summary(errors),
    }


def evaluate_job(weights_paths, samples_paths, splits, settings: GridEvaluation) -> pd.DataFrame:
    """One row per seed of an (experiment, width) job, in the order given."""
    if len(weights_paths) != len(samples_paths):
        raise ValueError("weights and samples must list the same seeds")
    rows = [
        evaluate_seed(load_weights(w), np.load(s), splits, settings)
        for w, s in zip(weights_paths, samples_paths, strict=True)
    ]
    return pd.DataFrame(rows)


def reference_rows(splits, data: GridData, settings: GridEvaluation, device="cpu") -> pd.DataFrame:
    """The two reference rows of Table 1: the true density itself, and a KDE
    fitted on true samples with the same bandwidth selection as the models."""
    true_ll = float(GridMixture.from_settings(data).log_density(splits["test"]).mean())
    kde = _kde(splits["reference"], splits, settings, device)
    return pd.DataFrame(
        [
            {"reference": "true density", "test_log_likelihood": true_ll, "bandwidth": np.nan},
            {
                "reference": f"KDE on {len(splits['reference'])} true samples",
                "test_log_likelihood": kde.test_log_likelihood,
                "bandwidth": kde.bandwidth,
            },
        ]
    )
