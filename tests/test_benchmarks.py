"""The benchmark scripts import what they use: each is loaded as a module (its
imports run, its main does not), so a renamed library function shows here."""

import subprocess
import sys

from helpers import REPO

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
