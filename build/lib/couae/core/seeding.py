"""Independent, named random streams derived from one integer seed.

Each purpose (weight init, minibatches, sampling) gets its own generator, so
adding draws to one stream never shifts another, and a seed trained alone sees
exactly the numbers it sees when trained alongside other seeds.
"""

from __future__ import annotations

import zlib

import numpy as np
import torch


def stream_seed(seed: int, stream: str) -> int:
    """A 63-bit integer seed for (seed, stream), stable across runs and platforms."""
    state = np.random.SeedSequence([int(seed), zlib.crc32(stream.encode())]).generate_state(2)
    return int((int(state[0]) << 32 | int(state[1])) & (2**63 - 1))


def torch_generator(seed: int, stream: str) -> torch.Generator:
    """A CPU torch generator for (seed, stream); draws are moved to the device after."""
    gen = torch.Generator()
    gen.manual_seed(stream_seed(seed, stream))
    return gen


def numpy_rng(seed: int, stream: str) -> np.random.Generator:
    return np.random.default_rng(stream_seed(seed, stream))
