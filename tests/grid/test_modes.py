"""The mode-collapse numbers of the GAN literature on the grid: modes covered,
the share of high-quality samples and the KL divergence of their histogram
over the modes from the uniform one (couae.grid.evaluation.mode_statistics)."""

import math

import numpy as np
import pytest

from couae.grid.evaluation import mode_statistics
from helpers import paper_grid

MODES = {"radius_stds": 3, "min_samples": 20}


def test_every_mode_equally_often_covers_all_with_kl_zero():
    mixture = paper_grid()
    samples = np.repeat(mixture.centres, 40, axis=0) + 0.5 * mixture.std
    stats = mode_statistics(samples, mixture, MODES)
    assert stats == {"modes_covered": 25, "high_quality": 1.0, "mode_kl": pytest.approx(0.0, abs=1e-12)}


def test_one_mode_gives_log_k_and_far_samples_are_not_high_quality():
    mixture = paper_grid()
    on_one = np.repeat(mixture.centres[:1], 300, axis=0)
    far = np.repeat(mixture.centres[:1] + [[1.0, 1.0]], 100, axis=0)  # halfway between centres: 20 stds off
    stats = mode_statistics(np.concatenate([on_one, far]), mixture, MODES)
    assert stats["modes_covered"] == 1 and stats["high_quality"] == pytest.approx(0.75)
    assert stats["mode_kl"] == pytest.approx(math.log(25))
    none = mode_statistics(far, mixture, MODES)
    assert none["modes_covered"] == 0 and none["high_quality"] == 0.0 and math.isnan(none["mode_kl"])


def test_mode_statistics_equal_a_per_sample_count():
    mixture = paper_grid()
    gen = np.random.default_rng(4)
    centres = mixture.centres[gen.integers(0, 25, size=2000) % 13]  # about half the modes
    samples = centres + gen.normal(scale=2.5 * mixture.std, size=centres.shape)
    counts = [0] * 25
    high = 0
    for point in samples:
        distances = [math.dist(point, c) for c in mixture.centres]
        nearest = min(range(25), key=distances.__getitem__)
        if distances[nearest] < 3 * mixture.std:
            counts[nearest] += 1
            high += 1
    kl = sum(c / high * math.log(c / high * 25) for c in counts if c)
    stats = mode_statistics(samples, mixture, MODES)
    assert stats["modes_covered"] == sum(c >= 20 for c in counts) == 13
    assert stats["high_quality"] == pytest.approx(high / 2000)
    assert stats["mode_kl"] == pytest.approx(kl, rel=1e-12)
