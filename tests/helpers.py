"""Shared helpers for tests: the repo's config and small grid settings."""
import copy
from pathlib import Path

import yaml
from snakemake.utils import update_config

from couae import settings as S

REPO = Path(__file__).resolve().parents[1]


def load_config(*overrides: dict) -> dict:
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    for over in overrides:
        update_config(config, copy.deepcopy(over))
    return config


def quick_config() -> dict:
    return load_config(yaml.safe_load((REPO / "presets" / "quick.yaml").read_text()))


def small_settings(experiment="couae", width=0.5, **training) -> dict:
    """Grid training settings of the real config, shrunk for tests."""
    train = {"iterations": 60, "seeds": [3, 5, 7], "log_every": 20, "checkpoint_every": 20, **training}
    return S.grid_training_settings(load_config({"grid": {"training": train}}), experiment, width)
