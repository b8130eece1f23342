"""Writing and reading results: permissions follow the umask, a full disk is
named, and nothing loaded is unpickled; a damaged file is named with what to do."""

import errno
import os
import shutil
from collections import namedtuple

import numpy as np
import pytest
import torch

from couae.runtime import atomic
from couae.runtime.atomic import DiskFullError, save_numpy, save_text, save_torch
from couae.runtime.loading import DamagedFileError, load_array, load_arrays, load_torch
from helpers import CodeCarrier


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_results_honour_the_umask(tmp_path, umask, mode):
    previous = os.umask(umask)
    try:
        save_text("x", tmp_path / "table.md")
        save_torch({"a": torch.zeros(2)}, tmp_path / "weights.pt")
    finally:
        os.umask(previous)
    for name in ("table.md", "weights.pt"):
        assert (tmp_path / name).stat().st_mode & 0o777 == mode


def test_a_full_disk_names_the_file_and_leaves_nothing(tmp_path, monkeypatch):
    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(torch, "save", no_space)
    with pytest.raises(DiskFullError, match=rf"no space left on /\S* while writing {tmp_path}/ckpt\.pt") as err:
        save_torch({}, tmp_path / "ckpt.pt")
    assert err.value.errno == errno.ENOSPC
    assert list(tmp_path.iterdir()) == []


def test_torchs_zip_writer_error_on_a_nearly_full_disk_is_named_too(tmp_path, monkeypatch):
    def zip_writer_fails(obj, f, **kwargs):
        raise RuntimeError("[enforce fail at inline_container.cc:664] . unexpected pos 64 vs 0")

    monkeypatch.setattr(torch, "save", zip_writer_fails)
    Usage = namedtuple("Usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: Usage(10**9, 10**9 - 4096, 4096))
    with pytest.raises(DiskFullError, match="while writing"):
        save_torch({}, tmp_path / "ckpt.pt")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: Usage(10**12, 0, 10**12))
    with pytest.raises(RuntimeError, match="unexpected pos"):  # plenty of room: not blamed on the disk
        save_torch({}, tmp_path / "ckpt.pt")
    assert atomic._NEARLY_FULL_BYTES > 4096


def test_a_file_carrying_code_is_refused_without_running_it(tmp_path):
    ran = tmp_path / "code-ran"
    torch.save({"encoder": {}, "settings": CodeCarrier(ran)}, tmp_path / "weights.pt")
    with pytest.raises(DamagedFileError, match=r"weights\.pt: cannot be read as grid weights .* never unpickled"):
        load_torch(tmp_path / "weights.pt", "grid weights")
    assert not ran.exists()


def test_damaged_arrays_are_named_with_what_to_do(tmp_path):
    save_numpy(np.arange(1000.0), tmp_path / "samples.npy")
    (tmp_path / "data.npz").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(DamagedFileError, match=r"data\.npz: cannot be read as grid data .* Delete it and re-run"):
        load_arrays(tmp_path / "data.npz", "grid data")
    truncated = (tmp_path / "samples.npy").read_bytes()[:400]
    (tmp_path / "samples.npy").write_bytes(truncated)
    for mmap in (False, True):
        with pytest.raises(DamagedFileError, match=r"samples\.npy: cannot be read as generated samples"):
            load_array(tmp_path / "samples.npy", "generated samples", mmap=mmap)
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}], dtype=object))
    with pytest.raises(DamagedFileError, match="objects.npy"):  # object arrays need pickles: refused
        load_array(tmp_path / "objects.npy", "generated samples")


KILLED_WRITER = """
import os, signal, sys
sys.path.insert(0, {lib!r})
from couae.runtime.atomic import atomic_path
with atomic_path({path!r}) as tmp:
    tmp.write_bytes(b"x" * 100_000)
    os.kill(os.getpid(), signal.SIGKILL)  # killed between writing and renaming
"""


def test_a_writer_killed_before_renaming_leaves_nothing_after_the_next_write(tmp_path):
    import subprocess
    import sys

    from helpers import REPO

    path = tmp_path / "block0.checkpoint.pt"
    save_torch({"step": 1}, path)
    killed = subprocess.run([sys.executable, "-c", KILLED_WRITER.format(lib=str(REPO / "workflow"), path=str(path))])
    assert killed.returncode == -9
    (left,) = tmp_path.glob(".block0.checkpoint.pt.*.tmp")
    assert left.stat().st_size == 100_000
    assert load_torch(path, what="a checkpoint")["step"] == 1  # the old checkpoint is intact
    save_torch({"step": 2}, path)  # the next run's write
    assert sorted(p.name for p in tmp_path.iterdir()) == ["block0.checkpoint.pt"]
    assert load_torch(path, what="a checkpoint")["step"] == 2


def test_only_dead_writers_files_are_removed(tmp_path):
    """A live writer's temporary file stays (here, this process's); another host's
    stays until it has not changed for an hour; an older version's name likewise."""
    path = tmp_path / "samples.npy"
    host = atomic._host()
    live = tmp_path / f".samples.npy.{host}.{os.getpid()}.abc123.tmp"
    elsewhere = tmp_path / ".samples.npy.other-node.12.abc123.tmp"
    old_name = tmp_path / ".samples.npy.k2j_x9q1.tmp"
    unrelated = tmp_path / ".samples.npy.bak"
    for f in (live, elsewhere, old_name, unrelated):
        f.write_bytes(b"x")
    assert atomic.remove_dead_writers_files(path) == []
    hours_ago = os.stat(elsewhere).st_mtime - 2 * atomic.STALE_ELSEWHERE_SECONDS
    for f in (elsewhere, old_name):
        os.utime(f, (hours_ago, hours_ago))
    assert sorted(atomic.remove_dead_writers_files(path)) == sorted([elsewhere, old_name])
    assert live.exists() and unrelated.exists()
