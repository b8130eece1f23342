"""CelebA's job settings: the image arrays (what they are, not where the
files were found), training (one experiment, width and seed), FID, and what
a run needs before it starts (the files and the FID weights), resolved from
the config's `celeba` section. Light: the Snakefile reads it through the
CelebA data set adapter (`couae.celeba.adapter`)."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass

from ..settings import JobSettings, TrainingSettings, Untracked, as_json, optional, training_fields

DATASET = "celeba"


@dataclass(frozen=True, kw_only=True)
class CelebATraining(TrainingSettings):
    """One CelebA job: one (experiment, width, seed)."""

    data: Mapping  # the CelebAData the job trains on: a checkpoint never resumes on other images
    recon_weight: float
    channels: tuple[int, ...]
    init: str  # "wae" (N(0, 0.01^2) weights, zero biases) or "pytorch"
    seed: int
    mixed_precision: str  # "none" or "bf16"
    encoder_noise: float  # std of the encoder's input noise (WAE's code: 0.01); 0 = off
    pretrain_steps: int  # encoder pre-training steps (WAE's code: up to 200); 0 = off
    pretrain_batch: int

    @property
    def seeds(self) -> tuple[int, ...]:
        return (self.seed,)


@dataclass(frozen=True)
class CelebAData(JobSettings):
    """What the image arrays are: not where the files were found (moving the
    archive must not re-run hours of training)."""

    kind: str  # "celeba" or "standin"
    size: int
    crop: int | None = optional()  # celeba only
    md5: Mapping | None = optional()  # celeba only
    resize_filter: str | None = optional()  # celeba only: "lanczos" or "bilinear"
    other_sizes: str | None = optional()  # celeba only: "refuse" or "accept"
    identity: Mapping | None = optional()  # celeba only: the files' content (celeba.files.data_identity)
    standin: Mapping | None = optional()  # standin only


@dataclass(frozen=True)
class FIDSettings(JobSettings):
    """What an FID value depends on (the weights' location travels separately)."""

    extractor: str
    n_generated: int
    few_images: str  # "refuse" or "warn"
    test_only_dims: int | None = optional()  # the test-only extractor only


def celeba_training_settings(config, experiment: str, width: str | float, seed: int) -> CelebATraining:
    celeba = config[DATASET]
    return CelebATraining(
        **training_fields(config, DATASET, experiment, width),
        data=celeba_data_settings(config).to_dict(),
        recon_weight=float(celeba["training"]["recon_weight"]),
        channels=list(celeba["model"]["channels"]),
        init=celeba["model"]["init"],
        seed=int(seed),
        mixed_precision=celeba["training"]["mixed_precision"],
        encoder_noise=float(celeba["training"]["encoder_noise"]),
        pretrain_steps=celeba["training"]["pretrain_steps"],
        pretrain_batch=celeba["training"]["pretrain_batch"],
    )


@functools.lru_cache(maxsize=8)
def _data_identity(data_json: str, stamps: tuple) -> dict:
    from .files import data_identity  # reads the files: only where CelebA data is configured

    return data_identity(json.loads(data_json))


def _stamps(data: dict) -> tuple:
    """(path, size, mtime) of the configured files: the cache above reads them again when they change."""
    paths = [data["partition"], data["folder"], data["archive"], f"{data['download_dir']}/list_eval_partition.txt"]
    found = []
    for path in filter(None, paths):
        try:
            st = os.stat(path)
        except OSError:
            continue
        found.append((path, st.st_size, st.st_mtime_ns))
    return tuple(found)


def celeba_data_settings(config) -> CelebAData:
    data = config[DATASET]["data"]
    if data["kind"] == "standin":
        return CelebAData(kind="standin", size=data["size"], standin=dict(data["standin"]))
    return CelebAData(
        kind="celeba",
        size=data["size"],
        crop=data["crop"],
        md5=dict(data["md5"]),
        resize_filter=data["resize_filter"],
        other_sizes=data["other_sizes"],
        identity=_data_identity(as_json(data), _stamps(data)),
    )


def fid_settings(config) -> FIDSettings:
    fid = config[DATASET]["fid"]
    test_only = fid["extractor"] != "inception"
    return FIDSettings(
        extractor=fid["extractor"],
        n_generated=fid["n_generated"],
        few_images=fid["few_images"],
        test_only_dims=fid["test_only_dims"] if test_only else None,
    )


def celeba_locations(config) -> Untracked:
    """The whole celeba.data section, locations included, for the data job."""
    return Untracked(as_json(config[DATASET]["data"]))


def celeba_configured(config) -> bool:
    """Whether the CelebA half has data to run on: the stand-in, or a location
    of the real files. Without, the tables mark its cells "not run"."""
    data = config[DATASET]["data"]
    return data["kind"] == "standin" or bool(data["folder"] or data["archive"] or data["url"]["archive"])


SEE = "see docs/celeba.md"


def start_check(config) -> tuple[list[str], list[str]]:
    """(problems, notes) found before any job runs: problems stop the workflow
    at once, naming the config keys (CelebA files configured but absent, FID
    weights missing with nowhere to fetch them); notes are said at start."""
    data, fid = config[DATASET]["data"], config[DATASET]["fid"]
    if not celeba_configured(config):
        note = (
            "CelebA: no files configured (celeba.data.folder, celeba.data.archive or celeba.data.url.archive), so "
            f"the CelebA half does not run and its table cells say 'not run'; {SEE}, or set celeba.data.kind: "
            "standin to run it on generated stand-in images."
        )
        return [], [note]
    problems, notes = [], []
    if data["kind"] == "celeba":
        found = (
            (data["folder"] and os.path.isdir(data["folder"]))
            or (data["archive"] and os.path.isfile(data["archive"]))
            or data["url"]["archive"]
        )
        if not found:
            tried = ", ".join(f"celeba.data.{k} = {data[k]}" for k in ("folder", "archive") if data[k])
            problems.append(f"CelebA images not found: {tried} does not exist; {SEE}")
        partition = data["partition"]
        if partition and not os.path.isfile(partition):
            problems.append(f"celeba.data.partition = {partition} does not exist; {SEE}")
        if not partition and not data["url"]["partition"]:
            problems.append(f"no CelebA partition file: set celeba.data.partition or celeba.data.url.partition; {SEE}")
    if fid["extractor"] == "inception":
        from .weights import weights_path

        path = weights_path(fid["weights_dir"])
        if not path.is_file() and not fid["weights_url"]:
            problems.append(f"FID Inception weights not at {path} and celeba.fid.weights_url is not set; {SEE}")
        elif not path.is_file():
            notes.append(f"FID Inception weights not at {path}: the first job fetches them from celeba.fid.weights_url")
    return problems, notes
