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


def _training_settings(section: dict, experiment: str, width) -> dict:
    """What every training job of a dataset section shares: the experiment's
    model, kernel and weights, the optimiser and the loop's schedule."""
    exp = section["experiments"][experiment]
    train = section["training"]
    kernel, kernel_params = _experiment_kernel(section, exp)
    return {
        "experiment": experiment,
        "model": exp["model"],
        "kernel": kernel,
        "kernel_params": kernel_params,
        "lambda": float(exp.get("lambda", train["lambda"])),
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


def grid_training_settings(config, experiment: str, width: str | float) -> dict:
    grid = config["grid"]
    return {
        **_training_settings(grid, experiment, width),
        "hidden": grid["model"]["hidden"],
        "n_hidden": grid["model"]["n_hidden"],
        "seeds": list(grid["training"]["seeds"]),
        "n_generated": grid["generation"]["n_samples"],
    }


def grid_evaluation_settings(config) -> dict:
    ev = config["grid"]["evaluation"]
    return {
        "bandwidths": dict(ev["bandwidths"]),
        "selection": ev["selection"],
        "cv_folds": ev["cv_folds"],
    }


def experiment_labels(config, dataset: str = "grid") -> list[list]:
    """[name, {paper column it reproduces (or None), description}] per experiment
    of `dataset` ("grid" or "celeba"), in config order (a list, so that JSON
    keeps the order)."""
    return [
        [name, {"paper": exp.get("paper"), "description": exp.get("description", name)}]
        for name, exp in config[dataset]["experiments"].items()
    ]


def _experiment_kernel(section: dict, exp: dict) -> tuple[str | None, dict]:
    kernel = exp.get("kernel")
    if kernel is None:
        return None, {}
    return kernel, {**section["kernels"][kernel], **exp.get("kernel_params", {})}


def celeba_experiments(config) -> list[str]:
    return list(config["celeba"]["experiments"])


def celeba_experiment_widths(config, experiment: str) -> dict[str, float]:
    """path label -> factor of the widths one CelebA experiment runs at."""
    celeba = config["celeba"]
    widths = celeba["experiments"][experiment].get("widths", celeba["widths"])
    return {width_label(w): float(w) for w in widths}


def celeba_seeds(config) -> list[int]:
    return list(config["celeba"]["training"]["seeds"])


def celeba_runs(config) -> list[tuple[str, str]]:
    """(experiment, width label) of every CelebA training configuration."""
    return [(name, label) for name in celeba_experiments(config)
            for label in celeba_experiment_widths(config, name)]


def celeba_main_width(config, experiment: str) -> str:
    """The width label Table 1 and Figure 3 show for an experiment: x1 if it runs there, else its largest."""
    widths = celeba_experiment_widths(config, experiment)
    return width_label(1.0) if 1.0 in widths.values() else width_label(max(widths.values()))


def celeba_data_settings(config) -> dict:
    """What the image arrays depend on: not where the files were found (moving
    the archive must not re-run hours of training), but what they are."""
    data = config["celeba"]["data"]
    if data["kind"] == "standin":
        return {"kind": "standin", "size": data["size"], "standin": dict(data["standin"])}
    return {"kind": "celeba", "crop": data["crop"], "size": data["size"], "md5": dict(data["md5"])}


def celeba_training_settings(config, experiment: str, width: str | float, seed: int) -> dict:
    celeba = config["celeba"]
    return {
        **_training_settings(celeba, experiment, width),
        "recon_weight": float(celeba["training"]["recon_weight"]),
        "channels": list(celeba["model"]["channels"]),
        "seed": int(seed),
        "mixed_precision": celeba["training"]["mixed_precision"],
    }


def celeba_fid_settings(config) -> dict:
    """What an FID value depends on (the weights' location is passed separately)."""
    fid = config["celeba"]["fid"]
    out = {"extractor": fid["extractor"], "n_generated": fid["n_generated"], "few_images": fid["few_images"]}
    if fid["extractor"] != "inception":
        out["test_only_dims"] = fid["test_only_dims"]
    return out


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
    for name, exp in grid["experiments"].items():
        if "widths" in exp:
            raise ConfigError(f"grid.experiments.{name}.widths: grid experiments run at every "
                              "grid.widths; per-experiment widths are a celeba setting")
    _check_celeba(config["celeba"])
    ev = grid["evaluation"]
    if ev["selection"] == "cv" and ev["cv_folds"] > grid["generation"]["n_samples"]:
        raise ConfigError("grid.evaluation.cv_folds exceeds grid.generation.n_samples")
    if ev["selection"] == "cv" and ev["cv_folds"] > data["n_reference"]:
        raise ConfigError("grid.evaluation.cv_folds exceeds grid.data.n_reference")


def _check_celeba(celeba) -> None:
    train = celeba["training"]
    if train["checkpoint_every"] % train["log_every"]:
        raise ConfigError("celeba.training.checkpoint_every must be a multiple of celeba.training.log_every "
                          f"(got {train['checkpoint_every']} and {train['log_every']})")
    standin = celeba["data"]["standin"]
    if celeba["data"]["kind"] == "standin" and train["batch_size"] > standin["n_train"]:
        raise ConfigError(f"celeba.training.batch_size ({train['batch_size']}) exceeds "
                          f"celeba.data.standin.n_train ({standin['n_train']})")
    for name, exp in celeba["experiments"].items():
        widths = exp.get("widths", celeba["widths"])
        labels = [width_label(w) for w in widths]
        if len(set(labels)) != len(labels):
            raise ConfigError(f"celeba.experiments.{name}.widths has duplicates: {widths}")
        for w in widths:
            if min(round(c * w) for c in celeba["model"]["channels"]) < 1:
                raise ConfigError(f"celeba: width {w} x celeba.model.channels "
                                  f"{celeba['model']['channels']} leaves a layer with no channels")
    fig4 = celeba["figures"]["figure4_experiment"]
    if fig4 not in celeba["experiments"]:
        raise ConfigError(f"celeba.figures.figure4_experiment: {fig4!r} is not one of "
                          f"celeba.experiments ({', '.join(celeba['experiments'])})")
    if celeba["figures"]["n_samples"] > celeba["fid"]["n_generated"]:
        raise ConfigError("celeba.figures.n_samples exceeds celeba.fid.n_generated")
    if celeba["data"]["kind"] == "standin" and celeba["figures"]["n_reconstructions"] > standin["n_test"]:
        raise ConfigError("celeba.figures.n_reconstructions exceeds celeba.data.standin.n_test")
