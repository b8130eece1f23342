"""The grid's job settings: its data (a variant's mixture and the shared
splits), training (every seed of one variant, experiment and width) and
evaluation, resolved from the config's `grid` section. Light: the Snakefile
reads it through the grid's data set adapter (`couae.grid.adapter`)."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from ..settings import ALL_ROWS, JobSettings, TrainingSettings, experiments, optional, runs, seeds, training_fields

DATASET = "grid"
POINT_DIM = 2  # the grid lives in the plane
PAPER_ONLY = "paper"  # grid.variants_run: only the variants the paper's values describe


SHAPES = {  # a variant's shape -> the keys that describe its centres (each variant has exactly one set)
    "grid": ("per_axis", "spacing"),
    "ring": ("count", "radius"),
    "points": ("centres",),
}


def shape_of(description: Mapping) -> str:
    """Which family member a variant's entry describes, by its keys ("grid", "ring", "points")."""
    found = [shape for shape, keys in SHAPES.items() if any(description.get(k) is not None for k in keys)]
    if len(found) != 1:
        raise ValueError(
            "a mixture is described by exactly one of: "
            + "; ".join(f"{' and '.join(keys)} ({shape})" for shape, keys in SHAPES.items())
            + (f"; this one has keys of {' and '.join(found)}" if found else "; this one has none")
        )
    missing = [k for k in SHAPES[found[0]] if description.get(k) is None]
    if missing:
        raise ValueError(f"a {found[0]} needs {' and '.join(SHAPES[found[0]])}; {', '.join(missing)} missing")
    return found[0]


def variants(config) -> list[str]:
    """The grid data sets that run, in config order: those `variants_run` allows (all, paper: the
    variants the paper's values describe, or a list of names), less those marked `skip: true`."""
    allowed = config[DATASET].get("variants_run", ALL_ROWS)

    def runs_here(name, entry) -> bool:
        if allowed == ALL_ROWS:
            return True
        return _of_the_paper(entry) if allowed == PAPER_ONLY else name in allowed

    return [name for name, v in config[DATASET]["variants"].items() if not v.get("skip", False) and runs_here(name, v)]


def _of_the_paper(entry) -> bool:
    """Whether the paper's grid values describe this variant (`paper: false` marks a benchmark of ours)."""
    return entry.get("paper", True)


def variant_descriptions(config) -> dict[str, str]:
    return {name: config[DATASET]["variants"][name]["description"] for name in variants(config)}


@dataclass(frozen=True, kw_only=True)
class GridTraining(TrainingSettings):
    """One grid job: every seed of one (variant, experiment, width)."""

    # The paper's grid objective is mean ||x - g(f(x))||^2: the reconstruction is unweighted.
    recon_weight: ClassVar[float] = 1.0

    # the GridData the job trains on (or a points data set's `couae.grid.points.PointsData`): a checkpoint
    # never resumes on other data
    data: Mapping
    hidden: int
    n_hidden: int
    seeds: tuple[int, ...]
    n_generated: int  # samples per seed for the KDE
    snapshots: tuple[int, ...]  # steps before the last at which the networks are kept (convergence)

    @property
    def theorem2_data_failure(self) -> str | None:
        """Why the data break Theorem 2's bounded support: a mixture's Gaussians always do; a points data
        set's settings say (`PointsData.theorem2_data_failure`)."""
        return self.data.get("theorem2_data_failure", GAUSSIAN_UNBOUNDED)


GAUSSIAN_UNBOUNDED = "Gaussian data: unbounded support (the theorem needs [-M, M]^d)"


@dataclass(frozen=True, kw_only=True)
class GridData(JobSettings):
    """One grid variant's data: its mixture (`couae.grid.data.Mixture`: one of
    the shapes there, the others' keys absent) and the shared splits."""

    std: float | tuple  # every mode's standard deviation, or one per centre (with `centres`)
    seed: int
    n_train: int
    n_validation: int
    n_test: int
    n_reference: int
    # the mixture's shape: a grid (per_axis, spacing), a ring (count, radius) or a list of centres; the keys of
    # the other shapes are absent, so that a grid's settings (and its jobs' fingerprints) are those of before
    per_axis: int | None = optional()
    spacing: float | None = optional()
    count: int | None = optional()
    radius: float | None = optional()
    centres: tuple | None = optional()
    # every training seed draws its own training split (absent: one shared by every seed, as before)
    split_per_seed: bool | None = optional()


@dataclass(frozen=True)
class GridEvaluation(JobSettings):
    bandwidths: Mapping  # {log10_start, log10_stop, num}
    selection: str  # "cv" or "validation"
    cv_folds: int
    modes: Mapping  # {radius_stds, min_samples}: a mode is covered by that many samples within that radius


VARIANT_LABELS = ("description", "skip", "paper")  # what a variant's entry says besides its mixture


def paper_variants(config) -> list[str]:
    """The variants that run and that the paper's grid values describe (`paper: false`: a benchmark of
    ours, whose rows show no paper cell and whose comparisons test no claim of the paper)."""
    return [name for name in variants(config) if _of_the_paper(config[DATASET]["variants"][name])]


