"""GPUs for training jobs that run at the same time on one machine.

Snakemake's `--resources gpu=N` only counts GPU jobs; it does not say which
device each should use, and its resources are whole numbers. Each job
therefore takes a slot itself, with flocks on files in a machine-wide folder:

- a whole-GPU job (CelebA) holds its device's lock exclusively: one per device;
- a job with a share s < 1 of a GPU (grid jobs; `grid.gpu_share`) holds one of
  round(1 / s) places on a device. Locally such jobs declare `gpu=0` to
  Snakemake (a sliver is not a GPU), and these places bound them.

The two kinds do not wait for each other: a CelebA step is bound by its
arithmetic and a grid step by the latency of its small kernels (a graphed
grid step keeps an H200 under 1 % busy), so grid jobs run beside a CelebA
job rather than queue behind it (the quick preset on an H200 spent most of
its grid jobs' time waiting for CelebA jobs to release the device when they
did wait).

Devices are tried in order, waiting while none has room. The job then sees
only its device (CUDA_VISIBLE_DEVICES). The operating system drops a lock when
the process ends in any way, success, error or SIGKILL, so a slot is never
left taken by a dead job.

Every user of the machine shares one folder, so that their jobs see each
other's claims: it is made sticky and writable by all (like /tmp: each user
removes only their own files), lock files are made readable by all, and they
are opened read-only (flock needs no write access). A folder an older version
made 0755 is widened by its owner's next job; until then other users are told
whom to ask.

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

SHARED_FOLDER = 0o1777  # sticky, every user may add files
SHARED_LOCK = 0o444  # every user may open it (read-only is enough for flock)


ELSEWHERE = f"set {SLOT_DIR_ENV} to a folder every user of this machine can write, or set device: cpu"


class GpuSlotError(OSError):
    """The slot folder cannot be used by this user; the message says what to do."""


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


def _fix_for(folder: Path) -> str:
    try:
        import pwd

        owner = pwd.getpwuid(folder.stat().st_uid).pw_name
    except (OSError, KeyError):
        owner = "its owner"
    return (
        f"ask {owner} to run `chmod 1777 {folder}` (any job of theirs does it too), or set {SLOT_DIR_ENV} to "
        f"a folder every user of this machine can write (users who share a GPU must share the folder), or "
        f"set device: cpu"
    )


def slot_dir_problem(folder: Path) -> str | None:
    """Why this user's GPU jobs could not take slots in `folder`, said at start
    (a job would stop on it later); None where they can. Changes nothing."""
    if not folder.exists():
        parent = next(p for p in folder.parents if p.exists())
        if os.access(parent, os.W_OK | os.X_OK):
            return None
        return f"the GPU slot folder {folder} cannot be made ({parent} is not writable); set {SLOT_DIR_ENV}"
    mine = folder.stat().st_uid == os.geteuid()
    if mine or os.access(folder, os.W_OK | os.X_OK):
        return None
    return f"GPU jobs cannot take slots in {folder} (not writable by this user): {_fix_for(folder)}"


def prepare_slot_dir(folder: Path) -> None:
    """Make `folder` (created where missing) usable by every user; raise
    GpuSlotError naming it and the fix where this user cannot use it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise GpuSlotError(f"cannot create the GPU slot folder {folder}: {exc.strerror}; {ELSEWHERE}") from exc
    status = folder.stat()
    if status.st_uid == os.geteuid() and status.st_mode & SHARED_FOLDER != SHARED_FOLDER:
        os.chmod(folder, SHARED_FOLDER)
    elif not os.access(folder, os.X_OK):
        raise GpuSlotError(f"the GPU slot folder {folder} cannot be entered by this user; {_fix_for(folder)}")


def _open_lock_file(path: Path) -> int:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CREAT, SHARED_LOCK)
    except PermissionError as exc:  # a lock file another user has not made yet, in a folder not open to all
        raise GpuSlotError(f"cannot create {path.name} in the GPU slot folder {path.parent} "
                           f"({exc.strerror}); {_fix_for(path.parent)}") from exc  # fmt: skip
    except OSError as exc:  # a read-only file system, say
        raise GpuSlotError(f"cannot use the GPU slot folder {path.parent} ({exc.strerror}); {ELSEWHERE}") from exc
    status = os.fstat(fd)
    if status.st_uid == os.geteuid() and status.st_mode & SHARED_LOCK != SHARED_LOCK:
        os.fchmod(fd, status.st_mode | SHARED_LOCK)  # the umask narrowed it, or an older version made it
    return fd


def _lock(path: Path, mode: int):
    """An open file holding flock `mode` on `path`, or None where it is taken."""
    handle = os.fdopen(_open_lock_file(path), "rb")
    try:
        fcntl.flock(handle, mode | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


def places(share: float) -> int:
    """How many jobs at `share` of a GPU run on one device at once."""
    if not 0 < share <= 1:
        raise ValueError(f"a GPU share is in (0, 1], not {share}")
    return max(1, round(1.0 / share))


def _try_share(index: int, folder: Path, share: float) -> list | None:
    """The lock that gives this process a place on device `index`, or None."""
    for place in range(places(share)):
        held = _lock(folder / f"gpu{index}.{place}.lock", fcntl.LOCK_EX)
        if held is not None:
            return [held]
    return None


def _try_whole(index: int, folder: Path) -> list | None:
    whole = _lock(folder / f"gpu{index}.lock", fcntl.LOCK_EX)
    return None if whole is None else [whole]


def acquire_slot(n_devices: int, folder: Path, poll_seconds: float = 1.0, share: float = 1.0) -> int:
    """Block until one of `n_devices` has room for `share` of it; hold the slot
    for this process's life. Returns the device's index."""
    prepare_slot_dir(folder)
    places(share)  # checks the share
    logged = False
    while True:
        for index in range(n_devices):
            locks = _try_whole(index, folder) if share >= 1 else _try_share(index, folder, share)
            if locks is not None:
                _held.extend(locks)
                return index
        if not logged:
            what = "a free GPU" if share >= 1 else f"a free place for a {share:g} share of a GPU"
            log.info("waiting for %s (%d devices, slots in %s)", what, n_devices, folder)
            logged = True
        time.sleep(poll_seconds)


def claim_gpu(share: float = 1.0) -> str | None:
    """Give this process a GPU (or `share` of one, beside other such jobs);
    returns the CUDA_VISIBLE_DEVICES it set, or None when the scheduler
    already chose or there is no GPU."""
    if "CUDA_VISIBLE_DEVICES" in os.environ:
        return None
    n = gpu_count()
    if n == 0:
        return None
    index = acquire_slot(n, slot_dir(), share=share)
    os.environ["CUDA_VISIBLE_DEVICES"] = str(index)
    log.info("using GPU slot %d of %d (CUDA_VISIBLE_DEVICES=%d)", index, n, index)
    return str(index)
