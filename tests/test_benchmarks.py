"""The benchmark scripts import what they use: each is loaded as a module (its
imports run, its main does not), so a renamed library function shows here."""

import subprocess
import sys

import pytest

from helpers import REPO, load_config

LOAD = """
import importlib.util, pathlib, sys
sys.path.insert(0, str(pathlib.Path({bench!r})))
for path in sorted(pathlib.Path({bench!r}).glob("*.py")):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
    print("loaded", path.name)
"""


def test_every_benchmark_loads():
    bench = REPO / "benchmarks"
    result = subprocess.run([sys.executable, "-c", LOAD.format(bench=str(bench))], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.count("loaded") == len(list(bench.glob("*.py")))


@pytest.mark.slow
def test_gpu_check_runs_end_to_end_on_the_cpu(tmp_path):
    """benchmarks/gpu_check.py is run once on a lent GPU, with no second try to
    spare: its smoke run here (small networks, the CPU) goes through every
    section with the step counts of the real run (warm-up and timing blocks:
    a first GPU run crashed on them), and its projection rests on the packs
    the workflow runs."""
    import json

    result = subprocess.run(
        [sys.executable, REPO / "benchmarks/gpu_check.py", "--allow-cpu", "--quick", "--out", tmp_path],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads((tmp_path / "gpu_check.json").read_text())
    assert report["failures"] == [] and all(c["ok"] for c in report["checks"].values())
    model_types = {spec["model"] for spec in load_config()["grid"]["experiments"].values()}
    # every model type, CouAE's Coulomb kernel beside a smooth one, and the Coulomb GAN's decay
    assert len([c for c in report["checks"] if "float32 vs CPU float64" in c]) == len(model_types) + 2
    assert len([c for c in report["checks"] if c.startswith("pack member")]) == 12
    sys.path.insert(0, str(REPO / "benchmarks"))
    import gpu_check  # the real sizes' step counts are the quick run's

    assert (gpu_check.QUICK.grid_timed, gpu_check.QUICK.celeba_timed) == (gpu_check.REAL.grid_timed,
                                                                          gpu_check.REAL.celeba_timed)  # fmt: skip
    assert set(report["packs"]) == {f"{m}_block0" for m in model_types}
    assert set(report["slice"]) == {"vae_block0", "mmd_block0"}  # the paper's rows, as auto packs them
    assert all(r["steps"] == gpu_check.QUICK.slice_steps for r in report["slice"].values())
    assert report["sharing"]["recommended_gpu_share"] in (1.0, 0.5)
    minutes = report["projection_minutes"]
    assert minutes["paper grid rows"]["minutes_one_at_a_time"] > 0 and "the slice" in minutes["paper grid rows"]["from"]
    # one failing part is a failed check, and the run goes on to its table
    trial = gpu_check.Report()
    assert trial.attempt("a part", lambda: 1 / 0) is None and trial.failures == ["a part"]
    assert "ZeroDivisionError" in trial.data["errors"]["a part"] and trial.attempt("fine", lambda: 3) == 3
    table = result.stdout.split("against")[-1]
    assert "paper grid rows, GPU-minutes" in table and "target 15" in table and "assumptions:" in table


def test_gpu_check_refuses_a_machine_without_cuda():
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    result = subprocess.run([sys.executable, REPO / "benchmarks/gpu_check.py"], capture_output=True, text=True)
    assert result.returncode != 0 and "no CUDA device here" in result.stderr
