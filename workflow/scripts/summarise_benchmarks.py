"""Collect Snakemake's per-job benchmark TSVs into one table for the report."""
import argparse
from pathlib import Path

import pandas as pd

import _bootstrap  # noqa: F401
from couae.atomic import save_dataframe_csv


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--benchmarks", nargs="+", required=True, help="results/benchmarks/<rule>/<job>.tsv")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    frames = []
    for path in map(Path, args.benchmarks):
        frame = pd.read_csv(path, sep="\t")
        frame.insert(0, "job", path.stem)
        frame.insert(0, "rule", path.parent.name)
        frames.append(frame)
    save_dataframe_csv(pd.concat(frames, ignore_index=True), args.out, index=False)


if __name__ == "__main__":
    main()
