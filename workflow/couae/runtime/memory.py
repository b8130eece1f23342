"""What a training job cannot do without, against what this machine has: a
config whose job cannot fit (a batch of a million points) is refused when the
run starts, naming the key, instead of failing in torch's allocator later.

The need is a lower bound, never an estimate that could refuse a job that
fits: per seed, the batch's data and its reconstruction, one value per hidden
unit of each layer (the saved activations, counted once) and the model type's
batch x batch pair matrices (`ModelType.pair_matrices`), at 2 bytes a value
(bfloat16, the narrowest type a step uses). The real use is several times
this. The memory is the device's: a GPU's (nvidia-smi: the smallest here)
where jobs train on one, else the machine's RAM.
"""

from __future__ import annotations

import functools
import os
import subprocess

from .gpu_slots import gpu_count

VALUE_BYTES = 2
GIB = 2**30


def memory_floor(batch: int, seeds: int, sample_values: int, hidden_units: int, pair_matrices: int) -> int:
    """Bytes one training step of `seeds` batched seeds holds at least (see the module's note)."""
    per_seed = batch * (2 * sample_values + hidden_units) + pair_matrices * batch * batch
    return seeds * per_seed * VALUE_BYTES


def ram_bytes() -> int | None:
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


@functools.cache
def gpu_bytes() -> int | None:
    """The smallest GPU's memory on this machine (nvidia-smi; None: none found)."""
    try:  # not torch: initialising CUDA here would fix the visible devices too early
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=memory.total", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout
        sizes = [int(line) * 2**20 for line in out.split() if line.strip().isdigit()]
    except (OSError, subprocess.SubprocessError):
        return None
    return min(sizes) if sizes else None


def device_memory(device: str) -> tuple[int | None, str]:
    """(bytes, what they are) of the memory a job of `device` (auto, cpu, cuda) trains in here."""
    if device == "cuda" or (device == "auto" and gpu_count() > 0):
        return gpu_bytes(), "GPU memory"
    return ram_bytes(), "RAM"
