"""The validated config resolved into what each job needs.

The Snakefile imports this module, so it imports nothing heavy. A job receives
only the settings that change its result, as one frozen dataclass passed as
JSON in the rule's params (`to_json`; the job reads it back with
`from_json`): Snakemake re-runs exactly the jobs whose settings changed, and a
training checkpoint resumes only under the settings that made it
(`TrainingSettings.fingerprint`).

`check_config` holds the cross-field rules the JSON schema cannot state.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import ClassVar

DATASETS = ("grid", "celeba")
IMAGE_SPLITS = ("train", "validation", "test")  # CelebA's partition codes 0, 1, 2


class ConfigError(ValueError):
    """A config problem the schema cannot express; the message names the key."""


class ForeignFileError(ValueError):
    """A result file that another job made (a copied or stale file)."""


# --- experiments, widths, seeds ---------------------------------------------------------


def width_label(width: float) -> str:
    """1.0 -> '1', 0.25 -> '0.25': the width as it appears in paths."""
    return f"{float(width):g}"


def main_width(widths: Iterable[float]) -> float:
    """The width of Table 1 and Figures 2-3: x1 where it runs, else the largest."""
    widths = [float(w) for w in widths]
    return 1.0 if 1.0 in widths else max(widths)


def variants(config) -> list[str]:
    """The grid data sets that run, in config order (`skip: true` leaves one out)."""
    return [name for name, v in config["grid"]["variants"].items() if not v.get("skip", False)]


def variant_descriptions(config) -> dict[str, str]:
    return {name: config["grid"]["variants"][name]["description"] for name in variants(config)}


def experiments(config, dataset: str) -> list[str]:
    """The experiments of `dataset` that run, in config order (`skip: true` leaves
    one out: the way a preset merged over config.yaml drops a row)."""
    return [name for name, exp in config[dataset]["experiments"].items() if not exp.get("skip", False)]


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


def _optional():
    return field(default=None, metadata={"optional": True})


@dataclass(frozen=True)
class TrainingSettings(JobSettings):
    """What every training job shares: the experiment's model, kernel and
    weights, the optimiser and the loop's schedule."""

    experiment: str
    model: str  # "vae", "mmd" or "coulombgan" (grid only so far)
    kernel: str | None  # None for the VAE
    kernel_params: Mapping
    lam: float = field(metadata={"key": "lambda"})  # weight of the MMD term
    kl_weight: float
    width: float
    latent_dim: int
    lr: float
    adam_betas: tuple[float, float]
    batch_size: int
    iterations: int
    log_every: int
    checkpoint_every: int

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


@dataclass(frozen=True)
class GridTraining(TrainingSettings):
    """One grid job: every seed of one (variant, experiment, width)."""

    # The paper's grid objective is mean ||x - g(f(x))||^2: the reconstruction is unweighted.
    recon_weight: ClassVar[float] = 1.0

    data: Mapping  # the GridData the job trains on: a checkpoint never resumes on other data
    hidden: int
    n_hidden: int
    seeds: tuple[int, ...]
    n_generated: int  # samples per seed for the KDE
    snapshots: tuple[int, ...]  # steps before the last at which the networks are kept (convergence)
    discriminator_lr: float | None = _optional()  # coulombgan only: the discriminator's Adam lr
    discriminator_width: float | None = _optional()  # coulombgan only: its width / the generator's


@dataclass(frozen=True)
class CelebATraining(TrainingSettings):
    """One CelebA job: one (experiment, width, seed)."""

    data: Mapping  # the CelebAData the job trains on: a checkpoint never resumes on other images
    recon_weight: float
    channels: tuple[int, ...]
    init: str  # "wae" (N(0, 0.01^2) weights, zero biases) or "pytorch"
    seed: int
    mixed_precision: str  # "none" or "bf16"
    encoder_noise: float  # std of the encoder's input noise (WAE's code: 0.01); 0 = off
    pretrain_steps: int  # encoder pre-training steps (WAE's code: up to 200); 0 = off
    pretrain_batch: int
    discriminator_lr: float | None = _optional()  # coulombgan only: the discriminator's Adam lr
    discriminator_width: float | None = _optional()  # coulombgan only: its width / the generator's

    @property
    def seeds(self) -> tuple[int, ...]:
        return (self.seed,)


