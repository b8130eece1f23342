"""The data set protocol (`Dataset`) and its registry: the grid of Gaussian
mixtures, CelebA, and any data set of points in the plane added as one module
(`couae.grid.points`).

Each data set's adapter is the `adapter` module of its own package
(`couae/grid/adapter.py`, `couae/celeba/adapter.py`), found by the registry
without naming it; this package holds the protocol only, so it imports no
data set. The adapter is what the shared parts of the workflow (common.smk,
the report rules, the tables, the claims, Theorem 2, the captions) know of a
data set; they loop over the data sets of the config instead of naming them.
Each adapter defines one `Dataset` subclass with

- `name`: its config section, its results folder and its rule file
  (`rule_file`: `workflow/rules/<name>.smk`, or one it shares; the Snakefile
  includes each once), and `title`;
- `metric` (the test metric, its unit and direction), `side_metrics`, and
  `paper` (the paper's values for it, its training length, the Table 1
  claims);
- its seeds per job, its cross-field config checks (`check`), what it needs
  before a run starts (`start_check`), whether it is configured to run
  (`configured`), its variants and those the paper ran (`paper_variants`);
- the files the shared rules read (`evaluations`, `references`,
  `provenance`, `benchmarks`) and its targets;
- its words: the notes under the tables, its line of the report's summary,
  its sentence of Table 1's caption, its Theorem 2 notes.

Adapters import nothing heavy (the Snakefile reads them); the work itself
lives in the rest of the data set's package.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from .. import kernels, models
from .. import settings as S
from ..registry import Registry
from ..runtime import memory

REGISTRY = Registry("data set", __name__, module="adapter")  # couae.<data set>.adapter


@dataclass(frozen=True)
class Metric:
    """A data set's test metric: its column in the evaluation files, its name, unit and direction."""

    column: str
    label: str
    unit: str
    higher_is_better: bool

    @property
    def titled(self) -> str:
        """'test log-likelihood (higher is better)'."""
        return f"{self.label} ({'higher' if self.higher_is_better else 'lower'} is better)"

    @property
    def better(self) -> str:
        """The comparison a better value satisfies: '>' or '<'."""
        return ">" if self.higher_is_better else "<"


BETTER, AT_LEAST = "better than", "at least as good as"


@dataclass(frozen=True)
class PaperResults:
    """What the paper reports for a data set: its training length, Table 1
    (paper column -> (mean, std or None)) at width x1, Table 2 (width factor ->
    (mean, std) of CouAE), and how Table 1 sets CouAE against each rival
    (BETTER, or AT_LEAST where the paper's own spreads overlap)."""

    iterations: int
    table1: dict
    table2: dict
    table1_claims: dict = field(default_factory=dict)
    notes: tuple[str, ...] = ()  # what the tables must say of these values


