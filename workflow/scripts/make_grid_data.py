"""Draw the grid dataset's splits into one .npz file."""
import argparse
import json

import _bootstrap  # noqa: F401  (import path)
from couae.atomic import save_npz
from couae.grid_data import GridMixture, make_splits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--settings", required=True, help="grid.data settings as JSON")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    s = json.loads(args.settings)
    mixture = GridMixture(s["per_axis"], s["spacing"], s["std"])
    sizes = {"train": s["n_train"], "validation": s["n_validation"], "test": s["n_test"],
             "reference": s["n_reference"]}
    save_npz(args.out, **make_splits(mixture, sizes, s["seed"]))


if __name__ == "__main__":
    main()
