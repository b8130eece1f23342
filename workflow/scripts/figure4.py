#!/usr/bin/env python3
"""Figure 4: CelebA test images over their reconstructions, one panel per width."""

import argparse

import numpy as np

import _bootstrap  # noqa: F401  (the library's import path)
from couae.celeba.arrays import read_meta
from couae.celeba.figures import figure4
from couae.report import caveats
from couae.report.style import save_figure


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--meta", required=True, help="the arrays' meta.json: stand-in or CelebA")
    parser.add_argument("--experiment", required=True, help="the experiment shown")
    parser.add_argument("--widths", nargs="+", required=True, help="width labels")
    parser.add_argument("--images", nargs="+", required=True, help="one .npy of (test, reconstruction) per width")
    parser.add_argument("--out-stem", required=True)
    args = parser.parse_args()
    if len(args.widths) != len(args.images):
        raise SystemExit("--images needs one file per width")
    pairs = {width: np.load(path) for width, path in zip(args.widths, args.images, strict=True)}
    caveat = caveats.STANDIN if read_meta(args.meta)["standin"] else ""
    save_figure(figure4(pairs, args.experiment, caveat), args.out_stem)


if __name__ == "__main__":
    main()
