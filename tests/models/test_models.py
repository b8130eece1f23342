"""Model types describe themselves: what each declares, and the VAE's
decoder variance, which the paper leaves open."""

import dataclasses

import pytest
import torch

from couae import models
from couae.grid import model as grid_model
from couae.grid.data import make_splits
from helpers import paper_grid, small_settings


@pytest.mark.parametrize("name", models.names())
def test_every_model_type_declares_what_the_pipeline_asks(name):
    spec = models.model_type(name)
    assert spec.name == name and spec.summary
    for key, parameter in spec.parameters.items():
        assert parameter.doc and parameter.schema, key
    failure = spec.theorem2_failure(None)
    assert failure is None or isinstance(failure, str) and failure
    assert spec.encoder_outputs(2) in (2, 4)
    if not spec.reconstructs:
        assert not spec.takes_encoder_noise and not spec.takes_pretraining


def vae_terms(variance: float):
    settings = small_settings("vae")
    settings = dataclasses.replace(settings, model_params={**settings.model_params, "decoder_variance": variance})
    data = make_splits(paper_grid(), {"train": 200, "validation": 2, "test": 2, "reference": 2}, seed=1)["train"]
    run = grid_model.build_run(settings, data, dtype=torch.float64)
    draws = run.sampler.draw(1)
    x = run.data[draws.pop("idx")[0]]
    step = run.step_fn
    with torch.no_grad():
        return step.objective.terms(
            step.encoder, step.decoder, x, draws["prior"][0].double(), draws["noise"][0].double()
        )


def test_the_vae_decoder_variance_scales_the_reconstruction_term_in_closed_form():
    """-log N(x; g(z), sigma^2 I) = |x - g(z)|^2 / (2 sigma^2) + const: with the
    same networks and draws, sigma^2 = 2 weighs the squared error 1/4, sigma^2 =
    0.5 (the grid's default, the MMD rows' cost) weighs it 1; the KL is unchanged."""
    default, wide = vae_terms(0.5), vae_terms(2.0)
    torch.testing.assert_close(wide[:, 1], default[:, 1] / 4)
    torch.testing.assert_close(wide[:, 2], default[:, 2])
    torch.testing.assert_close(wide[:, 0], wide[:, 1] + wide[:, 2])
    spec = models.model_type("vae")
    assert spec.recon_weight({"decoder_variance": None}, 0.05) == 0.05  # null: the data set's own weight
    assert "variance 2 (squared error weighted 0.25)" in spec.note({"decoder_variance": 2.0, "kl_weight": 1.0}, 1.0)
