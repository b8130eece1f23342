"""GPU claims under a real cluster executor follow the configured devices.

A dry run cannot show this: Snakemake dry-runs through its own dry-run executor,
and it sets a run's executor plugin only after it has read the Snakefile. Here
the cluster-generic executor submits every job through a small script that
records each training job's rule and `gpu` resource and refuses it (so nothing
trains), and runs the data jobs in place.
"""

import subprocess
import sys

import pytest

from helpers import REPO

pytestmark = pytest.mark.workflow

SUBMIT = """#!/usr/bin/env bash
# usage: submit.sh RULE GPU JOBSCRIPT
echo "$1 $2" >> "$(dirname "$0")/claims.txt"
case "$1" in *train*) exit 1 ;; esac
bash "$3" >/dev/null 2>&1 </dev/null
echo 1
"""

SMALL = """
grid:
  variants_run: [narrow]
  widths: [1.0]
  training: {seeds: [0]}
celeba:
  experiments: {couae: {widths: [1.0]}}
"""


def claims(tmp_path, devices: str) -> dict[str, set[str]]:
    submit = tmp_path / "submit.sh"
    submit.write_text(SUBMIT)
    submit.chmod(0o755)
    (tmp_path / "small.yaml").write_text(SMALL)
    (tmp_path / "devices.yaml").write_text(devices)
    command = [
        sys.executable, "-m", "snakemake", "-s", REPO / "Snakefile", "--directory", tmp_path,
        "results/grid/narrow/train/couae/width1/block0.provenance.json",
        "results/celeba/train/couae/width1/seed0/provenance.json",
        "--executor", "cluster-generic", "--jobs", "2", "--keep-going", "--retries", "0",
        "--latency-wait", "5", "--default-resources", "gpu=0",
        "--cluster-generic-submit-cmd", f"{submit} {{rule}} {{resources.gpu}}",
        "--configfile", REPO / "presets/quick.yaml", tmp_path / "small.yaml", tmp_path / "devices.yaml",
    ]  # fmt: skip
    subprocess.run([str(c) for c in command], capture_output=True, text=True, timeout=600)
    recorded: dict[str, set[str]] = {}
    for line in (tmp_path / "claims.txt").read_text().splitlines():
        rule, gpu = line.split()
        recorded.setdefault(rule, set()).add(gpu)
    return recorded


def test_auto_asks_the_cluster_for_a_gpu_and_cpu_does_not(tmp_path):
    """This machine has no GPU; under a cluster executor `auto` still asks for one."""
    recorded = claims(tmp_path, "device: auto\ngrid: {device: cpu}\n")
    assert recorded.get("celeba_train") == {"1"}, recorded
    assert recorded.get("grid_train") == {"0"}, recorded
