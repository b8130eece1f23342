"""Shared helpers for tests: the repo's config, small settings, test-only stand-ins."""

import copy
import sys
from pathlib import Path

import torch
import yaml
from snakemake.utils import update_config

from couae import settings as S
from couae.grid import settings as GS

REPO = Path(__file__).resolve().parents[1]


def load_config(*overrides: dict) -> dict:
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    for over in overrides:
        update_config(config, copy.deepcopy(over))
    return config


def quick_config() -> dict:
    return load_config(yaml.safe_load((REPO / "presets" / "quick.yaml").read_text()))


def small_settings(experiment="couae", width=0.5, variant="narrow", **training):
    """Grid training settings of the real config, shrunk for tests."""
    train = {"iterations": 60, "seeds": [3, 5, 7], "log_every": 20, "checkpoint_every": 20, **training}
    return GS.grid_training_settings(load_config({"grid": {"training": train}}), variant, experiment, width)


def unknown_name(known) -> str:
    """A name no registry entry has (a test's example of an unknown kernel, model type or data set): not a
    plausible one such as "laplace", which docs/extending.md's walkthrough adds."""
    name = "nosuch"
    while name in set(known):
        name += "x"
    return name


def standin_inception_state_dict():
    """TEST ONLY: the FID Inception's architecture (as pytorch_fid.inception.
    fid_inception_v3 builds it) with random weights, to exercise the real
    loading path without the real weights file."""
    from pytorch_fid import inception as pi

    with torch.random.fork_rng():
        torch.manual_seed(0)
        net = pi._inception_v3(num_classes=1008, aux_logits=False, weights=None)
        net.Mixed_5b = pi.FIDInceptionA(192, pool_features=32)
        net.Mixed_5c = pi.FIDInceptionA(256, pool_features=64)
        net.Mixed_5d = pi.FIDInceptionA(288, pool_features=64)
        net.Mixed_6b = pi.FIDInceptionC(768, channels_7x7=128)
        net.Mixed_6c = pi.FIDInceptionC(768, channels_7x7=160)
        net.Mixed_6d = pi.FIDInceptionC(768, channels_7x7=160)
        net.Mixed_6e = pi.FIDInceptionC(768, channels_7x7=192)
        net.Mixed_7b = pi.FIDInceptionE_1(1280)
        net.Mixed_7c = pi.FIDInceptionE_2(2048)
    return net.state_dict()


def paper_kernel(name: str, latent_dim: int, **overrides):
    """A kernel with the paper config's grid parameters, some overridden."""
    from couae.kernels import make_kernel

    return make_kernel(name, latent_dim, **{**load_config()["grid"]["kernels"][name], **overrides})


def paper_grid(variant="narrow"):
    """A grid variant's mixture of the paper config (25 Gaussians, as configured)."""
    from couae.grid.data import Mixture

    return Mixture.of(GS.grid_data_settings(load_config(), variant))


def flow_settings(**numbers):
    """The paper config's Theorem 1 settings (its coulomb flow), some numbers changed."""
    import dataclasses

    return dataclasses.replace(S.theorem1_settings(load_config(), "coulomb"), **numbers)


def snakemake_command(workdir, *args, cores: int = 2) -> list[str]:
    """This workflow's Snakemake command line, run in `workdir`."""
    command = [sys.executable, "-m", "snakemake", "-s", REPO / "Snakefile", "--directory", workdir, "--cores", cores]
    return [str(part) for part in (*command, *args)]


class CodeCarrier:
    """TEST ONLY: unpickling this object creates `path`, proof that code ran."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (str(self.path), "w"))
