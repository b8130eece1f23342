"""Atomic file writes: a reader (or a killed job) never sees half a file.

Each writer fills a temporary file in the destination's folder and renames it
over the destination, which POSIX guarantees to be atomic. The result gets
the permissions any new file of the user gets (the umask), not the temporary
file's owner-only ones, so colleagues on a shared file system can read it. A
full disk is reported with the file and the file system that ran out.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import torch

# Below this many free bytes, a failed write is blamed on the full disk (torch's
# zip writer then reports "unexpected pos ..." rather than ENOSPC).
_NEARLY_FULL_BYTES = 16 * 2**20


class DiskFullError(OSError):
    pass


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _disk_full(exc: BaseException, folder: Path) -> bool:
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    try:
        return shutil.disk_usage(folder).free < _NEARLY_FULL_BYTES
    except OSError:
        return False


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike):
    """Yield a temporary path beside `path`; rename it onto `path` on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        try:
            yield Path(tmp)
        except (OSError, RuntimeError) as exc:
            if _disk_full(exc, path.parent):
                mount = path.parent.resolve()
                while not os.path.ismount(mount):
                    mount = mount.parent
                raise DiskFullError(
                    errno.ENOSPC, f"no space left on {mount} while writing {path}; free space and re-run"
                ) from exc
            raise
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp made it owner-only
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def save_torch(obj, path) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:  # through a handle: torch names the archive's records after a path, not after
            torch.save(obj, fh)  # a handle, so the same object writes the same bytes whatever the temporary name


def save_numpy(array: np.ndarray, path) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.save(fh, array)


def save_npz(path, **arrays) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)


def save_text(text: str, path) -> None:
    with atomic_path(path) as tmp:
        Path(tmp).write_text(text)


def save_dataframe_csv(frame, path, **kwargs) -> None:
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, **kwargs)
