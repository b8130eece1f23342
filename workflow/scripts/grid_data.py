#!/usr/bin/env python3
"""Draw the grid dataset's splits into one .npz file."""

import argparse

import _bootstrap  # noqa: F401  (the library's import path)
from couae.grid.data import Mixture, make_splits
from couae.grid.settings import GridData
from couae.runtime.arguments import FROM_FILE
from couae.runtime.atomic import save_npz


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, fromfile_prefix_chars=FROM_FILE)
    parser.add_argument("--settings", required=True, help="GridData settings as JSON")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    s = GridData.from_json(args.settings)
    save_npz(args.out, **make_splits(Mixture.of(s), s.split_sizes(), s.seed))


if __name__ == "__main__":
    main()
