"""FID: the Fréchet distance against closed forms and pytorch-fid, the scipy
1.18 incompatibility, the sample-size policy, and the feature extractors
(Inception loaded from a local weights file; the stated test-only substitute)."""

import numpy as np
import pytest
import scipy.linalg
import torch

from couae.celeba import fid
from couae.celeba.fid import Statistics
from helpers import standin_inception_state_dict


def random_cov(rng, d):
    a = rng.normal(size=(d, d))
    return a @ a.T / d + 0.1 * np.eye(d)


def test_frechet_distance_of_diagonal_gaussians_is_closed_form():
    rng = np.random.default_rng(0)
    mu1, mu2 = rng.normal(size=6), rng.normal(size=6)
    v1, v2 = rng.uniform(0.1, 3, 6), rng.uniform(0.1, 3, 6)
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(v1) - np.sqrt(v2)) ** 2)
    got = fid.frechet_distance(Statistics(mu1, np.diag(v1), 10), Statistics(mu2, np.diag(v2), 10))
    assert got == pytest.approx(expected, rel=1e-10)


def test_frechet_distance_is_zero_for_equal_and_symmetric_for_any():
    rng = np.random.default_rng(1)
    a = Statistics(rng.normal(size=8), random_cov(rng, 8), 10)
    b = Statistics(rng.normal(size=8), random_cov(rng, 8), 10)
    assert fid.frechet_distance(a, a) == pytest.approx(0, abs=1e-9)
    assert fid.frechet_distance(a, b) == pytest.approx(fid.frechet_distance(b, a), rel=1e-9)


def test_frechet_distance_matches_sqrtm_for_non_commuting_covariances():
    rng = np.random.default_rng(2)
    s1, s2 = random_cov(rng, 10), random_cov(rng, 10)
    mu = rng.normal(size=10)
    expected = mu @ mu + np.trace(s1 + s2 - 2 * scipy.linalg.sqrtm(s1 @ s2).real)
    got = fid.frechet_distance(Statistics(mu, s1, 10), Statistics(np.zeros(10), s2, 10))
    assert got == pytest.approx(expected, rel=1e-8)


def test_agrees_with_pytorch_fid_where_its_scipy_call_still_works():
    from pytorch_fid.fid_score import calculate_frechet_distance

    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(400, 16)), rng.normal(0.3, 1.2, size=(300, 16))
    a, b = fid.statistics(x), fid.statistics(y)
    assert fid.frechet_distance(a, b) == pytest.approx(
        calculate_frechet_distance(a.mu, a.sigma, b.mu, b.sigma), rel=1e-6
    )


def test_survives_scipy_118_removing_sqrtm_disp(monkeypatch):
    """scipy 1.18's sqrtm has no `disp`: pytorch-fid 0.3.0 breaks, ours does not call sqrtm."""
    from pytorch_fid import fid_score

    real_sqrtm = scipy.linalg.sqrtm

    def sqrtm_118(a, *, blocksize=64):  # the 1.18 signature
        return real_sqrtm(a)

    monkeypatch.setattr(scipy.linalg, "sqrtm", sqrtm_118)
    rng = np.random.default_rng(4)
    a, b = fid.statistics(rng.normal(size=(100, 4))), fid.statistics(rng.normal(size=(100, 4)))
    with pytest.raises(TypeError, match="disp"):
        fid_score.calculate_frechet_distance(a.mu, a.sigma, b.mu, b.sigma)
    assert np.isfinite(fid.frechet_distance(a, b))


def test_too_few_images_refuse_or_warn_and_mark(caplog):
    with pytest.raises(fid.TooFewImagesError, match=r"generated images: 100 images for 2048-d features"):
        fid.check_sample_size(100, 2048, "refuse", "generated images")
    assert fid.check_sample_size(100, 2048, "warn", "generated images") is True
    assert "WARNING" in caplog.text and "biased" in caplog.text
    assert fid.check_sample_size(2048, 2048, "refuse", "x") is False


