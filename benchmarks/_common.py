"""Shared set-up for the benchmark scripts (import path, device, timing)."""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import torch  # noqa: E402


def synchronise(device) -> None:
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def timed(fn, device="cpu") -> float:
    synchronise(device)
    start = time.perf_counter()
    fn()
    synchronise(device)
    return time.perf_counter() - start


def matmul_rate(device, n: int = 8192, reps: int = 20) -> dict[str, float]:
    """Measured dense n x n matmul TFLOP/s per dtype (float32, and bfloat16 on
    a GPU): the ceiling this device reaches in practice, to read a training
    step's FLOP rate against (beside the vendor's peak)."""
    device = torch.device(device)
    out = {}
    for dtype in [torch.float32, torch.bfloat16] if device.type == "cuda" else [torch.float32]:
        a = torch.randn(n, n, device=device, dtype=dtype)
        a @ a  # warm-up: the library picks its kernel
        seconds = timed(lambda a=a: [a @ a for _ in range(reps)], device) / reps
        out[str(dtype).removeprefix("torch.")] = 2 * n**3 / seconds / 1e12
    return out
