"""The tuning rule for rows without the paper's settings (the extension rows:
the Coulomb GAN, the learned kernel, the Gaussian and Plummer rows, any row
added later; never the paper's own). Each row's declared candidates
(`grid.tuning.rows`) train at one reduced budget, the same for every row,
on every grid variant; each is scored by its generated samples' KDE
log-likelihood on the *validation* split (the test split stays untouched),
and the candidate with the best mean over variants of the seeds' mean wins.
The choice is a config file (`results/tuning/tuned.yaml`) that runs the
tuned rows like any other (`--configfile`), and a record the tables' notes
name (`grid.tuned`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import yaml

from .data import Mixture
from .evaluation import kde_score, mode_statistics
from .settings import GridEvaluation, GridTraining

COLUMNS = ["variant", "experiment", "candidate", "settings", "seed", "validation_log_likelihood", "modes_covered"]


def candidate_rows(
    variant: str,
    candidate: int,
    overrides: dict,
    trained: GridTraining,
    samples: np.ndarray,
    splits,
    settings: GridEvaluation,
) -> pd.DataFrame:
    """One candidate's rows, a seed each: the validation log-likelihood of its
    generated samples (samples: (seeds, n, 2)) and the modes they cover."""
    mixture = Mixture.of(trained.data)
    rows = []
    for seed, seed_samples in zip(trained.seeds, samples, strict=True):
        kde = kde_score(seed_samples, splits, settings, "cpu", scored="validation")
        rows.append(
            {
                "variant": variant,
                "experiment": trained.experiment,
                "candidate": candidate,
                "settings": describe(overrides),
                "seed": seed,
                "validation_log_likelihood": kde.test_log_likelihood,
                "modes_covered": mode_statistics(seed_samples, mixture, settings.modes)["modes_covered"],
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def describe(overrides: dict) -> str:
    """'model_params.generator_lr = 0.0001, kernel_params.eps = 0.3'."""
    return ", ".join(f"{key} = {value}" for key, value in overrides.items()) or "as configured"


def choose(rows: pd.DataFrame) -> pd.DataFrame:
    """Per row and candidate: the mean validation log-likelihood over seeds per
    variant and its sample std over seeds (the spread a choice is made
    against), their mean over variants (the score), the modes covered at
    worst, and which candidate is chosen (the best score; the first on a tie)."""
    grouped = rows.groupby(["experiment", "candidate", "settings", "variant"], sort=False)["validation_log_likelihood"]
    per_variant = grouped.mean().unstack("variant")
    spread = grouped.std(ddof=1).unstack("variant")
    summary = (
        per_variant.mean(axis=1)
        .rename("score")
        .to_frame()
        .join(per_variant.add_prefix("mean_"))
        .join(spread.add_prefix("std_"))
    )
    worst = rows.groupby(["experiment", "candidate", "settings"], sort=False)["modes_covered"].min()
    summary = summary.join(worst.rename("fewest_modes_covered")).reset_index()
    best = summary.groupby("experiment", sort=False)["score"].transform("max")
    first = summary[summary["score"] == best].groupby("experiment", sort=False)["candidate"].transform("min")
    summary["chosen"] = False
    summary.loc[first.index, "chosen"] = summary.loc[first.index, "candidate"] == first
    return summary


def tuned_config(summary: pd.DataFrame, candidates: dict[str, list[dict]], budget: str) -> dict:
    """The config that runs every tuned row with its chosen settings, and the
    record the tables' notes name (grid.tuned)."""
    experiments, record = {}, {}
    for row in summary[summary["chosen"]].itertuples():
        chosen = candidates[row.experiment][row.candidate]
        entry = experiments.setdefault(row.experiment, {})
        for dotted, value in chosen.items():
            *path, last = dotted.split(".")
            target = entry
            for part in path:
                target = target.setdefault(part, {})
            target[last] = value
        tried = len(candidates[row.experiment])
        record[row.experiment] = (
            f"{describe(chosen)}: the best mean validation log-likelihood of {tried} candidates at {budget} "
            "(snakemake tune; results/tables/tuning.csv)"
        )
    return {"grid": {"experiments": experiments, "tuned": record}}


def dump(config: dict) -> str:
    """The tuned config as YAML, with a header saying how to use it."""
    header = (
        "# Chosen by `snakemake tune` (couae.grid.tuning): each extension row's best candidate by the mean\n"
        "# validation log-likelihood at the tuning budget. Run the tuned rows with --configfile <this file>.\n"
    )
    return header + yaml.safe_dump(config, sort_keys=False)