def test_missing_inception_weights_say_where_to_put_them(tmp_path):
    with pytest.raises(fid.MissingWeightsError) as info:
        fid.InceptionFeatures(str(tmp_path))
    message = str(info.value)
    assert str(tmp_path / "checkpoints" / fid.WEIGHTS_FILE) in message
    assert "github.com/mseitzer/pytorch-fid/releases" in message


def test_inception_loads_from_the_configured_folder_without_network(tmp_path, monkeypatch):
    path = fid.weights_path(str(tmp_path))
    path.parent.mkdir(parents=True)
    state = standin_inception_state_dict()
    torch.save(state, path)

    def no_network(*args, **kwargs):
        raise AssertionError("tried to download")

    monkeypatch.setattr(torch.hub, "download_url_to_file", no_network)
    hub_before = torch.hub.get_dir()
    extractor = fid.InceptionFeatures(str(tmp_path))
    assert torch.hub.get_dir() == hub_before  # the hub folder is restored
    loaded = extractor.net.blocks[0][0].conv.weight
    assert torch.equal(loaded, state["Conv2d_1a_3x3.conv.weight"])
    images = np.random.default_rng(0).integers(0, 256, (3, 3, 64, 64), dtype=np.uint8)
    feats = fid.features(extractor, images, batch_size=2, device="cpu")
    assert feats.shape == (3, fid.INCEPTION_DIMS) and feats.dtype == np.float64 and (feats >= 0).all()


def test_test_only_extractor_is_fixed_and_separates_distributions():
    ext = fid.RandomFeatures(dims=16)
    assert ext.name == fid.TEST_ONLY
    same = fid.RandomFeatures(dims=16)
    assert all(torch.equal(p, q) for p, q in zip(ext.parameters(), same.parameters()))
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (200, 3, 32, 32), dtype=np.uint8)
    b = rng.integers(0, 256, (200, 3, 32, 32), dtype=np.uint8)
    dark = (a // 4).astype(np.uint8)
    fa, fb, fd = (fid.statistics(fid.features(ext, x, 64, "cpu")) for x in (a, b, dark))
    assert fid.frechet_distance(fa, fb) < 0.1 * fid.frechet_distance(fa, fd)


def run_fid_weights(tmp_path, *args):
    import subprocess
    import sys

    from helpers import REPO

    defaults = ["--weights-dir=", "--url=", "--retries", "1"]  # the arguments after them win
    return subprocess.run(
        [
            sys.executable,
            str(REPO / "workflow/scripts/fid_weights.py"),
            "--out",
            str(tmp_path / "record.json"),
            *defaults,
            *args,
        ],
        capture_output=True,
        text=True,
    )


def test_weights_rule_without_file_or_url_says_where_to_put_it(tmp_path):
    result = run_fid_weights(tmp_path, "--extractor", "inception", f"--weights-dir={tmp_path}", "--url=")
    assert result.returncode == 1
    assert f"place it at\n  {tmp_path / 'checkpoints' / fid.WEIGHTS_FILE}" in result.stderr
    assert not (tmp_path / "record.json").exists()


def test_weights_rule_refuses_a_download_with_the_wrong_hash(tmp_path):
    from http_server import FileServer

    with FileServer() as server:
        server.files["/w.pth"] = b"not the inception weights"
        result = run_fid_weights(
            tmp_path,
            "--extractor",
            "inception",
            f"--weights-dir={tmp_path}",
            f"--url={server.url}/w.pth",
            "--retries",
            "1",
        )
    assert result.returncode == 1 and "sha256 is" in result.stderr and "expected 6726825d" in result.stderr
    assert list((tmp_path / "checkpoints").iterdir()) == []  # nothing half-made is left


def test_weights_rule_verifies_a_file_in_place(tmp_path):
    path = fid.weights_path(str(tmp_path))
    path.parent.mkdir(parents=True)
    path.write_bytes(b"a file the user placed, with the wrong content")
    result = run_fid_weights(tmp_path, "--extractor", "inception", f"--weights-dir={tmp_path}", "--url=")
    assert result.returncode == 1 and "sha256 is" in result.stderr
    assert path.exists()  # a user's file is never deleted
    ok = run_fid_weights(tmp_path, "--extractor", fid.TEST_ONLY)
    assert ok.returncode == 0 and "TEST-ONLY" in ok.stderr
