"""Declared job settings: JSON round trips, errors that name the key, and the
JSON layout that saved weights and checkpoints carry."""

import json

import pytest

from couae import config as C
from couae import settings as S
from couae.celeba import settings as CS
from couae.grid import settings as GS
from helpers import load_config, quick_config


def every_job_settings(config):
    for variant in GS.variants(config):
        yield GS.grid_data_settings(config, variant)
        for experiment, width in S.runs(config, "grid"):
            yield GS.grid_training_settings(config, variant, experiment, width)
    yield GS.grid_evaluation_settings(config)
    yield C.claims_settings(config)
    yield CS.celeba_data_settings(config)
    yield CS.fid_settings(config)
    yield S.figure1_settings(config)
    for experiment, width in S.runs(config, "celeba"):
        yield CS.celeba_training_settings(config, experiment, width, 0)
    for flow in S.theorem1_flows(config):
        yield S.theorem1_settings(config, flow)


@pytest.mark.parametrize("config", [load_config(), quick_config()], ids=["paper", "quick"])
def test_every_job_settings_survive_json(config):
    for settings in every_job_settings(config):
        back = type(settings).from_json(settings.to_json())
        assert back == settings and back.to_json() == settings.to_json()


def test_training_settings_carry_their_data_and_the_saved_layout():
    """Weights and checkpoints store this JSON (and its hash): the experiment's
    settings, with the data it trains on, so that a checkpoint never resumes on
    other data."""
    config = load_config()
    grid = json.loads(GS.grid_training_settings(config, "narrow", "couae", 1.0).to_json())
    assert grid == {
        "adam_betas": [0.9, 0.999], "batch_size": 100, "checkpoint_every": 100000, "experiment": "couae",
        "hidden": 128, "iterations": 3000000, "kernel": "coulomb",
        "kernel_params": {"beta": None, "eps": 0.01, "smoothing": "additive", "normalised": False},
        "model_params": {}, "lambda": 100.0, "latent_dim": 2, "log_every": 1000, "lr": 0.001, "model": "mmd",
        "n_generated": 10000, "n_hidden": 2, "seeds": list(range(10)), "width": 1.0,
        "snapshots": [10000, 30000, 100000, 300000, 1000000],
        "data": {"per_axis": 5, "spacing": 2.0, "std": 0.05, "seed": 2019, "n_train": 500, "n_validation": 10000,
                 "n_test": 10000, "n_reference": 10000},
    }  # fmt: skip
    cited = GS.grid_training_settings(config, "cited", "couae", 1.0)
    assert cited.data["spacing"] == 10.5 and cited.data["std"] == 1.0
    assert cited.fingerprint() != GS.grid_training_settings(config, "narrow", "couae", 1.0).fingerprint()
    real = CS.celeba_training_settings(config, "couae", "1", 0)
    standin = CS.celeba_training_settings(load_config({"celeba": {"data": {"kind": "standin"}}}), "couae", "1", 0)
    assert real.data["kind"] == "celeba" and standin.data["kind"] == "standin"
    assert standin.fingerprint() != real.fingerprint()  # trained on stand-in images: never resumed on CelebA
    celeba = json.loads(CS.celeba_training_settings(config, "vae", "1", 0).to_json())
    assert celeba["kernel"] is None and celeba["kernel_params"] == {} and celeba["recon_weight"] == 0.05
    assert celeba["channels"] == [128, 256, 512, 1024] and celeba["seed"] == 0 and "seeds" not in celeba
    # a VAE's own parameters, and no MMD weight: changing lambda does not re-run it
    assert celeba["model_params"] == {"kl_weight": 1.0, "decoder_variance": 10.0} and "lambda" not in celeba


def test_optional_fields_are_left_out():
    standin = CS.celeba_data_settings(quick_config()).to_dict()
    assert set(standin) == {"kind", "size", "standin"}
    real = CS.celeba_data_settings(load_config()).to_dict()
    assert set(real) == {"kind", "size", "crop", "md5", "resize_filter", "other_sizes", "identity"}
    assert real["identity"] == {"partition": None, "images": None}  # the paper config points at no files
    assert "test_only_dims" not in CS.fid_settings(load_config()).to_dict()
    assert CS.fid_settings(quick_config()).to_dict()["test_only_dims"] == 64


def test_unknown_and_missing_keys_are_named():
    data = GS.grid_data_settings(load_config(), "narrow").to_dict()
    with pytest.raises(ValueError, match=r"GridData: unknown keys \['sigma'\]; missing keys \['std'\]"):
        GS.GridData.from_dict({**{k: v for k, v in data.items() if k != "std"}, "sigma": 0.1})


def test_fingerprint_follows_every_setting():
    config = load_config()
    a = GS.grid_training_settings(config, "narrow", "couae", 1.0)
    assert a.fingerprint() == GS.grid_training_settings(load_config(), "narrow", "couae", 1.0).fingerprint()
    for change in ({"training": {"lr": 5.0e-4}}, {"variants": {"narrow": {"std": 0.1}}}, {"data": {"seed": 1}}):
        other = load_config({"grid": change})
        assert GS.grid_training_settings(other, "narrow", "couae", 1.0).fingerprint() != a.fingerprint(), change


def test_widths_and_main_width_are_shared_by_both_datasets():
    config = load_config()
    assert S.dataset_widths(config, "grid") == {"0.25": 0.25, "0.5": 0.5, "1": 1.0}
    assert S.experiment_widths(config, "celeba", "vae") == {"1": 1.0}
    assert S.dataset_widths(config, "celeba") == {"0.25": 0.25, "0.5": 0.5, "1": 1.0}
    assert S.main_width([0.25, 0.5, 1.0]) == 1.0 and S.main_width([0.25, 2.0]) == 2.0


def test_untracked_values_show_their_text_only():
    value = S.Untracked("/data/celeba.zip")
    assert str(value) == "/data/celeba.zip" and not isinstance(value, str)
