"""The summary of Snakemake's per-job benchmark files (wall time, memory, CPU
time), one row per job, for the report."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def summary(paths) -> pd.DataFrame:
    """One row per results/benchmarks/<rule>/<job>.tsv, with `rule` and `job` first."""
    frames = []
    for path in map(Path, paths):
        frame = pd.read_csv(path, sep="\t")
        frame.insert(0, "job", path.stem)
        frame.insert(0, "rule", path.parent.name)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
