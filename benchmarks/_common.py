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


# --- the packs the workflow runs (couae.grid.packs), for gpu_check.py and train_grid.py ---------


def backend_for(device) -> str:
    """torch.compile's backend: inductor on CUDA; on a CPU aot_eager (inductor's CPU code takes minutes to build)."""
    return "inductor" if torch.device(device).type == "cuda" else "aot_eager"


def paper_config(seeds: int = 10, hidden: int = 128, batch: int = 100, **grid) -> dict:
    """The paper configuration, its grid's seeds, hidden units and batch as given, `grid` merged over it."""
    from helpers import load_config

    training = {"seeds": list(range(seeds)), "batch_size": batch}
    return load_config({"grid": {"model": {"hidden": hidden}, "training": training, **grid}})


def workflow_packs(config) -> list:
    """The pack jobs the workflow runs for `config` on a GPU (grid.training.pack auto)."""
    from couae.grid import settings as GS

    return GS.packs(config, on_gpu=True)


def built_pack(config, pack, device, folder, mode: str | None = None, streams: bool = False):
    """A fresh pack of the workflow's (its runs' real settings, each variant's
    training data), its checkpoints in `folder`; its step as auto runs it on a
    GPU, eager on a CPU (no pack runs there by default, and compiling each
    branch would take most of a smoke run), unless `mode` says."""
    from couae.grid import packs
    from couae.grid import settings as GS
    from couae.grid.data import make_splits
    from helpers import paper_grid

    mode = mode or ("auto" if torch.device(device).type == "cuda" else "eager")
    settings, members = [], []
    for variant, experiment, width in pack.runs:
        s = GS.grid_training_settings(config, variant, experiment, width, pack.block)
        sizes = {"train": s.data["n_train"], "validation": 2, "test": 2, "reference": 2}
        data = make_splits(paper_grid(variant), sizes, seed=0)["train"]
        settings.append(s)
        members.append(
            packs.member(packs.PackedRun(s, data, Path(folder) / f"{variant}_{experiment}_{width}.pt"), device)
        )
    return packs.build_pack(members, settings, device, torch.float32, mode, backend_for(device), streams)


def projected_minutes(iterations: int, step_seconds: dict[str, float], sharing: float) -> tuple[float, float]:
    """GPU minutes of pack jobs that each take `iterations` steps of their measured
    step time: one job at a time, and side by side at the measured total speed-up
    `sharing` of jobs sharing one GPU (never less than the slowest job alone)."""
    alone = iterations * sum(step_seconds.values()) / 60
    return alone, max(alone / sharing, iterations * max(step_seconds.values()) / 60)


PROJECTION_FORMULA = (
    "GPU minutes = iterations x sum over pack jobs of their measured seconds per step / 60 (one at a time); "
    "side by side: that over the measured speed-up of pack jobs sharing a GPU, never less than the slowest job"
)