@dataclass(frozen=True)
class GridData(JobSettings):
    """One grid variant's data: its mixture and the shared splits."""

    per_axis: int
    spacing: float
    std: float
    seed: int
    n_train: int
    n_validation: int
    n_test: int
    n_reference: int


@dataclass(frozen=True)
class GridEvaluation(JobSettings):
    bandwidths: Mapping  # {log10_start, log10_stop, num}
    selection: str  # "cv" or "validation"
    cv_folds: int


@dataclass(frozen=True)
class CelebAData(JobSettings):
    """What the image arrays are: not where the files were found (moving the
    archive must not re-run hours of training)."""

    kind: str  # "celeba" or "standin"
    size: int
    crop: int | None = _optional()  # celeba only
    md5: Mapping | None = _optional()  # celeba only
    resize_filter: str | None = _optional()  # celeba only: "lanczos" or "bilinear"
    other_sizes: str | None = _optional()  # celeba only: "refuse" or "accept"
    identity: Mapping | None = _optional()  # celeba only: the files' content (celeba.files.data_identity)
    standin: Mapping | None = _optional()  # standin only


@dataclass(frozen=True)
class FIDSettings(JobSettings):
    """What an FID value depends on (the weights' location travels separately)."""

    extractor: str
    n_generated: int
    few_images: str  # "refuse" or "warn"
    test_only_dims: int | None = _optional()  # the test-only extractor only


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
    n_runs: int
    steps: int
    lr: float
    max_step: float
    final_max_step: float
    tolerance: float
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
    theorem1_flows: Mapping  # "reaches": Theorem 1's Coulomb flows; "can_stall": single-scale Gaussian/IMQ


def claims_settings(config) -> ClaimsSettings:
    c = config["claims"]
    columns = {}
    for dataset in DATASETS:
        columns[dataset] = {}
        for name in experiments(config, dataset):
            exp = config[dataset]["experiments"][name]
            if exp.get("paper") and exp["paper"] not in columns[dataset]:
                columns[dataset][exp["paper"]] = name  # the first experiment that plays the column
    flows = config["theory"]["theorem1"]["flows"]
    return ClaimsSettings(
        confidence=c["confidence"],
        interval=c["interval"],
        bootstrap_resamples=c["bootstrap_resamples"],
        seed=c["seed"],
        margin=dict(c["margin"]),
        iterations={dataset: config[dataset]["training"]["iterations"] for dataset in DATASETS},
        paper_columns=columns,
        theorem1_flows={
            "reaches": [n for n, f in flows.items() if f["kernel"] == "coulomb" and f["params"]["beta"] is None],
            "can_stall": [
                n for n, f in flows.items() if f["kernel"] in ("gaussian", "imq") and len(f["params"]["scales"]) == 1
            ],
        },
    )


def grid_data_settings(config, variant: str) -> GridData:
    mixture = {k: v for k, v in config["grid"]["variants"][variant].items() if k not in ("description", "skip")}
    return GridData.from_dict({**mixture, **config["grid"]["data"]})


def _experiment_kernel(section: dict, exp: dict) -> tuple[str | None, dict]:
    kernel = exp.get("kernel")
    if kernel is None:
        return None, {}
    return kernel, {**section["kernels"][kernel], **exp.get("kernel_params", {})}


def _training_fields(section: dict, experiment: str, width) -> dict:
    exp = section["experiments"][experiment]
    train = section["training"]
    kernel, kernel_params = _experiment_kernel(section, exp)
    return {
        "experiment": experiment,
        "model": exp["model"],
        "kernel": kernel,
        "kernel_params": kernel_params,
        "lam": float(exp.get("lambda", train["lambda"])),
        "kl_weight": float(exp.get("kl_weight", train["kl_weight"])),
        "width": float(width),
        "latent_dim": section["model"]["latent_dim"],
        "lr": float(train["lr"]),
        "adam_betas": [float(b) for b in train["adam_betas"]],
        "batch_size": train["batch_size"],
        "iterations": train["iterations"],
        "log_every": train["log_every"],
        "checkpoint_every": train["checkpoint_every"],
    }


def grid_training_settings(config, variant: str, experiment: str, width: str | float) -> GridTraining:
    grid = config["grid"]
    train = grid["training"]
    return GridTraining(
        **_training_fields(grid, experiment, width),
        data=grid_data_settings(config, variant).to_dict(),
        hidden=grid["model"]["hidden"],
        n_hidden=grid["model"]["n_hidden"],
        seeds=list(train["seeds"]),
        n_generated=grid["generation"]["n_samples"],
        snapshots=sorted(s for s in train["snapshots"] if s < train["iterations"]),
        **_discriminator(grid, experiment),
    )


