"""The whole config, checked and read as one run: what the Snakefile asks
before any job starts.

`check_config` holds the rules the JSON schema cannot state: an experiment's
model type, kernel and their parameters (each component declares its own,
`couae.kernels`, `couae.models`), the theory's kernels, and each data set's
own cross-field rules (its adapter's `check`). `start_check` asks each data
set what it needs before a run; `claims_settings` gathers what the claims
table needs of the run. Every error names the config key.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from pathlib import Path

import jsonschema
import yaml

from . import datasets, kernels, models
from .parameters import ConfigError, check
from .runtime import memory
from .settings import (
    ALL_ROWS,
    ClaimsSettings,
    experiments,
    paper_columns,
    theorem1_remarks,
    theorem1_roles,
    training_fields,
    width_label,
)

# --- reading a config file ------------------------------------------------------------------------


def read_config_file(path) -> dict:
    """A config file's contents, or a ConfigError naming the file, where in it
    the YAML breaks, and what to do. (Snakemake reads --configfile files before
    the workflow starts, and its message names neither: snakemake/snakemake#2439.)"""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read ({exc})") from exc
    try:
        content = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        if "'\\t'" in problem:
            problem += ": YAML indents with spaces, not tabs"
        remedy = "fix it there, or regenerate it if a rule made it (tuned.yaml: delete it, run `snakemake tune`)"
        raise ConfigError(f"{path}{where}: not valid YAML ({problem}); {remedy}") from exc
    if not isinstance(content, dict):
        what = "empty" if content is None else f"a YAML {type(content).__name__}, not a mapping"
        raise ConfigError(f"{path}: {what}; a config file holds top-level keys (grid:, celeba:, ...) such as "
                          "presets/quick.yaml's")  # fmt: skip
    return content


# --- the merged config's key order ----------------------------------------------------------------


def keep_base_order(merged: dict, base: Mapping) -> None:
    """Put every mapping's keys of `merged` in `base`'s order (config.yaml's),
    keys only an overlay adds after them, in place and at every depth. Snakemake
    merges a --configfile over the Snakefile's configfile so that the keys the
    overlay names come first, and the order of experiments is the order of the
    table rows and figure panels, of variants that of the tables' sections."""
    for key, value in merged.items():
        if isinstance(value, dict) and isinstance(base.get(key), Mapping):
            keep_base_order(value, base[key])
    ordered = [k for k in base if k in merged] + [k for k in merged if k not in base]
    items = [(k, merged[k]) for k in ordered]
    merged.clear()
    merged.update(items)


# --- what runs --------------------------------------------------------------------------------


def in_config(config) -> list[datasets.Dataset]:
    """The data sets of this config, in config order."""
    return datasets.in_config(config)


def running(config) -> list[datasets.Dataset]:
    """The data sets that run with this config (the others' cells say 'not run')."""
    return datasets.running(config)


def start_check(config, jobs_run_here: bool = True) -> tuple[list[str], list[str]]:
    """(problems, notes) of every data set before any job runs: problems stop
    the workflow at once, naming the config keys; notes are said at start.
    `jobs_run_here`: this machine trains (not a cluster's submit host), so
    its memory must hold every training job."""
    problems, notes = [], []
    training = running(config) if jobs_run_here else []
    for dataset in in_config(config):
        found, said = dataset.start_check(config)
        problems += found
        notes += said
        if dataset in training:
            problems += memory_problems(config, dataset)
    return problems, notes


def memory_problems(config, dataset, available: tuple[int | None, str] | None = None) -> list[str]:
    """One line if some training job of the data set cannot fit in this
    machine's memory even at its lower bound (couae.runtime.memory): the
    largest, naming the other experiments that do not fit either."""
    have, what = available or memory.device_memory(dataset.device(config))
    if have is None:
        return []
    name, train = dataset.name, dataset.section(config)["training"]
    needs = {}
    for experiment, seeds, _steps in dataset.training_jobs(config):
        needs[experiment, seeds] = dataset.memory_floor(config, experiment, seeds)
    over = sorted((need, experiment, seeds) for (experiment, seeds), need in needs.items() if need > have)
    if not over:
        return []
    need, experiment, seeds = over[-1]
    others = sorted({e for _, e, _ in over} - {experiment})
    return [
        f"{name}.training.batch_size: a training job of {name}'s {experiment} ({seeds} seed{'s' if seeds > 1 else ''}, "
        f"batch {train['batch_size']:,}) needs at least {need / memory.GIB:,.1f} GiB"
        + (f" (those of {', '.join(others)} too)" if others else "")
        + f", and this machine's {what} is {have / memory.GIB:,.1f} GiB; lower {name}.training.batch_size"
        + (f" or {name}.training.seeds_per_job" if seeds > 1 else "")
    ]


def extension_variants(dataset, config) -> list[str]:
    """The variants of `dataset` that run and that the paper did not (their comparisons claim nothing)."""
    ran_by_paper = set(dataset.paper_variants(config))
    return [v for v in dataset.variants(config) if v not in ran_by_paper]


def claims_settings(config) -> ClaimsSettings:
    c = config["claims"]
    names = [d.name for d in in_config(config)]
    return ClaimsSettings(
        confidence=c["confidence"],
        interval=c["interval"],
        bootstrap_resamples=c["bootstrap_resamples"],
        seed=c["seed"],
        margin={name: c["margin"][name] for name in names},
        iterations={name: config[name]["training"]["iterations"] for name in names},
        paper_columns={name: paper_columns(config, name) for name in names},
        theorem1_flows=theorem1_roles(config),
        theorem1_remarks=theorem1_remarks(config),
        extension_variants={d.name: extension_variants(d, config) for d in in_config(config)},
    )


# --- the checks ---------------------------------------------------------------------------------


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
    for dataset in in_config(config):
        name = dataset.name
        train = config[name]["training"]
        places = [(f"{name}.training.{k}", train[k]) for k in SANE]
        for exp_name, exp in config[name]["experiments"].items():
            places += [(f"{name}.experiments.{exp_name}.{k}", exp[k]) for k in SANE if k in exp]
        for key, value in places:
            low, high = SANE[key.rsplit(".", 1)[1]]
            if value != 0 and not low <= value <= high:
                found.append(f"{key} = {value:g} is far outside [{low:g}, {high:g}]; is it meant?")
    return found


# The config's sections that are not a data set's; every other section needs its data set's adapter.
SHARED_SECTIONS = ("device", "theory", "claims")


def check_sections(config) -> None:
    """Every section is a shared one or a registered data set's: a ConfigError names any other."""
    orphans = [name for name in config if name not in SHARED_SECTIONS and name not in datasets.names()]
    if orphans:
        raise ConfigError(
            f"config section {orphans[0]!r} has no data set adapter: add couae/{orphans[0]}/adapter.py "
            "(docs/extending.md: a data set of points in the plane is that one module), or remove the section"
        )


def complete_sections(config) -> None:
    """Before the schema sees the config: refuse sections no data set owns, and let each data set fill in
    its own (a points data set takes the grid's settings it does not give)."""
    check_sections(config)
    for dataset in in_config(config):
        dataset.complete(config)


def check_config(config) -> None:
    """Cross-field rules the JSON schema cannot state. Raises ConfigError."""
    bad = _non_finite(dict(config), "")
    if bad:
        raise ConfigError(f"{bad[0]}: {bad[1]} is not a finite number")
    check_sections(config)
    for dataset in in_config(config):
        _check_components(config, dataset.name)
        _check_training(config, dataset)
        _check_widths(config, dataset)
        if dataset.name not in config["claims"]["margin"]:
            raise ConfigError(f"claims.margin.{dataset.name}: missing (the 'at least as good' margin of that data set)")
        dataset.check(config)
    _check_theory(config)


def _check_components(config, dataset: str) -> None:
    """Every kernel and model type the data set's section names exists, with
    its parameters; each experiment uses only the keys its model type takes."""
    section = config[dataset]
    for name, params in section.get("kernels", {}).items():
        kernels.check_params(name, params, f"{dataset}.kernels.{name}", complete=False)
    for name, params in section.get("models", {}).items():
        spec = models.model_type(name, f"{dataset}.models.{name}")
        check(params, spec.parameters, f"{dataset}.models.{name}", complete=False)
    rows = section.get("rows", ALL_ROWS)
    if rows != ALL_ROWS:
        unknown = [r for r in rows if r not in section["experiments"]]
        if unknown:
            raise ConfigError(f"{dataset}.rows names {unknown}, not experiments of {dataset}.experiments")
    for name in section["experiments"]:
        check_experiment(config, dataset, name)
    if not experiments(config, dataset):
        raise ConfigError(f"{dataset}.experiments: every experiment is skipped")


def check_schema(value, schema: Mapping, where: str) -> None:
    """`value` against a JSON schema; the ConfigError names the key of the
    error jsonschema judges most relevant."""
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema).iter_errors(value))
    if error is not None:
        key = ".".join(map(str, error.absolute_path))
        raise ConfigError(f"{where}{'.' if where and key else ''}{key}: {error.message}")


