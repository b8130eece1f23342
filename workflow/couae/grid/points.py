"""Data sets of points in the plane that are not a Gaussian mixture (two moons,
a spiral, a checkerboard): each is one adapter module, a `PointDataset`
subclass that says how its points are drawn, and one config section.

Such a data set is trained and scored as the grid is, by the grid's own code
(`couae.grid`: its MLP autoencoders, the KDE log-likelihood, Theorem 2's
draws) and by the grid's scripts through rules/points.smk, one set of rules
for every points data set. Its config section holds its distribution's
`params`; every setting it does not give is the grid's
(`complete`: data sizes, networks, training, evaluation, widths and rows),
so a preset that shrinks the grid shrinks it too. It has its own block of
Tables 1-2 and claims of its own (the paper did not run it: no paper cells,
no verdicts), and its Theorem 2 rows.

A subclass gives `name`, `title`, `prose`, `description`, its `parameters`
(`couae.parameters.Parameter`, checked as a kernel's are) and `sample`;
where it knows them, `log_density` (Table 1's true-density ceiling),
`length_scales` (what a Coulomb GAN's kernel may be measured in) and
`bounded` (its points lie in a bounded set: Theorem 2's assumption).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .. import models
from ..datasets import Dataset
from ..parameters import ConfigError, Parameter, check, resolve
from ..settings import JobSettings, experiment_model_params, experiments, main_widths, runs, training_fields
from . import settings as G
from .adapter import Grid, check_cv_folds

RULE_FILE = "workflow/rules/points.smk"
# what a points data set takes from the grid's section where its own does not say
INHERITED = ("device", "model", "training", "generation", "evaluation", "widths", "kernels", "models", "rows",
             "experiments", "gpu_share")  # fmt: skip
DATA_KEYS = ("seed", "n_train", "n_validation", "n_test", "n_reference")


def merged(base, own):
    """`own` over `base`: mappings merge key by key, anything else of `own` replaces."""
    if not (isinstance(base, Mapping) and isinstance(own, Mapping)):
        return copy.deepcopy(own)
    out = copy.deepcopy(dict(base))
    for key, value in own.items():
        out[key] = merged(base[key], value) if key in base else copy.deepcopy(value)
    return out


@dataclass(frozen=True, kw_only=True)
class PointsData(JobSettings):
    """A points data set's data: which one, its distribution's parameters, the splits' sizes and seed."""

    dataset: str
    params: Mapping
    seed: int
    n_train: int
    n_validation: int
    n_test: int
    n_reference: int
    theorem2_data_failure: str | None  # why its points break Theorem 2's bounded support; None: they do not


class PointSource:
    """A points data set's distribution at its configured parameters, as the
    grid's code asks of its data (`couae.grid.data`: a point source)."""

    def __init__(self, dataset: PointDataset, params: Mapping):
        self.dataset, self.params = dataset, dict(params)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        points = np.asarray(self.dataset.sample(self.params, n, rng), dtype=np.float64)
        if points.shape != (n, G.POINT_DIM) or not np.isfinite(points).all():
            raise ValueError(
                f"{type(self.dataset).__name__}.sample drew {points.shape} points (finite: "
                f"{bool(np.isfinite(points).all())}); {n} finite points in the plane, ({n}, {G.POINT_DIM}), expected"
            )
        return points

    def log_density(self, x: np.ndarray) -> np.ndarray | None:
        return self.dataset.log_density(self.params, x)

    def length_scale(self, kind: str) -> float:
        scales = self.dataset.length_scales(self.params)
        if kind not in scales:
            raise ValueError(
                f"the {self.dataset.name} data set gives no {kind!r} length scale (it gives: {sorted(scales)})"
            )
        return float(scales[kind])