def _discriminator(section: dict, experiment: str) -> dict:
    """A Coulomb GAN's discriminator lr (its own, else the training lr) and
    width factor relative to the generator (default 1); None for other models."""
    exp = section["experiments"][experiment]
    if exp["model"] != "coulombgan":
        return {"discriminator_lr": None, "discriminator_width": None}
    return {
        "discriminator_lr": float(exp.get("discriminator_lr", section["training"]["lr"])),
        "discriminator_width": float(exp.get("discriminator_width", 1.0)),
    }


def celeba_training_settings(config, experiment: str, width: str | float, seed: int) -> CelebATraining:
    celeba = config["celeba"]
    return CelebATraining(
        **_training_fields(celeba, experiment, width),
        data=celeba_data_settings(config).to_dict(),
        recon_weight=float(celeba["training"]["recon_weight"]),
        channels=list(celeba["model"]["channels"]),
        init=celeba["model"]["init"],
        seed=int(seed),
        mixed_precision=celeba["training"]["mixed_precision"],
        encoder_noise=float(celeba["training"]["encoder_noise"]),
        pretrain_steps=celeba["training"]["pretrain_steps"],
        pretrain_batch=celeba["training"]["pretrain_batch"],
        **_discriminator(celeba, experiment),
    )


def grid_evaluation_settings(config) -> GridEvaluation:
    ev = config["grid"]["evaluation"]
    return GridEvaluation(bandwidths=dict(ev["bandwidths"]), selection=ev["selection"], cv_folds=ev["cv_folds"])


@functools.lru_cache(maxsize=8)
def _data_identity(data_json: str, stamps: tuple) -> dict:
    from .celeba.files import data_identity  # reads the files: only where CelebA data is configured

    return data_identity(json.loads(data_json))


def _stamps(data: dict) -> tuple:
    """(path, size, mtime) of the configured files: the cache above reads them again when they change."""
    paths = [data["partition"], data["folder"], data["archive"], f"{data['download_dir']}/list_eval_partition.txt"]
    found = []
    for path in filter(None, paths):
        try:
            st = os.stat(path)
        except OSError:
            continue
        found.append((path, st.st_size, st.st_mtime_ns))
    return tuple(found)


def celeba_data_settings(config) -> CelebAData:
    data = config["celeba"]["data"]
    if data["kind"] == "standin":
        return CelebAData(kind="standin", size=data["size"], standin=dict(data["standin"]))
    return CelebAData(
        kind="celeba",
        size=data["size"],
        crop=data["crop"],
        md5=dict(data["md5"]),
        resize_filter=data["resize_filter"],
        other_sizes=data["other_sizes"],
        identity=_data_identity(as_json(data), _stamps(data)),
    )


def fid_settings(config) -> FIDSettings:
    fid = config["celeba"]["fid"]
    test_only = fid["extractor"] != "inception"
    return FIDSettings(
        extractor=fid["extractor"],
        n_generated=fid["n_generated"],
        few_images=fid["few_images"],
        test_only_dims=fid["test_only_dims"] if test_only else None,
    )


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


def celeba_locations(config) -> Untracked:
    """The whole celeba.data section, locations included, for the data job."""
    return Untracked(as_json(config["celeba"]["data"]))


# --- what this run can reach ----------------------------------------------------------------


def celeba_configured(config) -> bool:
    """Whether the CelebA half has data to run on: the stand-in, or a location
    of the real files. Without, the tables mark its cells "not run"."""
    data = config["celeba"]["data"]
    return data["kind"] == "standin" or bool(data["folder"] or data["archive"] or data["url"]["archive"])


