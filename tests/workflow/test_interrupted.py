"""Killing the whole workflow mid-training (SIGKILL to Snakemake and its jobs),
then re-running it, gives exactly the evaluations (the numbers the tables are
built from) of an uninterrupted run, with the interrupted training resumed from
its checkpoint rather than restarted."""

import os
import signal
import subprocess
import time

import pandas as pd
import pytest
import torch

from helpers import REPO, snakemake_command

pytestmark = pytest.mark.workflow

LONGER = """
grid:
  variants_run: [narrow]
  widths: [1.0]
  training: {iterations: 3000, seeds: [0, 1], log_every: 100, checkpoint_every: 500}
"""
# two grid rows trained side by side (--cores 2): the kill lands inside a training
# block; their evaluations (what the tables are built from) must match a clean run
TARGETS = [f"results/grid/narrow/eval/{e}/width1/block0.csv" for e in ("couae", "wae")]


def command(workdir, override, *flags):
    return snakemake_command(workdir, *flags, *TARGETS, "--configfile", REPO / "presets/quick.yaml", override)


def mid_training_checkpoint(workdir):
    for path in (workdir / "results/grid/narrow/train").glob("*/width1/block*.checkpoint.pt"):
        try:
            if torch.load(path, weights_only=True)["step"] < 3000:
                return path
        except (OSError, EOFError, RuntimeError):
            pass
    return None


def test_killed_workflow_resumes_to_identical_tables(tmp_path):
    override = tmp_path / "longer.yaml"
    override.write_text(LONGER)
    reference, interrupted = tmp_path / "reference", tmp_path / "interrupted"
    reference.mkdir(), interrupted.mkdir()
    subprocess.run(command(reference, override), check=True, capture_output=True)

    proc = subprocess.Popen(
        command(interrupted, override), start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline, killed_at = time.time() + 300, None
    while killed_at is None:
        assert proc.poll() is None and time.time() < deadline, "workflow ended before a mid-training checkpoint"
        killed_at = mid_training_checkpoint(interrupted)
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # Snakemake and every job it started
    proc.wait()
    experiment, block = killed_at.parent.parent.name, killed_at.name.split(".")[0]

    subprocess.run(command(interrupted, override, "--unlock"), check=True, capture_output=True)
    subprocess.run(command(interrupted, override, "--rerun-incomplete"), check=True, capture_output=True)

    log = (interrupted / f"logs/grid/narrow/train/{experiment}_width1_{block}.log").read_text()
    assert "resumed from checkpoint" in log
    for target in TARGETS:
        pd.testing.assert_frame_equal(pd.read_csv(interrupted / target), pd.read_csv(reference / target))