class PointDataset(Dataset):
    """Base of the adapters of points data sets (see the module's docstring)."""

    rule_file = RULE_FILE
    metric = Grid.metric  # scored as the grid is
    paper = None  # the paper did not run it
    rates_from = "grid"  # its jobs train the grid's networks: the start estimate uses the grid's rates
    description: ClassVar[str]  # what its points are, one line (captions, the report's summary)
    parameters: ClassVar[dict[str, Parameter]] = {}
    bounded: ClassVar[bool] = False  # its points lie in a bounded set (Theorem 2 assumes [-M, M]^d)

    # where its files live ({pointset}: its name; the others as the grid's)
    DATA = "results/{pointset}/data.npz"
    BLOCK = "results/{pointset}/train/{experiment}/width{width}/block{block}"
    EVAL = "results/{pointset}/eval/{experiment}/width{width}/block{block}"
    REFERENCE = "results/{pointset}/eval/reference.csv"
    FIGURE = "results/figures/{pointset}_samples"
    TRAIN_BENCHMARK = "results/benchmarks/points_train/{pointset}_{experiment}_width{width}_block{block}.tsv"
    EVAL_BENCHMARK = "results/benchmarks/points_eval/{pointset}_{experiment}_width{width}_block{block}.tsv"

    # --- its distribution (what a subclass gives) ------------------------------------------------

    def sample(self, params: Mapping, n: int, rng: np.random.Generator) -> np.ndarray:
        """n points, (n, 2), drawn with `rng` (the only randomness: a seed gives the same points)."""
        raise NotImplementedError

    def log_density(self, params: Mapping, x: np.ndarray) -> np.ndarray | None:
        """The exact log-density at each of the points x, (n,); None where it has no closed form."""
        return None

    def length_scales(self, params: Mapping) -> dict[str, float]:
        """The data's length scales by kind ("spacing", "std"), where it has them."""
        return {}

    def source(self, params: Mapping) -> PointSource:
        return PointSource(self, params)

    # --- the config ------------------------------------------------------------------------------

    def complete(self, config) -> None:
        """Fill its section with the grid's settings it does not give, in place, before the config is
        validated: the rest of the workflow reads its section as a whole one."""
        grid, own = config["grid"], config.get(self.name) or {}
        base = {key: grid[key] for key in INHERITED if key in grid}
        base["data"] = {key: grid["data"][key] for key in DATA_KEYS}
        base["params"] = {}  # its parameters' defaults: `moons: {}` is a whole section
        config[self.name] = merged(base, own)
        config["claims"]["margin"].setdefault(self.name, config["claims"]["margin"]["grid"])  # both in nats

    def resolved_params(self, config) -> dict:
        key = f"{self.name}.params"
        return resolve(self.parameters, self.section(config).get("params", {}), key=key)

    def check(self, config) -> None:
        section, name = self.section(config), self.name
        check(section.get("params", {}), self.parameters, f"{name}.params", complete=False)
        params = self.resolved_params(config)
        check(params, self.parameters, f"{name}.params")
        scales = self.length_scales(params)
        for experiment in experiments(config, name):
            spec = models.model_type(section["experiments"][experiment]["model"])
            missing = [
                s for s in spec.data_scales(experiment_model_params(config, name, experiment)) if s not in scales
            ]
            if missing:
                given = sorted(scales) or "no length scales"
                raise ConfigError(
                    f"{name}.experiments.{experiment}: its model type measures its kernel in the data's "
                    f"{missing[0]!r}, and the {name} data set gives {given}: set its model_params.kernel_scale to "
                    f"absolute, or leave the row out ({name}.rows)"
                )
        check_cv_folds(name, section)

    def data_settings(self, config) -> PointsData:
        failure = None if self.bounded else f"{self.title} data: unbounded support (the theorem needs [-M, M]^d)"
        return PointsData(dataset=self.name, params=self.resolved_params(config), theorem2_data_failure=failure,
                          **{key: self.section(config)["data"][key] for key in DATA_KEYS})  # fmt: skip

    def training_settings(self, config, experiment: str, width, block) -> G.GridTraining:
        """One training job's settings: the grid's, on this data set's data, without snapshots."""
        section = self.section(config)
        return G.GridTraining(
            **training_fields(config, self.name, experiment, width),
            data=self.data_settings(config).to_dict(),
            hidden=section["model"]["hidden"],
            n_hidden=section["model"]["n_hidden"],
            seeds=G.seed_blocks(config, self.name)[int(block)],
            n_generated=section["generation"]["n_samples"],
            snapshots=(),
        )

    def evaluation_settings(self, config) -> G.GridEvaluation:
        return G.grid_evaluation_settings(config, self.name)

    def paper_variants(self, config) -> list[str]:
        return []

    def seeds_per_job(self, config) -> int:
        return self.section(config)["training"]["seeds_per_job"]

    def sample_values(self, config) -> int:
        return G.POINT_DIM

    def layer_units(self, config) -> list[int]:
        return [self.section(config)["model"]["hidden"]]

    def recon_weight(self, config) -> float:
        return G.GridTraining.recon_weight

    def n_train(self, config):
        return self.section(config)["data"]["n_train"], f"{self.name}.data.n_train"

    # --- files -------------------------------------------------------------------------------------

    def outputs(self, config, pattern: str) -> list[str]:
        """`pattern` filled for every configured (experiment, width) and block of seeds."""
        blocks = G.seed_blocks(config, self.name)
        return [
            pattern.format(pointset=self.name, experiment=e, width=w, block=b)
            for e, w in runs(config, self.name)
            for b in blocks
        ]

    def seed_files(self, config, name: str, first_only: bool) -> list[str]:
        """Per experiment at its main width, `name` of its first seed (or of every seed) in its block folder."""
        per_job, every = self.seeds_per_job(config), self.seeds(config)
        return [
            f"{self.BLOCK.format(pointset=self.name, experiment=e, width=w, block=s // per_job)}/seed{s}/{name}"
            for e, w in main_widths(config, self.name).items()
            for s in (every[:1] if first_only else every)
        ]

    def main_blocks(self, config) -> list[str]:
        """Every block folder of each experiment at its main width (the samples figure's inputs)."""
        return [
            self.BLOCK.format(pointset=self.name, experiment=e, width=w, block=b)
            for e, w in main_widths(config, self.name).items()
            for b in G.seed_blocks(config, self.name)
        ]

    def evaluations(self, config) -> list[str]:
        return self.outputs(config, f"{self.EVAL}.csv")

    def references(self, config) -> list[str]:
        return [self.REFERENCE.format(pointset=self.name)]

    def provenance(self, config) -> list[str]:
        return [
            *self.outputs(config, f"{self.BLOCK}.provenance.json"),
            *self.outputs(config, f"{self.EVAL}.provenance.json"),
        ]

    def benchmarks(self, config) -> list[str]:
        return self.outputs(config, self.TRAIN_BENCHMARK) + self.outputs(config, self.EVAL_BENCHMARK)

    def figures(self, config) -> list[str]:
        return [f"{self.FIGURE.format(pointset=self.name)}.{ext}" for ext in ("png", "pdf")]

    def targets(self, config) -> list[str]:
        return self.figures(config) + self.evaluations(config) + self.references(config)

    # --- words -------------------------------------------------------------------------------------

    def _params_text(self, config) -> str:
        return ", ".join(
            f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}" for k, v in self.resolved_params(config).items()
        )

    def notes(self, config) -> list[str]:
        section, t = self.section(config), self.section(config)["training"]
        return [
            f"{self.name}: {self.description} ({self._params_text(config)}), a data set of ours: the paper did not run "
            f"it. {t['iterations']} iterations, batch {t['batch_size']}, lambda {t['lambda']:g}; KDE bandwidth "
            f"chosen as on the grid ({section['evaluation']['selection']}); log-likelihood in nats per 2-D test point.",
            *self.experiment_notes(config),
        ]

    def captions(self, config) -> dict[str, str]:
        return {
            f"{self.name}_samples": (
                f"{self.title}: samples generated by each experiment (first seed, at its width x1 or largest, decoder "
                "applied to N(0, I) draws) beside test points of the data set, and the training loss of every seed."
            )
        }

    def summary(self, config) -> str:
        t = self.section(config)["training"]
        return (
            f"{self.title[0].upper()}{self.title[1:]}: {self.description}, a data set of ours; experiments "
            f"{', '.join(experiments(config, self.name))}; {t['iterations']} iterations, {len(t['seeds'])} seeds."
        )

    def table1_caption(self, config) -> str:
        known = type(self).log_density is not PointDataset.log_density  # its density has a closed form
        ceilings = "the true density and a KDE on true samples" if known else "a KDE on true samples"
        return (
            f"{self.title[0].upper()}{self.title[1:]} ({self.description}; a data set of ours, no paper values): test "
            f"log-likelihood as on the grid, closed by its ceilings ({ceilings})."
        )
