"""Job settings: what each job needs of the validated config.

The Snakefile imports this module, so it imports nothing heavy. A job receives
only the settings that change its result, as one frozen dataclass passed as
JSON in the rule's params (`to_json`; the job reads it back with
`from_json`): Snakemake re-runs exactly the jobs whose settings changed, and a
training checkpoint resumes only under the settings that made it
(`TrainingSettings.fingerprint`).

Here: the base of every job's settings, the training settings every data set
shares (`training_fields` resolves an experiment's model type and kernel
through their registries), the navigation of a data set's section of the
config (experiments, widths, seeds), and the theory jobs' settings. Each data
set's own settings live in its subpackage (`couae.grid.settings`,
`couae.celeba.settings`); the checks of the whole config in `couae.config`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from . import kernels, models
from .parameters import ConfigError, resolve  # noqa: F401  (ConfigError: raised by the builders; re-exported)


class ForeignFileError(ValueError):
    """A result file that another job made (a copied or stale file)."""


# --- a data set's experiments, widths, seeds --------------------------------------------


def width_label(width: float) -> str:
    """1.0 -> '1', 0.25 -> '0.25': the width as it appears in paths."""
    return f"{float(width):g}"


def main_width(widths: Iterable[float]) -> float:
    """The width of Table 1 and Figures 2-3: x1 where it runs, else the largest."""
    widths = [float(w) for w in widths]
    return 1.0 if 1.0 in widths else max(widths)


ALL_ROWS = "all"


def experiments(config, dataset: str) -> list[str]:
    """The experiments of `dataset` that run, in config order: those `rows`
    allows (a list of names, or "all"; how a preset says which rows it runs),
    less those marked `skip: true`."""
    section = config[dataset]
    allowed = section.get("rows", ALL_ROWS)
    return [
        name
        for name, exp in section["experiments"].items()
        if not exp.get("skip", False) and (allowed == ALL_ROWS or name in allowed)
    ]


def experiment_widths(config, dataset: str, experiment: str) -> dict[str, float]:
    """Path label -> factor of the widths one experiment runs at: its own
    `widths` list or the dataset's."""
    section = config[dataset]
    widths = section["experiments"][experiment].get("widths", section["widths"])
    return {width_label(w): float(w) for w in widths}


def dataset_widths(config, dataset: str) -> dict[str, float]:
    """Every width some experiment of `dataset` runs at, smallest first."""
    found = {}
    for name in experiments(config, dataset):
        found.update(experiment_widths(config, dataset, name))
    return dict(sorted(found.items(), key=lambda item: item[1]))


def main_widths(config, dataset: str) -> dict[str, str]:
    """Experiment -> the label of its main width (Table 1, Figures 2-3)."""
    return {
        e: width_label(main_width(experiment_widths(config, dataset, e).values())) for e in experiments(config, dataset)
    }


def seeds(config, dataset: str) -> list[int]:
    return list(config[dataset]["training"]["seeds"])


def runs(config, dataset: str) -> list[tuple[str, str]]:
    """(experiment, width label) of every training configuration of `dataset`."""
    return [
        (name, label) for name in experiments(config, dataset) for label in experiment_widths(config, dataset, name)
    ]


def experiment_labels(config, dataset: str) -> list[list]:
    """[name, {paper column it reproduces (or None), description}] per
    experiment, in config order (a list, so that JSON keeps the order)."""
    section = config[dataset]["experiments"]
    return [
        [name, {"paper": section[name].get("paper"), "description": section[name].get("description", name)}]
        for name in experiments(config, dataset)
    ]


def table_experiments(config, dataset: str) -> dict:
    """What Tables 1-2 need to know of a dataset's experiments: labels (config
    order), the width each shows in Table 1, and every width run."""
    return {
        "labels": experiment_labels(config, dataset),  # a list: JSON keeps its order
        "main_widths": {
            e: main_width(experiment_widths(config, dataset, e).values()) for e in experiments(config, dataset)
        },
        "widths": list(dataset_widths(config, dataset).values()),
        "seeds": seeds(config, dataset),
        "iterations": config[dataset]["training"]["iterations"],
    }


