"""Resolve the validated config into the flat settings of one job.

The Snakefile imports this module (it must stay free of heavy imports). Each
job receives only the values that affect its result, so that Snakemake's
params trigger re-runs exactly the jobs whose settings changed.
"""
from __future__ import annotations

import json


class ConfigError(ValueError):
    """A config problem the schema cannot express; the message names the key."""


def width_label(width: float) -> str:
    """1.0 -> '1', 0.25 -> '0.25': the width as it appears in paths."""
    return f"{float(width):g}"


def grid_widths(config) -> dict[str, float]:
    return {width_label(w): float(w) for w in config["grid"]["widths"]}


def grid_experiments(config) -> list[str]:
    return list(config["grid"]["experiments"])


def grid_seeds(config) -> list[int]:
    return list(config["grid"]["training"]["seeds"])


def main_width(config) -> float:
    """The width of Table 1 and Figure 2: x1 when configured, else the largest."""
    widths = grid_widths(config).values()
    return 1.0 if 1.0 in widths else max(widths)


def grid_data_settings(config) -> dict:
    return dict(config["grid"]["data"])


def grid_training_settings(config, experiment: str, width: str | float) -> dict:
    grid = config["grid"]
    exp = grid["experiments"][experiment]
    train = grid["training"]
    kernel = exp.get("kernel")
    kernel_params = {}
    if kernel is not None:
        kernel_params = {**grid["kernels"][kernel], **exp.get("kernel_params", {})}
    return {
        "experiment": experiment,
        "model": exp["model"],
        "kernel": kernel,
        "kernel_params": kernel_params,
        "lambda": float(exp.get("lambda", train["lambda"])),
        "kl_weight": float(exp.get("kl_weight", train["kl_weight"])),
        "width": float(width),
        "hidden": grid["model"]["hidden"],
        "n_hidden": grid["model"]["n_hidden"],
        "latent_dim": grid["model"]["latent_dim"],
        "lr": float(train["lr"]),
        "adam_betas": [float(b) for b in train["adam_betas"]],
        "batch_size": train["batch_size"],
        "iterations": train["iterations"],
        "seeds": list(train["seeds"]),
        "log_every": train["log_every"],
        "checkpoint_every": train["checkpoint_every"],
        "n_generated": grid["generation"]["n_samples"],
    }


def grid_evaluation_settings(config) -> dict:
    ev = config["grid"]["evaluation"]
    return {
        "bandwidths": dict(ev["bandwidths"]),
        "selection": ev["selection"],
        "cv_folds": ev["cv_folds"],
    }


def experiment_labels(config) -> list[list]:
    """[name, {paper column it reproduces (or None), description}] per experiment,
    in config order (a list, so that JSON keeps the order)."""
    return [
        [name, {"paper": exp.get("paper"), "description": exp.get("description", name)}]
        for name, exp in config["grid"]["experiments"].items()
    ]


def as_json(obj) -> str:
    return json.dumps(obj, sort_keys=True)


def figure1_settings(config) -> dict:
    return dict(config["theory"]["figure1"])


def theorem1_flows(config) -> list[str]:
    return list(config["theory"]["theorem1"]["flows"])


def theorem1_settings(config, flow: str) -> dict:
    """One flow's job: its kernel and every shared setting except the others' kernels."""
    t = {k: v for k, v in config["theory"]["theorem1"].items() if k not in ("flows", "threads")}
    return {**t, "flow": flow, **config["theory"]["theorem1"]["flows"][flow]}


def check_config(config) -> None:
    """Cross-field rules the JSON schema cannot state. Raises ConfigError."""
    grid = config["grid"]
    train, data = grid["training"], grid["data"]
    if train["checkpoint_every"] % train["log_every"]:
        raise ConfigError("grid.training.checkpoint_every must be a multiple of grid.training.log_every "
                          f"(got {train['checkpoint_every']} and {train['log_every']})")
    if train["batch_size"] > data["n_train"]:
        raise ConfigError(f"grid.training.batch_size ({train['batch_size']}) exceeds "
                          f"grid.data.n_train ({data['n_train']})")
    if len(set(train["seeds"])) != len(train["seeds"]):
        raise ConfigError("grid.training.seeds contains a seed twice")
    labels = [width_label(w) for w in grid["widths"]]
    if len(set(labels)) != len(labels):
        raise ConfigError(f"grid.widths has duplicates: {grid['widths']}")
    for w in grid["widths"]:
        if round(grid["model"]["hidden"] * w) < 1:
            raise ConfigError(f"grid.widths: {w} x grid.model.hidden ({grid['model']['hidden']}) "
                              "leaves no hidden units")
    t1 = config["theory"]["theorem1"]
    if t1["final_max_step"] > t1["max_step"]:
        raise ConfigError("theory.theorem1.final_max_step must not exceed theory.theorem1.max_step")
    lo, hi = config["theory"]["figure1"]["range"]
    if lo >= hi:
        raise ConfigError(f"theory.figure1.range must be increasing, got {[lo, hi]}")
    ev = grid["evaluation"]
    if ev["selection"] == "cv" and ev["cv_folds"] > grid["generation"]["n_samples"]:
        raise ConfigError("grid.evaluation.cv_folds exceeds grid.generation.n_samples")
    if ev["selection"] == "cv" and ev["cv_folds"] > data["n_reference"]:
        raise ConfigError("grid.evaluation.cv_folds exceeds grid.data.n_reference")