@functools.cache
def _experiment_schema() -> dict | None:
    """The config schema's experiment entry (workflow/schemas), where the
    library runs inside the workflow; None where it is installed alone."""
    path = Path(__file__).resolve().parents[1] / "schemas" / "config.schema.yaml"
    if not path.exists():
        return None
    schema = yaml.safe_load(path.read_text())
    return {"$ref": "#/$defs/experiment", "$defs": schema["$defs"]}


def check_experiment(config, dataset: str, name: str) -> None:
    """One experiment's entry: its keys (the schema's, for entries Snakemake's
    validation never saw, such as a tuning candidate's overridden one), its
    model type, kernel and their parameters."""
    exp = config[dataset]["experiments"][name]
    where = f"{dataset}.experiments.{name}"
    schema = _experiment_schema()
    if schema is not None:
        check_schema(exp, schema, where)
    spec = models.model_type(exp["model"], f"{where}.model")
    if spec.uses_kernel and "kernel" not in exp:
        raise ConfigError(f"{where}: the {spec.name} model type needs a kernel (kernel: one of {kernels.names()})")
    takes = {"kernel": spec.uses_kernel, "kernel_params": spec.uses_kernel, "lambda": spec.uses_lambda}
    refused = [key for key, allowed in takes.items() if key in exp and not allowed]
    if refused:
        raise ConfigError(f"{where}.{refused[0]}: the {spec.name} model type takes no {refused[0]}")
    if spec.uses_kernel and "kernel" in exp and not spec.takes_batch_kernel:
        if kernels.kernel_class(exp["kernel"], f"{where}.kernel").data_dependent:
            raise ConfigError(f"{where}.kernel: the {spec.name} model type needs a kernel fixed before the data")
    if "model_params" in exp:
        check(exp["model_params"], spec.parameters, f"{where}.model_params", complete=False)
    if name in experiments(config, dataset):
        training_fields(config, dataset, name, 1.0)  # the resolved parameters are complete