def grid_data_settings(config, variant: str) -> GridData:
    mixture = {k: v for k, v in config[DATASET]["variants"][variant].items() if k not in VARIANT_LABELS}
    data = dict(config[DATASET]["data"])
    if not data.pop("split_per_seed", False):  # the shared split: the settings (and fingerprints) of before
        return GridData.from_dict({**mixture, **data})
    return GridData.from_dict({**mixture, **data, "split_per_seed": True})


def seed_blocks(config, dataset: str = DATASET) -> dict[int, list[int]]:
    """Block -> its configured seeds: seed s is in block s // seeds_per_job, so
    adding seeds outside the blocks already trained makes new jobs only
    (`dataset`: the grid, or a points data set, whose jobs are the grid's)."""
    per_job = config[dataset]["training"]["seeds_per_job"]
    blocks: dict[int, list[int]] = {}
    for seed in seeds(config, dataset):
        blocks.setdefault(seed // per_job, []).append(seed)
    return dict(sorted(blocks.items()))


def grid_training_settings(
    config, variant: str, experiment: str, width: str | float, block: int | str | None = None
) -> GridTraining:
    """One grid job's settings: the seeds of `block` (every configured seed where None)."""
    grid = config[DATASET]
    train = grid["training"]
    return GridTraining(
        **training_fields(config, DATASET, experiment, width),
        data=grid_data_settings(config, variant).to_dict(),
        hidden=grid["model"]["hidden"],
        n_hidden=grid["model"]["n_hidden"],
        seeds=seeds(config, DATASET) if block is None else seed_blocks(config)[int(block)],
        n_generated=grid["generation"]["n_samples"],
        snapshots=sorted(s for s in train["snapshots"] if s < train["iterations"]),
    )


@dataclass(frozen=True)
class Pack:
    """One pack job (`couae.grid.packs`): its runs, (variant, experiment, width label), of one block of seeds."""

    name: str  # <group>_block<block>: what its rule, log and benchmark are called
    block: int
    runs: tuple[tuple[str, str, str], ...]


PACKINGS = ("auto", "none", "model", "all")


def packing(config, on_gpu: bool) -> str:
    """grid.training.pack with auto resolved: model where the grid's jobs run on a GPU, none on a CPU."""
    mode = config[DATASET]["training"]["pack"]
    return ("model" if on_gpu else "none") if mode == "auto" else mode


def packs(config, on_gpu: bool) -> list[Pack]:
    """The pack jobs of this config (none where runs are not packed): per
    block, one with every run (`all`) or one per model type (`model`)."""
    mode = packing(config, on_gpu)
    if mode == "none":
        return []
    groups: dict[tuple[str, int], list] = {}
    for block in seed_blocks(config):
        for variant in variants(config):
            for experiment, width in runs(config, DATASET):
                group = "all" if mode == "all" else config[DATASET]["experiments"][experiment]["model"]
                groups.setdefault((group, block), []).append((variant, experiment, width))
    return [Pack(f"{group}_block{block}", block, tuple(members)) for (group, block), members in groups.items()]


def grid_evaluation_settings(config, dataset: str = DATASET) -> GridEvaluation:
    ev = config[dataset]["evaluation"]
    return GridEvaluation(
        bandwidths=dict(ev["bandwidths"]), selection=ev["selection"], cv_folds=ev["cv_folds"], modes=dict(ev["modes"])
    )


# --- the tuning rule: rows without the paper's settings ------------------------------------


def tuned_rows(config) -> list[str]:
    """The rows the tuning rule tunes: those of grid.tuning.rows that run."""
    running = experiments(config, DATASET)
    return [name for name in config[DATASET]["tuning"]["rows"] if name in running]


def candidates(config, experiment: str) -> list[dict]:
    """The settings `grid.tuning.rows.<experiment>` declares for that row:
    every combination of its candidate values, as {dotted key: value} in
    declaration order (the key a path into the experiment's entry, e.g.
    `model_params.generator_lr` or `kernel_params.eps`)."""
    grid = config[DATASET]["tuning"]["rows"].get(experiment, {})
    keys = list(grid)
    return [dict(zip(keys, values, strict=True)) for values in itertools.product(*(grid[k] for k in keys))]


def with_overrides(config, experiment: str, overrides: dict) -> dict:
    """A copy of `config` whose experiment carries `overrides` (dotted keys)."""
    config = copy.deepcopy(dict(config))
    entry = config[DATASET]["experiments"][experiment]
    for dotted, value in overrides.items():
        *path, last = dotted.split(".")
        target = entry
        for part in path:
            target = target.setdefault(part, {})
        target[last] = copy.deepcopy(value)
    return config


def tuning_training_settings(config, variant: str, experiment: str, candidate: int) -> GridTraining:
    """One candidate's training job: the row with the candidate's settings, at
    the tuning budget (`grid.tuning`: iterations, seeds, width), no snapshots."""
    tuning = config[DATASET]["tuning"]
    tried = with_overrides(config, experiment, candidates(config, experiment)[candidate])
    train = tried[DATASET]["training"]
    train.update(iterations=tuning["iterations"], seeds=list(tuning["seeds"]), snapshots=[])
    return grid_training_settings(tried, variant, experiment, tuning["width"])
