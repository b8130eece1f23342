"""The DCGAN networks per width, and image training on the shared loop:
resume, mixed precision, generation and reconstruction."""

import dataclasses

import numpy as np
import pytest
import torch

from couae.celeba import arrays as image_arrays
from couae.celeba import model as image_model
from couae.celeba import networks as dcgan
from couae.celeba import settings as CS
from couae.celeba.preprocessing import standin_images
from couae.core.training import train, try_resume
from helpers import load_config

PAPER_CHANNELS = [128, 256, 512, 1024]


@pytest.mark.parametrize("width", [0.25, 0.5, 1.0])
def test_paper_architecture_shapes_per_width(width):
    encoder, decoder = dcgan.build(PAPER_CHANNELS, width, latent_dim=64, encoder_outputs=64, init="pytorch")
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
    encoder, _ = dcgan.build(PAPER_CHANNELS, 0.25, latent_dim=64, encoder_outputs=128, init="pytorch")
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
    return CS.celeba_training_settings(config, experiment, 1.0, 0)


@pytest.fixture(scope="module")
def images():
    return standin_images(40, 64, 0, "train")


@pytest.mark.parametrize("experiment", ["vae", "wae", "couae", "learnedae", "coulombgan"])
def test_resumed_image_run_equals_uninterrupted(tmp_path, images, experiment):
    settings = small_settings(experiment)
    straight = train(image_model.build_run(settings, images), 6, 2, 2)
    first = image_model.build_run(settings, images)
    train(first, 4, 2, 2, tmp_path / "ckpt.pt", settings.fingerprint())
    resumed = image_model.build_run(settings, images)
    assert try_resume(resumed, tmp_path / "ckpt.pt", settings.fingerprint()) and resumed.step == 4
    train(resumed, 6, 2, 2, tmp_path / "ckpt.pt", settings.fingerprint())
    for name, net in straight.step_fn.networks().items():  # the learned kernel's networks too
        theirs = resumed.step_fn.networks()[name].state_dict()
        for key, value in net.state_dict().items():
            assert torch.equal(value, theirs[key]), f"{name}.{key}"
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