def descriptions(config, dataset: str) -> dict[str, str]:
    return {name: meta["description"] for name, meta in experiment_labels(config, dataset)}


def as_json(obj) -> str:
    return json.dumps(obj, sort_keys=True)


# --- declared job settings -------------------------------------------------------------


def _key(f: dataclasses.Field) -> str:
    return f.metadata.get("key", f.name)


def _plain(value):
    """JSON-ready copy: tuples become lists, mappings plain dicts."""
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class JobSettings:
    """Base of every job's settings: a frozen dataclass that travels as JSON.

    Lists become tuples on the way in (the settings are immutable) and lists
    again on the way out; a field with metadata `key` has that name in JSON
    (`lambda` is a Python keyword); an `optional` field absent from the JSON
    is None and is left out again.
    """

    def __post_init__(self):
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, list):
                object.__setattr__(self, f.name, tuple(value))

    def to_dict(self) -> dict:
        out = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value is None and f.metadata.get("optional"):
                continue
            out[_key(f)] = _plain(value)
        return out

    def to_json(self) -> str:
        return as_json(self.to_dict())

    @classmethod
    def from_dict(cls, data: Mapping):
        known = {_key(f): f for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - set(known))
        missing = sorted(k for k, f in known.items() if k not in data and not f.metadata.get("optional"))
        if unknown or missing:
            raise ValueError(
                f"{cls.__name__}: "
                + "; ".join(
                    ([f"unknown keys {unknown}"] if unknown else []) + ([f"missing keys {missing}"] if missing else [])
                )
            )
        return cls(**{f.name: data.get(key) for key, f in known.items()})

    @classmethod
    def from_json(cls, text: str):
        return cls.from_dict(json.loads(text))


def optional(**metadata):
    """A field that may be absent (None), left out of the JSON then."""
    return field(default=None, metadata={"optional": True, **metadata})


@dataclass(frozen=True, kw_only=True)
class TrainingSettings(JobSettings):
    """What every training job shares: the experiment's model type with its
    parameters, its kernel, the optimiser and the loop's schedule. A data
    set's training settings add its networks, its data and its seeds."""

    experiment: str
    model: str  # a registered model type (couae.models)
    model_params: Mapping  # that model type's parameters, resolved
    kernel: str | None  # a registered kernel (couae.kernels), for the model types that take one
    kernel_params: Mapping
    width: float
    latent_dim: int
    lr: float
    adam_betas: tuple[float, float]
    batch_size: int
    iterations: int
    log_every: int
    checkpoint_every: int
    lam: float | None = optional(key="lambda")  # weight of the MMD term, for the model types that have one
    # where the data set's data break Theorem 2's bounded support (x in [-M, M]^d), why; None: they do not
    theorem2_data_failure: ClassVar[str | None] = None

    @property
    def model_type(self) -> models.ModelType:
        return models.model_type(self.model)

    def fingerprint(self) -> str:
        """Hash of the settings: a checkpoint resumes only the settings that made it."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()

    def check_made(self, saved: Mapping, seed: int, path) -> None:
        """Refuse weights saved in `path` (their settings `saved` and `seed`)
        unless this job made them: a copied or stale file would put another
        experiment's numbers in this job's rows."""
        made = type(self).from_dict(saved)
        if made.fingerprint() != self.fingerprint() or seed not in self.seeds:
            raise ForeignFileError(
                f"{path} holds {made.experiment} at width x{made.width:g}, seed {seed}, settings "
                f"{made.fingerprint()[:12]}; this job is {self.experiment} at width x{self.width:g}, seeds "
                f"{list(self.seeds)}, settings {self.fingerprint()[:12]}. A copied or stale file? Delete it and "
                "re-run to regenerate it."
            )


def experiment_kernel(config, dataset: str, experiment: str) -> tuple[str | None, dict]:
    """(kernel name, its resolved parameters) of an experiment whose model
    type takes a kernel: the kernel's defaults, then the data set's
    `kernels.<name>`, then the experiment's `kernel_params`; (None, {}) otherwise."""
    section = config[dataset]
    exp = section["experiments"][experiment]
    where = f"{dataset}.experiments.{experiment}"
    if not models.model_type(exp["model"], f"{where}.model").uses_kernel:
        return None, {}
    name = exp["kernel"]
    kernels.kernel_class(name, f"{where}.kernel")
    defaults = section.get("kernels", {}).get(name, {})
    return name, kernels.resolve_params(name, defaults, exp.get("kernel_params", {}), key=f"{where}.kernel_params")


