"""Shared start-up of the command-line scripts: import path and logging."""
import logging
import sys
from pathlib import Path

LIBRARY_ROOT = Path(__file__).resolve().parents[1]  # workflow/, which holds couae/
if str(LIBRARY_ROOT) not in sys.path:
    sys.path.insert(0, str(LIBRARY_ROOT))


def setup_logging() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def start_device_job(threads: int, device: str):
    """Logging, CPU threads and, unless pinned to the CPU, a free GPU slot
    (claimed before CUDA starts, so that jobs side by side get distinct
    devices). Returns the torch device the job runs on."""
    import torch
    from couae.devices import resolve_device
    from couae.gpu_slots import claim_gpu

    setup_logging()
    torch.set_num_threads(threads)
    if device != "cpu":
        claim_gpu()
    return resolve_device(device)
