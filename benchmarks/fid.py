"""FID throughput: Inception feature extraction and the Fréchet distance.

1. Feature extraction, images/s, for 64x64 uint8 images through pytorch-fid's
   InceptionV3 (upsampled to 299x299 inside, 2048-d pool features), in the
   same code the workflow runs (couae.celeba.fid.features). The real weights are used
   when present in torch.hub's folder (or --weights-dir); otherwise a file
   with the same architecture and random weights is made in a temporary
   folder: the arithmetic, hence the speed, is the same.
2. The Fréchet distance between two 2048-d statistics: ours (two symmetric
   eigendecompositions) beside pytorch-fid's scipy.linalg.sqrtm path, timed
   side by side (medians), with both values and their ratio.

    python benchmarks/fid.py [--images 2000] [--batch-size 200] [--device auto]
"""

import argparse
import statistics
import tempfile
import time
import warnings

import numpy as np
import torch

import _common
from couae.celeba import fid
from couae.runtime.devices import resolve_device
from helpers import standin_inception_state_dict


def inception(weights_dir, tmp):
    if fid.weights_path(weights_dir).is_file():
        return fid.InceptionFeatures(weights_dir), "real FID weights"
    path = fid.weights_path(tmp)
    path.parent.mkdir(parents=True)
    torch.save(standin_inception_state_dict(), path)
    return fid.InceptionFeatures(tmp), "random weights, same architecture (real file absent)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=None, help="default 10000 on a GPU, 200 on a CPU")
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--weights-dir", default=None)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    device = resolve_device(args.device)
    n = args.images or (10000 if device.type == "cuda" else 200)
    images = np.random.default_rng(0).integers(0, 256, (n, 3, 64, 64), dtype=np.uint8)
    with tempfile.TemporaryDirectory() as tmp:
        extractor, which = inception(args.weights_dir, tmp)
        fid.features(extractor, images[: args.batch_size], args.batch_size, device)  # warm-up
        seconds = _common.timed(lambda: fid.features(extractor, images, args.batch_size, device), device)
    print(
        f"device: {device}; Inception ({which}): {n} images in {seconds:.1f} s = {n / seconds:.0f} images/s "
        f"(batch {args.batch_size}); 10,000 generated + 19,962 test images: "
        f"{(10000 + 19962) / (n / seconds) / 60:.1f} min"
    )

    rng = np.random.default_rng(1)
    feats_a = np.abs(rng.normal(size=(4000, fid.INCEPTION_DIMS)))
    feats_b = np.abs(rng.normal(0.1, 1.1, size=(4000, fid.INCEPTION_DIMS)))
    a, b = fid.statistics(feats_a), fid.statistics(feats_b)
    from pytorch_fid.fid_score import calculate_frechet_distance

    ours, theirs = [], []
    for _ in range(args.rounds):
        start = time.perf_counter()
        value_ours = fid.frechet_distance(a, b)
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            value_theirs = calculate_frechet_distance(a.mu, a.sigma, b.mu, b.sigma)
        theirs.append(time.perf_counter() - start)
    t_ours, t_theirs = statistics.median(ours), statistics.median(theirs)
    print(
        f"Fréchet distance, 2048-d: ours {value_ours:.6f} in {t_ours:.2f} s; pytorch-fid (sqrtm) "
        f"{value_theirs:.6f} in {t_theirs:.2f} s; |difference| {abs(value_ours - value_theirs):.2e}"
    )
    print(f"ratio pytorch-fid time / ours: {t_theirs / t_ours:.2f}x")


if __name__ == "__main__":
    main()
