#!/usr/bin/env python3
"""Draw a 2-D data set's splits into one .npz file: a grid variant's mixture,
or a points data set's draws (couae.grid.data.source_of)."""

import argparse
import json

import _bootstrap  # noqa: F401  (the library's import path)
from couae.grid.data import SPLITS, make_splits, source_of
from couae.runtime.arguments import FROM_FILE
from couae.runtime.atomic import save_npz


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, fromfile_prefix_chars=FROM_FILE)
    parser.add_argument("--settings", required=True, help="the data's settings as JSON (GridData, PointsData)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    data = json.loads(args.settings)
    sizes = {split: data[f"n_{split}"] for split in SPLITS}
    # a points data set's streams are named for it: its draws share no numbers with the grid's
    save_npz(args.out, **make_splits(source_of(data), sizes, data["seed"], streams=data.get("dataset", "grid")))


if __name__ == "__main__":
    main()
