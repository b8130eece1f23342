"""The quick preset through a real single-node SLURM (tests/slurm/run.sh).

It installs Debian's slurm-wlm and munge and writes /etc/slurm/slurm.conf, so it
runs only where that is harmless: as root with apt-get, in CI or when
COUAE_SLURM_TEST=1, and never where a SLURM is already configured or running.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import REPO

pytestmark = pytest.mark.workflow
MARK = "# written by couae tests/slurm/run.sh"


def reason_to_skip() -> str | None:
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return "needs root and apt-get to install and start a local SLURM"
    if not (os.environ.get("CI") or os.environ.get("COUAE_SLURM_TEST") == "1"):
        return "installs system packages: runs in CI, or set COUAE_SLURM_TEST=1"
    conf = Path("/etc/slurm/slurm.conf")
    if conf.exists() and MARK not in conf.read_text():
        return "this machine has its own /etc/slurm/slurm.conf; not touching it"
    if subprocess.run(["pgrep", "-x", "slurmctld"], capture_output=True).returncode == 0:
        return "a slurmctld is already running here"
    return None


@pytest.mark.skipif(reason_to_skip() is not None, reason=str(reason_to_skip()))
def test_quick_preset_through_real_slurm_equals_local_run(tmp_path):
    result = subprocess.run(
        ["bash", str(REPO / "tests/slurm/run.sh"), str(tmp_path / "slurm")],
        env=dict(os.environ, PYTHON=sys.executable),
        capture_output=True,
        text=True,
        timeout=1500,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    assert "SLURM run produced the same evaluations and training curve as the local run" in result.stdout
    assert "SLURM GPU requests follow the configured devices" in result.stdout
    submitted = (result.stdout + result.stderr).count("has been submitted with SLURM jobid")
    # the compared targets' jobs: grid data, 2 x (train, evaluate), CelebA data and training
    assert submitted >= 7, f"only {submitted} jobs went through SLURM, not the 7 of the compared targets"
    daemons = subprocess.run(["pgrep", "-x", "slurmctld|slurmd|munged"], capture_output=True, text=True).stdout
    live = [
        p
        for p in daemons.split()
        if "Z" not in subprocess.run(["ps", "-o", "stat=", "-p", p], capture_output=True, text=True).stdout
    ]
    assert not live, f"daemons left running: {live}"
