"""docs/results/: every kept run names presets that exist, a commit and a command, and each kept table
has the columns that the code writes for that kind of table (a tiny run of the same code makes them)."""

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from helpers import REPO, load_config, paper_grid, small_settings

RUNS = sorted((REPO / "docs/results").glob("*/run.yaml"))


def grid_evaluation_columns(experiment: str, folder: Path) -> list[str]:
    """The columns grid_evaluate writes for `experiment`, from a 20-step run of it."""
    from couae.core.training import train
    from couae.grid import model as grid_model
    from couae.grid.data import make_splits
    from couae.grid.evaluation import evaluate_job
    from couae.grid.settings import grid_evaluation_settings
    from couae.settings import gap_settings

    settings = dataclasses.replace(small_settings(experiment, iterations=20, log_every=20), n_generated=100)
    splits = make_splits(paper_grid(), {"train": 200, "validation": 100, "test": 100, "reference": 100}, seed=1)
    run = train(grid_model.build_run(settings, splits["train"]), 20, 20, 20)
    samples, paths = grid_model.generate(run, 100), []
    for k, seed in enumerate(settings.seeds):
        torch.save(grid_model.seed_weights(run, k, settings), folder / f"w{seed}.pt")
        np.save(folder / f"s{seed}.npy", samples[k])
        paths.append((folder / f"w{seed}.pt", folder / f"s{seed}.npy"))
    config = load_config()
    rows = evaluate_job("narrow", settings, *zip(*paths, strict=True), splits, grid_evaluation_settings(config),
                        gap_settings(config))  # fmt: skip
    return list(rows.columns)


def theorem1_columns() -> list[str]:
    from couae.theory.flows import theorem1_rows
    from helpers import flow_settings

    rows, _ = theorem1_rows(flow_settings(dims=(2,), noise_levels=(0.0,), n_runs=2, steps=20))
    return list(rows.columns)


def expected_columns(kind: str, table: dict, folder: Path) -> list[str]:
    if kind == "grid_evaluation":
        return grid_evaluation_columns(table["experiment"], folder)
    if kind == "theorem1":
        return theorem1_columns()
    raise AssertionError(f"a kept table of an unknown kind {kind!r}: say here which code writes it")


@pytest.mark.parametrize("path", RUNS, ids=[p.parent.name for p in RUNS])
def test_a_kept_run_says_how_it_was_made_and_its_tables_are_what_that_code_writes(path, tmp_path):
    run = yaml.safe_load(path.read_text())
    assert {"presets", "command", "commit", "machine", "wall", "tables"} <= set(run)
    for preset in run["presets"]:
        assert (REPO / preset).is_file(), f"{path}: preset {preset} is not in the repository"
        assert preset in run["command"], f"{path}: the command does not use {preset}"
    assert len(run["commit"]) >= 7 and all(c in "0123456789abcdef" for c in run["commit"].removesuffix("-dirty"))
    assert run["tables"], f"{path}: no table kept"
    for name, table in run["tables"].items():
        kept = pd.read_csv(path.parent / name)
        assert list(kept.columns) == expected_columns(table["kind"], table, tmp_path), f"{path.parent.name}/{name}"
        assert table["made_by"].startswith("results/")  # where the run wrote it


def test_results_md_names_only_presets_that_exist():
    import re

    text = (REPO / "docs/results.md").read_text()
    named = set(re.findall(r"presets/[\w.-]+\.yaml", text))
    assert named and all((REPO / p).is_file() for p in named), sorted(p for p in named if not (REPO / p).is_file())
