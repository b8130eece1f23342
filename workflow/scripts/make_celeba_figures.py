"""Figure 3 (generated images per model) or Figure 4 (test reconstructions per width)."""
import argparse
import json

import numpy as np

import _bootstrap  # noqa: F401
from couae.image_arrays import read_meta
from couae.figures import save_figure
from couae.image_figures import figure3, figure4


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("which", choices=["figure3", "figure4"])
    parser.add_argument("--data-dir", required=True, help="for meta.json: stand-in or CelebA")
    parser.add_argument("--keys", nargs="+", required=True, help="experiments (figure3) or width labels (figure4)")
    parser.add_argument("--images", nargs="+", required=True, help="one .npy per key")
    parser.add_argument("--titles", default="{}", help="experiment -> title as JSON (figure3)")
    parser.add_argument("--experiment", default="", help="the experiment shown (figure4)")
    parser.add_argument("--out-stem", required=True)
    args = parser.parse_args()
    if len(args.keys) != len(args.images):
        raise SystemExit("--images needs one file per key")
    images = {k: np.load(p) for k, p in zip(args.keys, args.images)}
    caveat = "stand-in images, not CelebA" if read_meta(args.data_dir)["standin"] else ""
    if args.which == "figure3":
        fig = figure3(images, json.loads(args.titles), caveat)
    else:
        fig = figure4(images, args.experiment, caveat)
    save_figure(fig, args.out_stem)


if __name__ == "__main__":
    main()
