"""Reading the files the workflow made: nothing is unpickled, and a file that
cannot be read is named, with what to do about it.

Torch files load with `weights_only=True` (tensors and plain values only: no
code runs), numpy files without pickles. Results are made by the workflow, so
deleting a damaged one and re-running regenerates it.
"""

from __future__ import annotations

import pickle
import zipfile

import numpy as np
import torch


class DamagedFileError(ValueError):
    """A file the workflow made cannot be read safely: damaged, or not of this package."""


def _refuse(path, what: str, exc: BaseException):
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return DamagedFileError(
        f"{path}: cannot be read as {what} ({reason[:200]}). It is damaged, or was not written by this version "
        "of the package (its contents are never unpickled). Delete it and re-run to regenerate it."
    )


def load_torch(path, what: str, map_location="cpu"):
    """A torch file holding tensors and plain values only."""
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except FileNotFoundError:
        raise
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, OSError, zipfile.BadZipFile) as exc:
        raise _refuse(path, what, exc) from exc


def load_arrays(path, what: str) -> dict[str, np.ndarray]:
    """Every array of an .npz file, read in full (so damage shows here, not later)."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            return {name: npz[name] for name in npz.files}
    except FileNotFoundError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise _refuse(path, what, exc) from exc


def load_array(path, what: str, mmap: bool = False) -> np.ndarray:
    """One .npy array; memory-mapped on request (its header is still checked)."""
    try:
        return np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    except FileNotFoundError:
        raise
    except (ValueError, OSError, EOFError) as exc:
        raise _refuse(path, what, exc) from exc
