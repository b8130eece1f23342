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