def experiment_model_params(config, dataset: str, experiment: str) -> dict:
    """The experiment's model parameters: the model type's defaults, then the
    data set's `models.<type>`, then the experiment's `model_params`."""
    section = config[dataset]
    exp = section["experiments"][experiment]
    where = f"{dataset}.experiments.{experiment}"
    spec = models.model_type(exp["model"], f"{where}.model")
    defaults = section.get("models", {}).get(spec.name, {})
    values = resolve(spec.parameters, defaults, exp.get("model_params", {}), key=f"{where}.model_params")
    try:
        return spec.resolve(values, section["training"])
    except ConfigError:
        raise
    except ValueError as error:  # parameters that contradict each other: said before any job runs
        raise ConfigError(f"{where}.model_params: {error}") from None


def training_fields(config, dataset: str, experiment: str, width) -> dict:
    """The TrainingSettings fields of one experiment of `dataset` at `width`."""
    section = config[dataset]
    exp = section["experiments"][experiment]
    train = section["training"]
    spec = models.model_type(exp["model"], f"{dataset}.experiments.{experiment}.model")
    kernel, kernel_params = experiment_kernel(config, dataset, experiment)
    return {
        "experiment": experiment,
        "model": spec.name,
        "model_params": experiment_model_params(config, dataset, experiment),
        "kernel": kernel,
        "kernel_params": kernel_params,
        "lam": float(exp.get("lambda", train["lambda"])) if spec.uses_lambda else None,
        "width": float(width),
        "latent_dim": section["model"]["latent_dim"],
        "lr": float(train["lr"]),
        "adam_betas": [float(b) for b in train["adam_betas"]],
        "batch_size": train["batch_size"],
        "iterations": train["iterations"],
        "log_every": train["log_every"],
        "checkpoint_every": train["checkpoint_every"],
    }


# --- the theory jobs --------------------------------------------------------------------


@dataclass(frozen=True)
class Figure1Settings(JobSettings):
    charges: tuple[float, ...]
    range: tuple[float, float]
    points: int
    kernels: Mapping  # title -> {kernel, params}


@dataclass(frozen=True)
class Theorem1Settings(JobSettings):
    """One flow's job: its kernel and the shared settings of every flow."""

    flow: str
    kernel: str
    params: Mapping
    dims: tuple[int, ...]
    n_particles: int
    particles_above_dim: bool  # N = max(n_particles, h + 1): Assumption 1 (N > h) holds in every dimension
    n_runs: int
    steps: int
    step_rule: str  # "gradient": lr N grad, capped; "normalised": the cap along grad's direction
    lr: float
    max_step: float
    final_max_step: float
    tolerance: float
    critical_balance: float  # a run that missed the minimum ended at a critical point: forces off its samples cancel
    balance_sensitivity: tuple[float, ...]  # other thresholds whose counts the claims report beside
    second_order: Mapping  # {perturbation, steps, escape}: a critical point perturbed and continued (saddle or not)
    noise_levels: tuple[float, ...]
    noise_decay: float
    seed: int


@dataclass(frozen=True)
class FlowSettings(JobSettings):
    """One particle-flow job (config theory.flows): a row's flow on a setup."""

    setup_name: str
    setup: Mapping  # theory.flows.setups.<setup_name>
    row_name: str
    row: Mapping  # theory.flows.rows.<row_name>
    steps: int
    record_every: int
    seed: int
    evaluation: Mapping  # {kernels, kale_lambda}


