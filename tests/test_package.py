"""The library installs as a package (`pip install -e .` works: pyproject.toml's build section) and is usable
outside the workflow: its wheel holds the modules and their data, and an MMD estimate runs from it alone."""

import shutil
import subprocess
import sys
import zipfile


def test_the_library_builds_as_a_wheel_that_works_on_its_own(tmp_path):
    from helpers import REPO

    # built from a copy: setuptools leaves its build/ folder in the tree it builds
    source = tmp_path / "source"
    shutil.copytree(REPO / "workflow" / "couae", source / "workflow" / "couae",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))  # fmt: skip
    shutil.copy(REPO / "pyproject.toml", source)
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", tmp_path, source],
                           capture_output=True, text=True)  # fmt: skip
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = tmp_path.glob("couae-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "couae/core/mmd.py" in names and "couae/runtime/rates.yaml" in names
    assert not any(name.startswith(("tests/", "benchmarks/", "workflow/")) for name in names)
    unpacked = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(unpacked)
    code = "\n".join([
        "import torch, couae",
        "from couae.core.mmd import mmd2_unbiased",
        "from couae.kernels import make_kernel",
        f"assert couae.__file__.startswith({str(unpacked)!r}), couae.__file__",
        "x = torch.randn(50, 2, dtype=torch.float64)",
        "print(float(mmd2_unbiased(make_kernel('imq', 2, scales=[1.0]), x, x + 3)))",
    ])  # fmt: skip
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                         env={"PYTHONPATH": str(unpacked), "PATH": "/usr/bin:/bin"})  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    assert float(run.stdout) > 0.1