class Dataset:
    """Base of every data set adapter (one instance each, registered by name)."""

    name: ClassVar[str]
    title: ClassVar[str]  # as labels name it ("grid", "CelebA")
    prose: ClassVar[str]  # as sentences name it ("the grid", "CelebA")
    metric: ClassVar[Metric]
    # further columns of its evaluation files that Tables 1-2 show beside the metric (mean over seeds)
    side_metrics: ClassVar[tuple[Metric, ...]] = ()
    paper: ClassVar[PaperResults | None]  # None: a data set of ours, which the paper did not run
    # the data set whose measured training rates (couae/runtime/rates.yaml) stand in where it has none
    rates_from: ClassVar[str | None] = None

    @property
    def rule_file(self) -> str:
        """Its rules (the Snakefile includes each once): its own, or those it shares (`couae.grid.points`)."""
        return f"workflow/rules/{self.name}.smk"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            REGISTRY.add(cls())

    # --- the config -------------------------------------------------------------------------

    def section(self, config) -> dict:
        return config[self.name]

    def complete(self, config) -> None:
        """Fill in its section, in place, before the config is validated (where it takes settings from
        another's: `couae.grid.points`)."""

    def configured(self, config) -> bool:
        """Whether this data set runs with this config (else its cells say 'not run')."""
        return True

    def device(self, config) -> str:
        """Where its training and evaluation jobs run: its own `device`, else the config's."""
        return self.section(config).get("device") or config["device"]

    def variants(self, config) -> list[str]:
        """The versions of the data set that run, each its own block of rows ("": the one)."""
        return [""]

    def variant_titles(self, config) -> dict[str, str]:
        return {}

    def paper_variants(self, config) -> list[str]:
        """The variants that run and that the paper's values describe: the others (benchmarks of ours)
        show no paper cell in Tables 1-2, and their comparisons test no claim of the paper."""
        return self.variants(config)

    def experiments(self, config) -> list[str]:
        return S.experiments(config, self.name)

    def seeds(self, config) -> list[int]:
        return S.seeds(config, self.name)

    def seeds_per_job(self, config) -> int:
        """How many seeds one training job trains."""
        raise NotImplementedError

    def layer_units(self, config) -> list[int]:
        """The layer sizes the width factors multiply (each must keep one unit)."""
        raise NotImplementedError

    def sample_values(self, config) -> int:
        """Values of one data point (2 on the grid; channels x height x width for an image)."""
        raise NotImplementedError

    def memory_floor(self, config, experiment: str, seeds: int) -> int:
        """Bytes a training job of `seeds` seeds of `experiment` holds at least
        in one step, at its widest width (couae.runtime.memory's lower bound)."""
        width = max(S.experiment_widths(config, self.name, experiment).values())
        spec = models.model_type(self.section(config)["experiments"][experiment]["model"])
        hidden = 2 * sum(max(1, round(u * width)) for u in self.layer_units(config))  # encoder and decoder
        batch = self.section(config)["training"]["batch_size"]
        return memory.memory_floor(batch, seeds, self.sample_values(config), hidden, spec.pair_matrices)

    def step_cost(self, config, measured: dict) -> float:
        """One training step's cost with this config's networks against those
        the rates were `measured` with (rates.yaml's `reference`: the start
        estimate scales the rates by it). 1: not modelled, or the same."""
        return 1.0

    def training_jobs(self, config) -> list[tuple[str, int, int]]:
        """(experiment, seeds, steps) of each of its training jobs with this
        config, done or not (what the start estimate counts: couae.runtime.estimate)."""
        per_job, blocks = self.seeds_per_job(config), {}
        for seed in self.seeds(config):
            blocks[seed // per_job] = blocks.get(seed // per_job, 0) + 1
        steps = self.section(config)["training"]["iterations"]
        every = S.runs(config, self.name)
        return [(e, n, steps) for _ in self.variants(config) for e, _w in every for n in blocks.values()]

    def recon_weight(self, config) -> float:
        """The weight of the squared reconstruction error in its objectives."""
        raise NotImplementedError

    def experiment_notes(self, config) -> list[str]:
        """What its rows' model types and kernels say of themselves with these
        settings (`ModelType.note`, `Kernel.remark`), one line per row that says anything."""
        latent_dim, notes = config[self.name]["model"]["latent_dim"], []
        for name in self.experiments(config):
            spec = models.model_type(config[self.name]["experiments"][name]["model"])
            said = [spec.note(S.experiment_model_params(config, self.name, name), self.recon_weight(config))]
            kernel, params = S.experiment_kernel(config, self.name, name)
            if kernel is not None:
                said.append(kernels.make_kernel(kernel, latent_dim, **params).remark())
            said = [text for text in said if text]
            if said:
                notes.append(f"{self.name} {name}: {'; '.join(said)}.")
        return notes

    def n_train(self, config) -> int | None:
        """Training points, where the config fixes them (None: only the data job can count them)."""
        return None

    def check(self, config) -> None:
        """This data set's cross-field rules (ConfigError naming the key)."""

    def start_check(self, config) -> tuple[list[str], list[str]]:
        """(problems, notes) before any job runs: problems stop the workflow at once."""
        return [], []

    def table_info(self, config) -> dict:
        """What the tables need to know of its experiments (see `settings.table_experiments`)."""
        return {
            **S.table_experiments(config, self.name),
            "variants": self.variants(config),
            "paper_variants": self.paper_variants(config),
        }

    # --- the files the shared rules read -------------------------------------------------------

    def evaluations(self, config) -> list[str]:
        """Per-seed evaluation CSVs (one row per seed: the metric, xi, Theorem 2's gap)."""
        raise NotImplementedError

    def references(self, config) -> list[str]:
        """CSVs of reference rows (ceilings) for Table 1, per variant."""
        return []

    def provenance(self, config) -> list[str]:
        return []

    def benchmarks(self, config) -> list[str]:
        return []

    def targets(self, config) -> list[str]:
        """What `snakemake <name>` makes."""
        raise NotImplementedError

    # --- its words ------------------------------------------------------------------------------

    def notes(self, config) -> list[str]:
        """Its notes under Tables 1-2 and Theorem 2: what was run."""
        return []

    def caveat_notes(self, config) -> list[str]:
        """Its run-wide caveats (`couae.caveats`: a shortened run, stand-in data), under every table."""
        return []

    def captions(self, config) -> dict[str, str]:
        """Report captions of its own figures and tables, by item (see `couae.report.text.caption`)."""
        return {}

    def summary(self, config) -> str:
        """Its line of the report's landing text."""
        raise NotImplementedError

    def table1_caption(self, config) -> str:
        """Its sentence of Table 1's caption."""
        raise NotImplementedError

    def theorem2_notes(self, config) -> list[str]:
        """What the Theorem 2 table needs said of its values."""
        return []


def get(name: str, key: str | None = None) -> Dataset:
    return REGISTRY.get(name, key)


def names() -> list[str]:
    return REGISTRY.names()


def in_config(config) -> list[Dataset]:
    """The data sets of this config (a registered name as a top-level section), in config order."""
    return [REGISTRY.get(name) for name in config if name in REGISTRY]


def running(config) -> list[Dataset]:
    """The data sets of this config that run (`configured`), in config order."""
    return [d for d in in_config(config) if d.configured(config)]