def start_check(config) -> tuple[list[str], list[str]]:
    """(problems, notes) found before any job runs: problems stop the workflow
    at once, naming the config keys (CelebA files configured but absent, FID
    weights missing with nowhere to fetch them); notes are said at start."""
    data, fid = config["celeba"]["data"], config["celeba"]["fid"]
    see = 'see README, "CelebA and FID"'
    if not celeba_configured(config):
        note = (
            "CelebA: no files configured (celeba.data.folder, celeba.data.archive or celeba.data.url.archive), so "
            f"the CelebA half does not run and its table cells say 'not run'; {see}, or set celeba.data.kind: "
            "standin to run it on generated stand-in images."
        )
        return [], [note]
    problems, notes = [], []
    if data["kind"] == "celeba":
        found = (
            (data["folder"] and os.path.isdir(data["folder"]))
            or (data["archive"] and os.path.isfile(data["archive"]))
            or data["url"]["archive"]
        )
        if not found:
            tried = ", ".join(f"celeba.data.{k} = {data[k]}" for k in ("folder", "archive") if data[k])
            problems.append(f"CelebA images not found: {tried} does not exist; {see}")
        partition = data["partition"]
        if partition and not os.path.isfile(partition):
            problems.append(f"celeba.data.partition = {partition} does not exist; {see}")
        if not partition and not data["url"]["partition"]:
            problems.append(f"no CelebA partition file: set celeba.data.partition or celeba.data.url.partition; {see}")
    if fid["extractor"] == "inception":
        from .celeba.weights import weights_path

        path = weights_path(fid["weights_dir"])
        if not path.is_file() and not fid["weights_url"]:
            problems.append(f"FID Inception weights not at {path} and celeba.fid.weights_url is not set; {see}")
        elif not path.is_file():
            notes.append(f"FID Inception weights not at {path}: the first job fetches them from celeba.fid.weights_url")
    return problems, notes


# --- cross-field checks ------------------------------------------------------------------


def _non_finite(value, key: str):
    """The first NaN or infinite number in `value`, with its dotted key."""
    if isinstance(value, float) and not math.isfinite(value):
        return key, value
    items = value.items() if isinstance(value, Mapping) else enumerate(value) if isinstance(value, list) else ()
    for k, v in items:
        found = _non_finite(v, f"{key}.{k}" if key else str(k))
        if found:
            return found
    return None


# Values this far outside what the paper and its sources use are allowed, but
# said at start: training with them fails late, or silently runs on.
SANE = {"lambda": (1.0e-3, 1.0e4), "lr": (1.0e-7, 1.0e-1)}


def config_warnings(config) -> list[str]:
    """Settings far outside sane ranges, each naming its key (see SANE)."""
    found = []
    for dataset in DATASETS:
        train = config[dataset]["training"]
        places = [(f"{dataset}.training.{k}", train[k]) for k in SANE]
        for name, exp in config[dataset]["experiments"].items():
            places += [(f"{dataset}.experiments.{name}.{k}", exp[k]) for k in SANE if k in exp]
        for key, value in places:
            low, high = SANE[key.rsplit(".", 1)[1]]
            if value != 0 and not low <= value <= high:
                found.append(f"{key} = {value:g} is far outside [{low:g}, {high:g}]; is it meant?")
    return found


def _check_autoencoder_only_options(celeba: dict) -> None:
    """WAE's encoder noise and pre-training act on an autoencoder's encoder:
    refused for rows that have none (the GAN) or another step (the learned kernel)."""
    train = celeba["training"]
    rows = {name: exp for name, exp in celeba["experiments"].items() if not exp.get("skip")}
    gans = [name for name, exp in rows.items() if exp["model"] == "coulombgan"]
    learned = [name for name, exp in rows.items() if exp.get("kernel") == "learned"]
    for key, refused in (("encoder_noise", gans + learned), ("pretrain_steps", gans)):
        if train[key] and refused:
            raise ConfigError(
                f"celeba.training.{key} = {train[key]} acts on an autoencoder's encoder; celeba.experiments."
                f"{refused[0]} has no such step: set it to 0 or skip that row"
            )
    figure4 = celeba["figures"]["figure4_experiment"]
    if figure4 in gans:
        raise ConfigError(f"celeba.figures.figure4_experiment: {figure4} is a GAN, it reconstructs nothing")


