"""Packs through Snakemake (grid.training.pack): which jobs a config makes, and
what a changed setting re-runs."""

import hashlib
import os
import re
import subprocess

import pytest
import yaml

from couae import datasets
from couae import settings as S
from helpers import REPO, load_config, snakemake_command

pytestmark = pytest.mark.workflow

QUICK = str(REPO / "presets" / "quick.yaml")
ROWS = ["wae", "couae"]  # one model type, two kernels: one pack job with two branches
SMALL = {"grid": {"rows": ROWS, "training": {"iterations": 100, "pack": "model"}}}
GRID = datasets.get("grid")


def config_file(tmp_path, name, over) -> str:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(over))
    return str(path)


def snakemake(workdir, *args, env=None):
    cmd = snakemake_command(workdir, "--configfile", QUICK, *args)
    result = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        raise AssertionError(f"snakemake failed:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}")
    return result


def planned(output: str) -> dict[str, int]:
    table = output.split("Job stats:")[-1]
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", table, re.M) if m[1] != "total"}


def evaluations(config) -> list[str]:
    return GRID.evaluations(config)


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_changed_row_trains_again_alone_inside_its_pack(tmp_path):
    work = tmp_path / "run"
    small = config_file(tmp_path, "small", SMALL)
    config = load_config(yaml.safe_load(open(QUICK)), SMALL)
    targets = evaluations(config)
    first = snakemake(work, "--configfile", QUICK, small, "--cores", "2", *targets)
    jobs = planned(first.stdout + first.stderr)
    assert jobs["grid_pack_mmd_block0"] == 1 and "grid_train" not in jobs
    assert jobs["grid_evaluate"] == len(targets)
    runs = GRID.packs(config)[0].runs
    weights = {run: work / GRID.seed_file(config, *run, 0, "weights.pt") for run in runs}
    before = {run: digest(path) for run, path in weights.items()}

    change = {**SMALL, "grid": {**SMALL["grid"], "experiments": {"couae": {"kernel_params": {"eps": 0.02}}}}}
    changed = config_file(tmp_path, "changed", change)
    dry = snakemake(work, "--configfile", QUICK, changed, "-n", *targets)
    # the pack's job runs again, and the evaluations of its runs (their files are written again)
    assert planned(dry.stdout) == {"grid_pack_mmd_block0": 1, "grid_evaluate": len(targets)}
    snakemake(work, "--configfile", QUICK, changed, "--cores", "2", *targets)
    log = (work / GRID.PACK_LOG.format(pack="mmd_block0")).read_text()
    wae = [run for run in runs if run[1] == "wae"]
    for variant, experiment, width in wae:
        block = GRID.BLOCK.format(variant=variant, experiment=experiment, width=width, block=0)
        assert f"{block}.checkpoint.pt: finished earlier (step 100), not trained again" in log
    assert f"pack of {len(runs) - len(wae)} runs" in log
    for run, path in weights.items():  # only CouAE's numbers change; WAE's files are written again, byte for byte
        assert (digest(path) == before[run]) == (run[1] == "wae"), run


def test_auto_packs_where_the_grid_trains_on_this_machines_gpu(tmp_path):
    """auto: a job per run on a CPU; on a machine with a GPU (COUAE_GPU_COUNT
    stands in for nvidia-smi), a job per model type and block of seeds."""
    auto = config_file(tmp_path, "auto", {"device": "auto", "grid": {"training": {"pack": "auto"}}})
    config = load_config(yaml.safe_load(open(QUICK)), {"device": "auto"})
    n_runs = len(GRID.variants(config)) * len(S.runs(config, "grid"))
    cpu = planned(
        snakemake(
            tmp_path / "cpu", "--configfile", QUICK, auto, "-n", env={**os.environ, "COUAE_GPU_COUNT": "0"}
        ).stdout
    )
    assert cpu["grid_train"] == n_runs and not [job for job in cpu if job.startswith("grid_pack")]
    gpu = planned(
        snakemake(
            tmp_path / "gpu", "--configfile", QUICK, auto, "-n", env={**os.environ, "COUAE_GPU_COUNT": "1"}
        ).stdout
    )
    models = {config["grid"]["experiments"][e]["model"] for e in S.experiments(config, "grid")}
    assert {job for job in gpu if job.startswith("grid_pack")} == {f"grid_pack_{m}_block0" for m in models}
    assert "grid_train" not in gpu and gpu["grid_evaluate"] == n_runs