@dataclass(frozen=True)
class GapSettings(JobSettings):
    """How Theorem 2's generalisation gap is measured for every trained MMD
    model (config theory.theorem2): L is estimated over `draws` fresh data and
    prior draws from the `seed` streams (the same draws for every model)."""

    draws: int
    seed: int


@dataclass(frozen=True)
class ClaimsSettings(JobSettings):
    """How the paper's claims are tested (config `claims`), and what of the
    run they need: iterations, which experiment plays each paper column, and
    which Theorem 1 flows are the theorem's kernel or can stall."""

    confidence: float
    interval: str  # "welch" or "bootstrap"
    bootstrap_resamples: int
    seed: int
    margin: Mapping  # dataset -> the "at least as good" margin
    iterations: Mapping  # dataset -> training iterations of this run
    paper_columns: Mapping  # dataset -> paper column (VAE, WAE, CouAE) -> experiment
    theorem1_flows: Mapping  # kernels.REACHES / kernels.CAN_STALL -> the flows whose kernel Theorem 1 says so of
    theorem1_remarks: Mapping  # flow -> dimension (as text) -> its kernel's remark there ("" where none)
    # dataset -> its variants that run and that the paper did not (Dataset.paper_variants): they test no claim
    extension_variants: Mapping | None = optional()


def theorem1_roles(config) -> dict[str, list[str]]:
    """Theorem 1's flows by what the theorem says of their kernel (each kernel says, `Kernel.theorem1_role`)."""
    roles = {kernels.REACHES: [], kernels.CAN_STALL: []}
    for name, flow in config["theory"]["theorem1"]["flows"].items():
        role = kernels.kernel_class(flow["kernel"]).theorem1_role(flow["params"])
        if role is not None:
            roles[role].append(name)
    return roles


def theorem1_remarks(config) -> dict[str, dict[str, str]]:
    """Per Theorem 1 flow and dimension, what its kernel says of itself there (`Kernel.remark`)."""
    t1 = config["theory"]["theorem1"]
    return {
        name: {str(dim): kernels.make_kernel(flow["kernel"], dim, **flow["params"]).remark() for dim in t1["dims"]}
        for name, flow in t1["flows"].items()
    }


def paper_columns(config, dataset: str) -> dict[str, str]:
    """Paper column (VAE, WAE, CouAE) -> the first running experiment that plays it."""
    columns = {}
    for name in experiments(config, dataset):
        column = config[dataset]["experiments"][name].get("paper")
        if column and column not in columns:
            columns[column] = name
    return columns


def figure1_settings(config) -> Figure1Settings:
    return Figure1Settings.from_dict(config["theory"]["figure1"])


def gap_settings(config) -> GapSettings:
    t2 = config["theory"]["theorem2"]
    return GapSettings(draws=t2["draws"], seed=t2["seed"])


def flow_setups(config) -> list[str]:
    return list(config["theory"]["flows"]["setups"])


def flow_rows(config) -> list[str]:
    return list(config["theory"]["flows"]["rows"])


def flow_settings(config, setup: str, row: str) -> FlowSettings:
    f = config["theory"]["flows"]
    return FlowSettings(
        setup_name=setup,
        setup=f["setups"][setup],
        row_name=row,
        row=f["rows"][row],
        steps=f["steps"],
        record_every=f["record_every"],
        seed=f["seed"],
        evaluation=f["evaluation"],
    )


def theorem1_flows(config) -> list[str]:
    return list(config["theory"]["theorem1"]["flows"])


def theorem1_settings(config, flow: str) -> Theorem1Settings:
    shared = {k: v for k, v in config["theory"]["theorem1"].items() if k not in ("flows", "threads")}
    return Theorem1Settings.from_dict({**shared, "flow": flow, **config["theory"]["theorem1"]["flows"][flow]})


class Untracked:
    """A job argument Snakemake leaves out of its params comparison (it compares
    only values of built-in types): where files are found, not what they are.
    Moving the CelebA archive, or the FID weights, then re-runs nothing. Shell
    commands see its text."""

    def __init__(self, text: str):
        self.text = text

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Untracked({self.text!r})"