def test_wae_initialisation_draws_small_normal_weights_and_zero_biases():
    torch.manual_seed(0)
    encoder, decoder = dcgan.build(PAPER_CHANNELS, 0.25, latent_dim=64, encoder_outputs=64, init="wae")
    layers = [
        m
        for net in (encoder, decoder)
        for m in net.modules()
        if isinstance(m, torch.nn.Conv2d | torch.nn.ConvTranspose2d | torch.nn.Linear)
    ]
    assert len(layers) == 10
    weights = torch.cat([m.weight.flatten() for m in layers])
    assert weights.mean().abs() < 1e-3 and abs(weights.std().item() - dcgan.WAE_INIT_STD) < 2e-4
    assert all(m.bias is None or not m.bias.any() for m in layers)
    batch_norms = [m for m in encoder.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert all(torch.equal(b.weight, torch.ones_like(b.weight)) for b in batch_norms)  # batch norm as usual
    with pytest.raises(ValueError, match="unknown initialisation 'xavier'"):
        dcgan.build(PAPER_CHANNELS, 0.25, latent_dim=64, encoder_outputs=64, init="xavier")


def test_the_configured_initialisation_reaches_the_networks():
    wae, pytorch = small_settings("couae"), dataclasses.replace(small_settings("couae"), init="pytorch")
    assert wae.init == "wae"
    weight = lambda s: image_model.build_networks(s, s.latent_dim)[0][0].weight  # noqa: E731  (the first convolution)
    assert weight(wae).std() < 0.02 < weight(pytorch).std()


def test_encoder_input_noise_is_drawn_per_seed_and_resumes_bit_identically(tmp_path, images):
    noisy = small_settings("couae", encoder_noise=0.01)
    straight = train(image_model.build_run(noisy, images), 6, 2, 2)
    clean = train(image_model.build_run(small_settings("couae"), images), 6, 2, 2)
    assert not np.array_equal(straight.history_array(), clean.history_array())
    first = image_model.build_run(noisy, images)
    train(first, 4, 2, 2, tmp_path / "ckpt.pt", noisy.fingerprint())
    assert set(torch.load(tmp_path / "ckpt.pt", weights_only=True)["generators"]) == {"input_noise/0"}
    resumed = image_model.build_run(noisy, images)
    assert try_resume(resumed, tmp_path / "ckpt.pt", noisy.fingerprint())
    train(resumed, 6, 2, 2, tmp_path / "ckpt.pt", noisy.fingerprint())
    assert np.array_equal(straight.history_array(), resumed.history_array())


def test_moment_loss_is_the_squared_moment_differences():
    gen = torch.Generator().manual_seed(0)
    z = torch.randn(50, 3, generator=gen)
    assert image_model.moment_loss(z, z).item() == pytest.approx(0.0, abs=1e-12)
    # a shift moves only the mean: its squared size, averaged over the 3 coordinates
    assert image_model.moment_loss(z + 0.5, z).item() == pytest.approx(0.25, rel=1e-5)
    # a scale moves only the covariance: every entry by (4 - 1)
    scaled = image_model.moment_loss((z - z.mean(0)) * 2, z - z.mean(0)).item()
    cov = torch.cov(z.T)
    assert scaled == pytest.approx((3 * cov).square().mean().item(), rel=1e-5)


def test_encoder_pretraining_fits_the_prior_moments_and_is_seeded(images):
    settings = small_settings("wae", pretrain_steps=30, pretrain_batch=32, lr=1.0e-3)
    runs = [image_model.build_run(settings, images) for _ in range(2)]
    losses = [image_model.pretrain_encoder(run, settings) for run in runs]
    assert losses[0] == losses[1] and 1 <= len(losses[0]) <= 30
    assert losses[0][-1] < losses[0][0] or losses[0][-1] < image_model.PRETRAIN_TOLERANCE
    off = image_model.build_run(small_settings("wae"), images)
    before = [p.clone() for p in off.step_fn.encoder.parameters()]
    assert image_model.pretrain_encoder(off, small_settings("wae")) == []  # 0 steps: nothing changes
    assert all(torch.equal(a, b) for a, b in zip(before, off.step_fn.encoder.parameters(), strict=True))


def test_the_coulomb_gan_networks_and_a_discriminator_of_double_width():
    generator, discriminator = dcgan.build_gan(PAPER_CHANNELS, 0.25, 64, 2.0, "wae")
    assert discriminator[0].out_channels == 2 * 32 and generator.project[0].out_features == 8 * 8 * 256
    generator.eval(), discriminator.eval()
    with torch.no_grad():
        assert discriminator(generator(torch.randn(3, 64))).shape == (3, 1)


def test_a_saved_coulomb_gan_generates_and_reconstructs_nothing(images, tmp_path):
    settings = small_settings("coulombgan")
    run = train(image_model.build_run(settings, images), 2, 2, 2)
    torch.save(image_model.weights(run, settings), tmp_path / "weights.pt")
    model = image_model.Autoencoder.load(tmp_path / "weights.pt", settings)
    assert not model.reconstructs and model.encoder is None
    generated = model.generate(4)
    with torch.no_grad():  # the generator's own output, the same seeded draws
        z = torch.randn(4, settings.latent_dim, generator=image_model.torch_generator(0, "generate"))
        expected = image_arrays.to_uint8(run.step_fn.generator.net.eval()(z)).numpy()
    assert np.array_equal(generated, expected)


@pytest.mark.parametrize("experiment", ["vae", "couae"])
def test_compiled_image_step_matches_eager(images, experiment):
    """torch.compile (aot_eager: Dynamo's graphs and AOTAutograd, PyTorch's
    kernels) computes the eager step's losses and weight updates on the DCGAN networks."""
    settings = small_settings(experiment, iterations=20, log_every=5, checkpoint_every=20)
    start = {n: {k: p.detach().clone() for k, p in net.named_parameters()}
             for n, net in image_model.build_run(settings, images).step_fn.networks().items()}  # fmt: skip
    eager = train(image_model.build_run(settings, images), 20, 5, 20)
    compiled = train(image_model.build_run(settings, images, compile_mode="compiled", backend="aot_eager"), 20, 5, 20)
    assert compiled.step_fn.mode == "compiled"
    np.testing.assert_allclose(compiled.history_array(), eager.history_array(), rtol=1e-4, atol=1e-5)
    # Adam moves a weight by about lr a step whatever its gradient's size, so
    # weights whose gradients are rounding noise go their own way: the updates
    # agree to a few percent (measured: 4% at most), not to float32 precision
    for name, net in eager.step_fn.networks().items():
        theirs = dict(compiled.step_fn.networks()[name].named_parameters())
        for key, value in net.named_parameters():
            ours, ref = theirs[key].detach() - start[name][key], value.detach() - start[name][key]
            assert (ours - ref).norm() <= 0.1 * ref.norm(), f"{name}.{key}"