def check_config(config) -> None:
    """Cross-field rules the JSON schema cannot state. Raises ConfigError."""
    bad = _non_finite(dict(config), "")
    if bad:
        raise ConfigError(f"{bad[0]}: {bad[1]} is not a finite number")
    grid, celeba = config["grid"], config["celeba"]
    standin = celeba["data"]["standin"]
    # training data the batch is drawn from; None where only the job can count it (real CelebA)
    n_train = {
        "grid": grid["data"]["n_train"],
        "celeba": standin["n_train"] if celeba["data"]["kind"] == "standin" else None,
    }
    for dataset in DATASETS:
        _check_training(dataset, config[dataset]["training"], n_train[dataset])
        _check_widths(config, dataset)
    _check_autoencoder_only_options(celeba)
    off_block = [s for s in grid["training"]["snapshots"] if s % grid["training"]["log_every"]]
    if off_block:
        raise ConfigError(
            f"grid.training.snapshots must be multiples of grid.training.log_every "
            f"({grid['training']['log_every']}); {off_block} are not"
        )
    t1 = config["theory"]["theorem1"]
    if t1["final_max_step"] > t1["max_step"]:
        raise ConfigError("theory.theorem1.final_max_step must not exceed theory.theorem1.max_step")
    if 2 not in t1["dims"] or 0 not in t1["noise_levels"]:
        raise ConfigError(
            "theory.theorem1.dims must include 2 and theory.theorem1.noise_levels 0 (plain descent): "
            "the figure draws a 2-D trajectory of plain descent"
        )
    lo, hi = config["theory"]["figure1"]["range"]
    if lo >= hi:
        raise ConfigError(f"theory.figure1.range must be increasing, got {[lo, hi]}")
    flows = config["theory"]["flows"]
    for name, row in flows["rows"].items():
        unknown = set(row.get("lr_per_setup", {})) - set(flows["setups"])
        if unknown:
            raise ConfigError(
                f"theory.flows.rows.{name}.lr_per_setup names {sorted(unknown)}, not setups of theory.flows.setups"
            )
    ev = grid["evaluation"]
    if ev["selection"] == "cv" and ev["cv_folds"] > grid["generation"]["n_samples"]:
        raise ConfigError("grid.evaluation.cv_folds exceeds grid.generation.n_samples")
    if ev["selection"] == "cv" and ev["cv_folds"] > grid["data"]["n_reference"]:
        raise ConfigError("grid.evaluation.cv_folds exceeds grid.data.n_reference")
    fig4 = celeba["figures"]["figure4_experiment"]
    if fig4 not in experiments(config, "celeba"):
        raise ConfigError(
            f"celeba.figures.figure4_experiment: {fig4!r} is not one of the celeba.experiments that run "
            f"({', '.join(experiments(config, 'celeba'))})"
        )
    for dataset in DATASETS:
        if not experiments(config, dataset):
            raise ConfigError(f"{dataset}.experiments: every experiment is skipped")
    if not variants(config):
        raise ConfigError("grid.variants: every variant is skipped")
    if celeba["figures"]["n_samples"] > celeba["fid"]["n_generated"]:
        raise ConfigError("celeba.figures.n_samples exceeds celeba.fid.n_generated")
    if celeba["data"]["kind"] == "standin" and celeba["figures"]["n_reconstructions"] > standin["n_test"]:
        raise ConfigError("celeba.figures.n_reconstructions exceeds celeba.data.standin.n_test")


def _check_training(dataset: str, train: dict, n_train: int | None) -> None:
    if train["checkpoint_every"] % train["log_every"]:
        raise ConfigError(
            f"{dataset}.training.checkpoint_every must be a multiple of {dataset}.training.log_every "
            f"(got {train['checkpoint_every']} and {train['log_every']})"
        )
    if n_train is not None and train["batch_size"] > n_train:
        where = "grid.data.n_train" if dataset == "grid" else "celeba.data.standin.n_train"
        raise ConfigError(f"{dataset}.training.batch_size ({train['batch_size']}) exceeds {where} ({n_train})")
    if len(set(train["seeds"])) != len(train["seeds"]):
        raise ConfigError(f"{dataset}.training.seeds contains a seed twice")


def _check_widths(config, dataset: str) -> None:
    """No duplicate width (after rounding to its path label), and every width
    leaves each layer at least one unit or channel."""
    section = config[dataset]
    units = [section["model"]["hidden"]] if dataset == "grid" else section["model"]["channels"]
    for name, exp in section["experiments"].items():
        widths = exp.get("widths", section["widths"])
        where = f"{dataset}.experiments.{name}.widths" if "widths" in exp else f"{dataset}.widths"
        labels = [width_label(w) for w in widths]
        if len(set(labels)) != len(labels):
            raise ConfigError(f"{where} has duplicates: {widths}")
        for w in widths:
            if min(round(u * w) for u in units) < 1:
                raise ConfigError(f"{where}: width {w} x {dataset}.model sizes {units} leaves a layer with no units")