def _check_training(config, dataset: datasets.Dataset) -> None:
    name, train = dataset.name, config[dataset.name]["training"]
    if train["checkpoint_every"] % train["log_every"]:
        raise ConfigError(
            f"{name}.training.checkpoint_every must be a multiple of {name}.training.log_every "
            f"(got {train['checkpoint_every']} and {train['log_every']})"
        )
    n_train = dataset.n_train(config)
    if n_train is not None and train["batch_size"] > n_train[0]:
        raise ConfigError(f"{name}.training.batch_size ({train['batch_size']}) exceeds {n_train[1]} ({n_train[0]})")
    if len(set(train["seeds"])) != len(train["seeds"]):
        raise ConfigError(f"{name}.training.seeds contains a seed twice")
    if train["compile"] == "graphed" and dataset.device(config) == "cpu":  # else refused only when a job starts
        where = f"{name}.device" if config[name].get("device") else "device"
        raise ConfigError(f"{name}.training.compile: graphed needs CUDA, and {where} is cpu (use auto or compiled)")


def _check_widths(config, dataset: datasets.Dataset) -> None:
    """No duplicate width (after rounding to its path label), and every width
    leaves each layer at least one unit or channel."""
    name = dataset.name
    section = config[name]
    units = dataset.layer_units(config)
    for exp_name, exp in section["experiments"].items():
        widths = exp.get("widths", section["widths"])
        where = f"{name}.experiments.{exp_name}.widths" if "widths" in exp else f"{name}.widths"
        labels = [width_label(w) for w in widths]
        if len(set(labels)) != len(labels):
            raise ConfigError(f"{where} has duplicates: {widths}")
        for w in widths:
            if min(round(u * w) for u in units) < 1:
                raise ConfigError(f"{where}: width {w} x {name}.model sizes {units} leaves a layer with no units")


def theory_kernels(config) -> dict[str, Mapping]:
    """Config key -> {kernel, params} of every kernel the theory section names."""
    theory = config["theory"]
    found = {f"theory.figure1.kernels.{k}": v for k, v in theory["figure1"]["kernels"].items()}
    found.update({f"theory.theorem1.flows.{k}": v for k, v in theory["theorem1"]["flows"].items()})
    flows = theory["flows"]
    found.update({f"theory.flows.evaluation.kernels.{k}": v for k, v in flows["evaluation"]["kernels"].items()})
    found.update({f"theory.flows.setups.{k}.kernel": v["kernel"] for k, v in flows["setups"].items()})
    found.update({f"theory.flows.rows.{k}.kernel": v["kernel"] for k, v in flows["rows"].items() if "kernel" in v})
    return found


def _check_theory(config) -> None:
    for key, choice in theory_kernels(config).items():
        cls = kernels.kernel_class(choice["kernel"], f"{key}.kernel")
        kernels.check_params(choice["kernel"], choice["params"], f"{key}.params")
        if cls.data_dependent and not key.startswith("theory.theorem1.flows."):
            raise ConfigError(f"{key}.kernel: {cls.name} is set from each batch; this part needs a fixed kernel")
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
