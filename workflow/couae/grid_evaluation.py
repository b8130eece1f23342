"""Grid metrics per seed: KDE test log-likelihood of the generated samples and
the reconstruction error on training and validation data (the xi of Theorem 2:
the largest per-point error over both)."""
from __future__ import annotations

import numpy as np

from .grid_data import GridMixture
from .grid_model import reconstruction_errors
from .kde import bandwidth_grid, kde_test_log_likelihood


def _kde(samples, splits, eval_settings, device):
    return kde_test_log_likelihood(
        samples,
        splits["test"],
        bandwidth_grid(**eval_settings["bandwidths"]),
        selection=eval_settings["selection"],
        folds=eval_settings["cv_folds"],
        validation=splits["validation"],
        device=device,
    )


def evaluate_seed(weights: dict, samples: np.ndarray, splits, eval_settings, device="cpu") -> dict:
    if not np.isfinite(samples).all():
        raise ValueError(f"seed {weights['seed']}: generated samples contain non-finite values")
    kde = _kde(samples, splits, eval_settings, device)
    rec_train = reconstruction_errors(weights, splits["train"])
    rec_val = reconstruction_errors(weights, splits["validation"])
    s = weights["settings"]
    return {
        "experiment": s["experiment"],
        "width": s["width"],
        "seed": weights["seed"],
        "test_log_likelihood": kde.test_log_likelihood,
        "bandwidth": kde.bandwidth,
        "recon_train_mean": rec_train.mean(),
        "recon_train_max": rec_train.max(),
        "recon_validation_mean": rec_val.mean(),
        "recon_validation_max": rec_val.max(),
        "xi": max(rec_train.max(), rec_val.max()),
    }


def reference_rows(splits, data_settings: dict, eval_settings, device="cpu") -> list[dict]:
    """The two reference rows of Table 1: the true density itself, and a KDE
    fitted on true samples with the same bandwidth selection as the models."""
    mixture = GridMixture(data_settings["per_axis"], data_settings["spacing"], data_settings["std"])
    true_ll = float(mixture.log_density(splits["test"]).mean())
    kde = _kde(splits["reference"], splits, eval_settings, device)
    return [
        {"reference": "true density", "test_log_likelihood": true_ll, "bandwidth": np.nan},
        {"reference": f"KDE on {len(splits['reference'])} true samples",
         "test_log_likelihood": kde.test_log_likelihood, "bandwidth": kde.bandwidth},
    ]
