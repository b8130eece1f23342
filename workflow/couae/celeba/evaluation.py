"""CelebA metrics: the test split's feature statistics (once), and per trained
model its FID, the reconstruction errors of the training and validation
images (with xi, their largest: Theorem 2) and the images Figures 3 and 4
show."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import torch

from .. import caveats
from ..core.objectives import reconstruction_summary
from ..core.seeding import torch_generator
from ..runtime.loading import load_arrays
from ..settings import GapSettings
from ..theory.generalisation import theorem2_row
from . import fid
from .arrays import load_split, read_meta
from .model import Autoencoder
from .settings import FIDSettings

log = logging.getLogger(__name__)


class StaleReferenceError(ValueError):
    """The cached test statistics were made with another feature extractor."""


def test_statistics(test_path, settings: FIDSettings, weights_dir, batch_size: int, device) -> tuple:
    """(feature statistics of the test split, whether too few images made them
    a marked value). Raises fid.MissingWeightsError or fid.TooFewImagesError."""
    test = load_split(test_path, mmap=True)
    extractor = fid.make_extractor(settings, weights_dir)
    marked = fid.check_sample_size(len(test), extractor.dims, settings.few_images, "test split")
    feats = fid.features(extractor, test, batch_size, device)
    log.info("%d test images -> %d-d features", len(test), feats.shape[1])
    return fid.statistics(feats), marked, extractor.name


def theorem2_columns(model: Autoencoder, train, validation, settings: GapSettings) -> dict:
    """Theorem 2's columns of one model. The validation split (images the
    model never trained on) is split in two at random: L_hat on n images of
    the first half (what the theorem bounds) and on the N training images
    (the generalisation gap), against L estimated on random n-subsets of the
    second half with fresh prior draws; n = min(N, half the split).
    train, validation: `Autoencoder.errors_and_codes` of each split."""
    halves = torch.randperm(len(validation[1]), generator=torch_generator(settings.seed, "theorem2/split"))
    held_out, pool = halves[: len(halves) // 2], halves[len(halves) // 2 :]
    size = min(len(train[1]), len(held_out))
    if size < 2:
        raise ValueError(f"Theorem 2's gap needs at least 4 validation images, got {len(validation[1])}")

    def pick(indices):
        return validation[0][indices], validation[1][indices.to(validation[1].device)]

    def fresh(r: int):
        order = torch.randperm(len(pool), generator=torch_generator(settings.seed, f"theorem2/fresh/{r}"))
        return pick(pool[order[:size]])

    return theorem2_row(model.settings, train, lambda: pick(held_out[:size]), fresh, settings)


@dataclass
class Evaluation:
    row: dict  # one CSV row: FID, reconstruction errors, xi, caveats
    samples: np.ndarray  # generated images kept for Figure 3
    reconstructions: np.ndarray  # (2, k, 3, 64, 64): test images over their reconstructions (Figure 4; k = 0 for a GAN)


def evaluate(
    model: Autoencoder,
    splits: dict,
    meta_path,
    reference_path,
    settings: FIDSettings,
    weights_dir,
    batch_size: int,
    n_samples: int,
    n_reconstructions: int,
    gap: GapSettings,
    device,
) -> Evaluation:
    """FID of settings.n_generated generated images against the cached test
    statistics, and xi over the training and validation images (`splits`:
    split name -> .npy path). Raises fid.MissingWeightsError,
    fid.TooFewImagesError or StaleReferenceError."""
    extractor = fid.make_extractor(settings, weights_dir)
    few = fid.check_sample_size(settings.n_generated, extractor.dims, settings.few_images, "generated images")
    ref = load_arrays(reference_path, "feature statistics")
    if str(ref["extractor"]) != extractor.name:
        raise StaleReferenceError(
            f"reference statistics {reference_path} were made with {ref['extractor']}, not "
            f"{extractor.name}: re-run the fid_reference rule"
        )
    few = few or bool(ref["few_images"])
    reference = fid.Statistics.load(reference_path)
    log.info("generating %d images", settings.n_generated)
    generated = model.generate(settings.n_generated)
    value = fid.frechet_distance(fid.statistics(fid.features(extractor, generated, batch_size, device)), reference)
    n_train = len(load_split(splits["train"], mmap=True))
    if model.reconstructs:
        encoded = {
            split: model.errors_and_codes(load_split(splits[split], mmap=True), batch_size)
            for split in ("train", "validation")
        }
        errors = {split: pair[0].numpy() for split, pair in encoded.items()}
        log.info("reconstruction errors of %d training and validation images", sum(map(len, errors.values())))
        theorem2 = theorem2_columns(model, encoded["train"], encoded["validation"], gap)
        log.info("Theorem 2: objective %.4g on the training images, %.4g on fresh ones", theorem2["objective_train"],
                 theorem2["objective_fresh"])  # fmt: skip
    else:  # a GAN: nothing is reconstructed, xi does not exist, Theorem 2 does not apply
        errors = {split: np.array([np.nan]) for split in ("train", "validation")}
        theorem2 = theorem2_row(model.settings, None, None, None, gap)
    meta = read_meta(meta_path)
    marks = caveats.celeba_marks(meta, test_only=extractor.name == fid.TEST_ONLY, few_images=few) + model.caveats
    trained = model.settings
    row = {
        "experiment": trained.experiment,
        "width": trained.width,
        "seed": trained.seed,
        "fid": value,
        "n_generated": settings.n_generated,
        "n_reference": reference.n,
        "extractor": extractor.name,
        "dataset": meta["dataset"],
        "n_train": n_train,
        **reconstruction_summary(errors),
        **theorem2,
        "caveats": caveats.join(marks),
    }
    # a GAN gets no Figure 4 panel: an empty (2, 0, 3, 64, 64) pair
    test = load_split(splits["test"], mmap=True)[: n_reconstructions if model.reconstructs else 0]
    pairs = np.stack([test, model.reconstruct(test)]) if len(test) else np.zeros((2, *test.shape), np.uint8)
    return Evaluation(row, generated[:n_samples], pairs)
