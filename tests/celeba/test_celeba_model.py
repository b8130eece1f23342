"""The DCGAN networks per width, and image training on the shared loop:
resume, mixed precision, generation and reconstruction."""

import numpy as np
import pytest
import torch

from couae import settings as S
from couae.celeba import arrays as image_arrays
from couae.celeba import model as image_model
from couae.celeba import networks as dcgan
from couae.celeba.preprocessing import standin_images
from couae.core.training import train, try_resume
from helpers import load_config

PAPER_CHANNELS = [128, 256, 512, 1024]


@pytest.mark.parametrize("width", [0.25, 0.5, 1.0])
def test_paper_architecture_shapes_per_width(width):
    encoder, decoder = dcgan.build(PAPER_CHANNELS, width, latent_dim=64, encoder_outputs=64)
    convs = [m for m in encoder.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [int(c * width) for c in PAPER_CHANNELS]
    assert all(c.kernel_size == (5, 5) and c.stride == (2, 2) for c in convs)
    deconvs = [m for m in decoder.modules() if isinstance(m, torch.nn.ConvTranspose2d)]
    assert [d.out_channels for d in deconvs] == [int(c * width) for c in (512, 256, 128)] + [3]
    assert [d.stride for d in deconvs] == [(2, 2)] * 3 + [(1, 1)]
    assert decoder.project[0].out_features == 8 * 8 * int(1024 * width)
    encoder.eval(), decoder.eval()
    with torch.no_grad():
        z = encoder(torch.zeros(2, 3, 64, 64))
        x = decoder(torch.randn(2, 64))
    assert z.shape == (2, 64) and x.shape == (2, 3, 64, 64) and x.abs().max() <= 1


def test_vae_encoder_outputs_mean_and_log_variance():
    encoder, _ = dcgan.build(PAPER_CHANNELS, 0.25, latent_dim=64, encoder_outputs=128)
    assert encoder(torch.zeros(2, 3, 64, 64)).shape == (2, 128)


def test_width_leaving_no_channels_is_refused():
    with pytest.raises(ValueError, match="no channels"):
        dcgan.scaled_channels([1, 2, 4, 8], 0.25)


def small_settings(experiment="couae", **train):
    config = load_config(
        {
            "celeba": {
                "model": {"channels": [4, 8, 8, 16]},
                "training": {"batch_size": 8, "iterations": 6, "log_every": 2, "checkpoint_every": 2, **train},
            }
        }
    )
    return S.celeba_training_settings(config, experiment, 1.0, 0)


@pytest.fixture(scope="module")
def images():
    return standin_images(40, 64, 0, "train")


@pytest.mark.parametrize("experiment", ["vae", "wae", "couae"])
def test_resumed_image_run_equals_uninterrupted(tmp_path, images, experiment):
    settings = small_settings(experiment)
    straight = train(image_model.build_run(settings, images), 6, 2, 2)
    first = image_model.build_run(settings, images)
    train(first, 4, 2, 2, tmp_path / "ckpt.pt", settings.fingerprint())
    resumed = image_model.build_run(settings, images)
    assert try_resume(resumed, tmp_path / "ckpt.pt", settings.fingerprint()) and resumed.step == 4
    train(resumed, 6, 2, 2, tmp_path / "ckpt.pt", settings.fingerprint())
    straight_decoder, resumed_decoder = straight.step_fn.decoder, resumed.step_fn.decoder
    for a, b in zip(straight_decoder.state_dict().values(), resumed_decoder.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    assert np.array_equal(straight.history_array(), resumed.history_array())


def test_training_lowers_the_loss(images):
    settings = small_settings("couae", iterations=40, log_every=10, checkpoint_every=10, lr=2.0e-3)
    run = train(image_model.build_run(settings, images), 40, 10, 10)
    losses = run.history_array()[:, 0, 0]
    assert losses[-1] < 0.8 * losses[0]


def test_autocast_keeps_the_objective_in_float32(images):
    settings = small_settings("couae")
    run = image_model.build_run(settings, images)
    run.step_fn.autocast_dtype = torch.bfloat16  # CPU autocast: the same code as on CUDA
    train(run, 2, 2, 2)
    assert run.history[-1].dtype == torch.float32 and torch.isfinite(run.history[-1]).all()
    assert next(run.step_fn.encoder.parameters()).dtype == torch.float32


def test_saved_model_generates_and_reconstructs(images, tmp_path):
    settings = small_settings("vae")
    run = train(image_model.build_run(settings, images), 2, 2, 2)
    torch.save(image_model.weights(run, settings), tmp_path / "weights.pt")
    model = image_model.Autoencoder.load(tmp_path / "weights.pt", settings)  # without unpickling code
    a, b = model.generate(5, batch_size=2), model.generate(5)
    assert a.shape == (5, 3, 64, 64) and a.dtype == np.uint8 and np.array_equal(a, b)  # seeded, batch-independent
    rec = model.reconstruct(images[:3])
    assert rec.shape == (3, 3, 64, 64) and rec.dtype == np.uint8


@pytest.mark.parametrize("experiment", ["vae", "couae"])
def test_reconstruction_errors_match_a_per_image_loop(images, tmp_path, experiment):
    """xi's per-image errors: the squared distance in [-1, 1] from the mean code's
    decoding, image by image, whatever the batching, also from a memory-mapped split."""
    settings = small_settings(experiment)
    model = image_model.Autoencoder(
        image_model.weights(train(image_model.build_run(settings, images), 2, 2, 2), settings)
    )
    np.save(tmp_path / "train.npy", images[:7])
    errors = model.reconstruction_errors(image_arrays.load_split(tmp_path / "train.npy", mmap=True), batch_size=3)
    expected = []
    with torch.no_grad():
        for image in images[:7]:
            x = torch.as_tensor(image, dtype=torch.float64)[None] / 127.5 - 1
            out = model.encoder(x.float())
            code = out[:, : settings.latent_dim]  # the VAE's mean; the whole code for the MMD models
            expected.append(float(((x - model.decoder(code).double()) ** 2).sum()))
    assert errors.shape == (7,) and errors.dtype == np.float64
    np.testing.assert_allclose(errors, expected, rtol=1e-5)
    # the rounding to uint8 of reconstruct() is not part of xi
    rounded = image_arrays.to_model_range(torch.as_tensor(model.reconstruct(images[:7]))).double()
    x = image_arrays.to_model_range(torch.as_tensor(images[:7])).double()
    assert not np.allclose(((x - rounded) ** 2).flatten(1).sum(1).numpy(), errors, rtol=1e-9)


def test_pixel_range_round_trip():
    u8 = torch.arange(256, dtype=torch.uint8).reshape(1, 1, 16, 16)
    x = image_arrays.to_model_range(u8)
    assert x.min() == -1 and x.max() == 1
    assert torch.equal(image_arrays.to_uint8(x), u8)


def test_loading_refuses_weights_of_another_job(images, tmp_path):
    couae, wae = small_settings("couae"), small_settings("wae")
    torch.save(image_model.weights(train(image_model.build_run(wae, images), 2, 2, 2), wae), tmp_path / "weights.pt")
    assert image_model.Autoencoder.load(tmp_path / "weights.pt", wae).settings == wae
    with pytest.raises(ValueError, match=r"weights\.pt holds wae at width x1, seed 0.* this job is couae"):
        image_model.Autoencoder.load(tmp_path / "weights.pt", couae)
