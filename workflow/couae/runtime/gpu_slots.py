"""Distinct GPUs for training jobs that run at the same time on one machine.

Snakemake's `--resources gpu=N` only counts GPU jobs; it does not say which
device each should use. Each job therefore takes a slot: an exclusive flock on
one file per device in a machine-wide folder, tried in order, waiting while all
are taken. The job then sees only that device (CUDA_VISIBLE_DEVICES). The
operating system drops the lock when the process ends in any way, success,
error or SIGKILL, so a slot is never left taken by a dead job.

Where CUDA_VISIBLE_DEVICES is already set (a cluster scheduler such as SLURM
assigns devices itself) nothing is done.
"""

from __future__ import annotations

import fcntl
import functools
import logging
import os
import subprocess
import tempfile
import time
from pathlib import Path

log = logging.getLogger(__name__)

SLOT_DIR_ENV = "COUAE_GPU_SLOT_DIR"  # default: <tmp>/couae-gpu-slots
GPU_COUNT_ENV = "COUAE_GPU_COUNT"  # overrides detection; tests simulate devices with it

_held = []  # open lock files: the slot is held as long as the process lives


def gpu_count() -> int:
    if GPU_COUNT_ENV in os.environ:
        return int(os.environ[GPU_COUNT_ENV])
    return _nvidia_smi_gpus()


@functools.cache  # asked once per job while Snakemake builds its DAG
def _nvidia_smi_gpus() -> int:
    try:  # nvidia-smi, not torch: initialising CUDA here would fix the visible devices too early
        out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return 0
    return sum(line.startswith("GPU ") for line in out.splitlines())


def gpu_claim(device: str, on_cluster: bool) -> int:
    """How many GPUs a job that can use one declares (its `gpu` resource) for
    the configured `device`: cuda always one, cpu none; auto one under a
    cluster executor (the job runs on a node the scheduler picks, whatever the
    submit host has), else one where this machine has a GPU (found with
    nvidia-smi, or COUAE_GPU_COUNT)."""
    if device == "cuda":
        return 1
    if device == "cpu":
        return 0
    if device != "auto":
        raise ValueError(f"unknown device {device!r}; expected auto, cpu or cuda")
    return 1 if on_cluster else int(gpu_count() > 0)


def slot_dir() -> Path:
    return Path(os.environ.get(SLOT_DIR_ENV, Path(tempfile.gettempdir()) / "couae-gpu-slots"))


def acquire_slot(n_devices: int, folder: Path, poll_seconds: float = 1.0) -> int:
    """Block until one of `n_devices` slots is free; hold it for this process's life."""
    folder.mkdir(parents=True, exist_ok=True)
    waited = False
    while True:
        for index in range(n_devices):
            handle = open(folder / f"gpu{index}.lock", "a+")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            _held.append(handle)
            return index
        if not waited:
            log.info("all %d GPU slots in %s are taken; waiting", n_devices, folder)
            waited = True
        time.sleep(poll_seconds)


def claim_gpu() -> str | None:
    """Give this process a GPU of its own; returns the CUDA_VISIBLE_DEVICES it set,
    or None when the scheduler already chose or there is no GPU."""
    if "CUDA_VISIBLE_DEVICES" in os.environ:
        return None
    n = gpu_count()
    if n == 0:
        return None
    index = acquire_slot(n, slot_dir())
    os.environ["CUDA_VISIBLE_DEVICES"] = str(index)
    log.info("using GPU slot %d of %d (CUDA_VISIBLE_DEVICES=%d)", index, n, index)
    return str(index)
