"""Atomic file writes: a reader (or a killed job) never sees half a file.

Each writer fills a temporary file in the destination's folder and renames it
over the destination, which POSIX guarantees to be atomic. The result gets
the permissions any new file of the user gets (the umask), not the temporary
file's owner-only ones, so colleagues on a shared file system can read it. A
full disk is reported with the file and the file system that ran out.

A writer killed between writing and renaming (SIGKILL, a node lost) leaves its
temporary file behind: at CelebA scale a whole checkpoint. Its name carries the
writer's host and process id, so the next write of the same file removes it
once that process is gone (on another host, once it has not changed for
STALE_ELSEWHERE_SECONDS: a live writer keeps touching its file).
"""

from __future__ import annotations

import contextlib
import errno
import glob
import os
import re
import shutil
import socket
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

# Below this many free bytes, a failed write is blamed on the full disk (torch's
# zip writer then reports "unexpected pos ..." rather than ENOSPC).
_NEARLY_FULL_BYTES = 16 * 2**20


STALE_ELSEWHERE_SECONDS = 3600


class DiskFullError(OSError):
    pass


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", socket.gethostname()) or "host"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def remove_dead_writers_files(path: Path) -> list[Path]:
    """Remove the temporary files of earlier writers of `path` that are gone;
    returns what was removed."""
    pattern = re.compile(rf"\.{re.escape(path.name)}\.(?:(?P<host>[\w-]+)\.(?P<pid>\d+)\.)?[\w]+\.tmp")
    host, removed = _host(), []
    for candidate in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        match = pattern.fullmatch(candidate.name)
        if match is None:
            continue
        try:
            if match["host"] == host:
                stale = not _alive(int(match["pid"]))
            else:  # another host's process (or an older version's name): judged by its age
                stale = time.time() - candidate.stat().st_mtime > STALE_ELSEWHERE_SECONDS
            if stale:
                candidate.unlink()
                removed.append(candidate)
        except FileNotFoundError:  # its writer renamed or removed it meanwhile
            continue
    return removed


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
    remove_dead_writers_files(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{_host()}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
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
