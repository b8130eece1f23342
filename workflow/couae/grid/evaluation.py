"""Grid metrics per seed: the KDE test log-likelihood of the generated samples
and the reconstruction errors on training and validation data (with xi, their
largest: Theorem 2), for the final networks and the log-likelihood of those
kept during training (convergence); and the two reference rows of Table 1."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from .. import caveats
from ..core.objectives import reconstruction_summary
from ..core.seeding import numpy_rng
from ..models import model_type
from ..runtime.loading import load_array
from ..settings import GapSettings
from ..theory.generalisation import objective_failure, theorem2_row
from .data import Mixture, source_of
from .kde import bandwidth_grid, kde_test_log_likelihood
from .model import errors_and_codes, load_autoencoder, load_weights, seed_splits
from .settings import GridEvaluation, GridTraining

log = logging.getLogger(__name__)


def mode_statistics(samples: np.ndarray, mixture: Mixture, modes: dict) -> dict:
    """The mode-collapse numbers of the GAN literature (unrolled GANs, VEEGAN,
    PacGAN) for one seed's samples. A sample is of high quality when within
    `radius_stds` standard deviations of its nearest centre, and then counts
    for that mode. modes_covered: modes with at least `min_samples` such
    samples; high_quality: their share of all samples; mode_kl: KL(histogram
    of the high-quality samples over the modes || uniform), in nats (0: every
    mode equally often; log K: one mode; NaN: no high-quality sample)."""
    dist = np.linalg.norm(samples[:, None, :] - mixture.centres[None], axis=-1)
    nearest = dist.argmin(1)
    near = dist.min(1) < modes["radius_stds"] * mixture.stds[nearest]  # in that mode's own stds
    k = len(mixture.centres)
    counts = np.bincount(nearest[near], minlength=k)
    share = counts[counts > 0] / counts.sum() if counts.sum() else None
    return {
        "modes_covered": int((counts >= modes["min_samples"]).sum()),
        "high_quality": float(near.mean()),
        "mode_kl": float((share * np.log(share * k)).sum()) if share is not None else np.nan,
    }


def mixture_statistics(samples: np.ndarray, source, modes: dict) -> dict:
    """The mode-collapse numbers where the data are a mixture (its modes are what they count); none else."""
    return mode_statistics(samples, source, modes) if isinstance(source, Mixture) else {}


def kde_score(samples, splits, settings: GridEvaluation, device, scored: str = "test"):
    return kde_test_log_likelihood(
        samples,
        splits[scored],
        bandwidth_grid(**settings.bandwidths),
        selection=settings.selection,
        folds=settings.cv_folds,
        validation=splits["validation"],
        device=device,
    )


def theorem2_columns(trained: GridTraining, autoencoder, train: np.ndarray, settings: GapSettings) -> dict:
    """Theorem 2's columns of one seed (its `load_autoencoder` pair): L_hat on
    an independent draw of N points from the grid's own mixture (what the
    theorem bounds) and on its N training points (the generalisation gap),
    against L estimated on fresh draws of N points (from the point source the job's data name)."""
    if objective_failure(trained):  # the row names the failed assumption, without numbers
        return theorem2_row(trained, None, None, None, settings)
    source = source_of(trained.data)

    def draw(stream: str):
        return errors_and_codes(autoencoder, source.sample(len(train), numpy_rng(settings.seed, stream)))

    return theorem2_row(
        trained,
        errors_and_codes(autoencoder, train),
        lambda: draw("theorem2/independent"),
        lambda r: draw(f"theorem2/fresh/{r}"),
        settings,
    )


def evaluate_seed(
    weights: dict, samples: np.ndarray, splits, settings: GridEvaluation, gap: GapSettings, device="cpu"
) -> dict:
    if not np.isfinite(samples).all():
        raise ValueError(f"seed {weights['seed']}: generated samples contain non-finite values")
    kde = kde_score(samples, splits, settings, device)
    trained = GridTraining.from_dict(weights["settings"])
    spec = model_type(trained.model)
    marks = spec.caveats(weights.get("diagnostics", {}))
    if not spec.reconstructs:  # no encoder: nothing is reconstructed, xi does not exist
        autoencoder = None
        errors = {split: np.array([np.nan]) for split in ("train", "validation")}
    else:  # built once per seed, used for every split and fresh draw
        autoencoder = load_autoencoder(weights)
        errors = {split: errors_and_codes(autoencoder, splits[split])[0].numpy() for split in ("train", "validation")}
    return {
        "experiment": trained.experiment,
        "width": trained.width,
        "seed": weights["seed"],
        "n_train": len(splits["train"]),
        "test_log_likelihood": kde.test_log_likelihood,
        "bandwidth": kde.bandwidth,
        **mixture_statistics(samples, source_of(trained.data), settings.modes),
        **reconstruction_summary(errors),
        **theorem2_columns(trained, autoencoder, splits["train"], gap),
        "caveats": caveats.join(marks),
    }


def evaluate_job(
    variant: str,
    trained: GridTraining,
    weights_paths,
    samples_paths,
    splits,
    settings: GridEvaluation,
    gap: GapSettings,
) -> pd.DataFrame:
    """One row per seed of a (variant, experiment, width) job: weights and
    samples per seed, in the order of trained.seeds; weights of another job
    are refused."""
    if not len(weights_paths) == len(samples_paths) == len(trained.seeds):
        raise ValueError(f"expected weights and samples of the seeds {list(trained.seeds)}")
    rows = []
    for seed, weights_path, samples_path in zip(trained.seeds, weights_paths, samples_paths, strict=True):
        weights = load_weights(weights_path, trained, seed)
        samples = load_array(samples_path, "generated samples")
        own = seed_splits(trained, splits, seed)  # its own training split where every seed has one
        rows.append({"variant": variant, **evaluate_seed(weights, samples, own, settings, gap)})
        log.info("%s %s x%g seed %d: test log-likelihood %.4f", variant, trained.experiment, trained.width, seed,
                 rows[-1]["test_log_likelihood"])  # fmt: skip
    return pd.DataFrame(rows)


CONVERGENCE_COLUMNS = ["variant", "experiment", "width", "seed", "step", "test_log_likelihood", "bandwidth"]


def convergence_rows(snapshots: dict, final: pd.DataFrame, splits, settings: GridEvaluation) -> pd.DataFrame:
    """The test log-likelihood at every snapshot step (same KDE protocol as the
    final evaluation) and at the last step (`final`, the job's evaluation rows)."""
    trained = snapshots["settings"]
    rows = []
    for i, step in enumerate(snapshots["steps"]):
        log.info("snapshot at step %d: %d seeds", step, len(snapshots["seeds"]))
        for k, seed in enumerate(snapshots["seeds"]):
            kde = kde_score(snapshots["samples"][i, k].double().numpy(), splits, settings, "cpu")
            rows.append(
                {
                    "variant": final["variant"].iloc[0],
                    "experiment": trained["experiment"],
                    "width": trained["width"],
                    "seed": seed,
                    "step": step,
                    "test_log_likelihood": kde.test_log_likelihood,
                    "bandwidth": kde.bandwidth,
                }
            )
    last = final.assign(step=trained["iterations"])[CONVERGENCE_COLUMNS]
    return pd.concat([pd.DataFrame(rows, columns=CONVERGENCE_COLUMNS), last], ignore_index=True)


def reference_rows(variant: str, splits, data, settings: GridEvaluation, device="cpu") -> pd.DataFrame:
    """A variant's reference rows of Table 1, its ceilings: the true density
    itself (where its source has a closed form), and a KDE fitted on true
    samples with the models' bandwidth selection. `data`: the job's data settings."""
    density = source_of(data).log_density(splits["test"])
    kde = kde_score(splits["reference"], splits, settings, device)
    true_row = {"variant": variant, "reference": "true density", "bandwidth": np.nan}
    return pd.DataFrame(
        [
            *([{**true_row, "test_log_likelihood": float(density.mean())}] if density is not None else []),
            {
                "variant": variant,
                "reference": f"KDE on {len(splits['reference'])} true samples",
                "test_log_likelihood": kde.test_log_likelihood,
                "bandwidth": kde.bandwidth,
            },
        ]
    )


def convergence_summary(rows: pd.DataFrame) -> pd.DataFrame:
    """Per variant, experiment, width and step: the test log-likelihood over
    seeds (mean, sample std, min, max, n), in the order the rows come."""
    grouped = rows.groupby(["variant", "experiment", "width", "step"], sort=False)["test_log_likelihood"]
    out = grouped.agg(n_seeds="count", mean="mean", std=lambda v: v.std(ddof=1), min="min", max="max")
    return out.reset_index().sort_values(["variant", "experiment", "width", "step"], kind="stable", ignore_index=True)
