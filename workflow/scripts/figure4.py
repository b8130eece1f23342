#!/usr/bin/env python3
"""Figure 4: CelebA test images over their reconstructions, one panel per width."""

import argparse

import _bootstrap  # noqa: F401  (the library's import path)
from couae.celeba.figures import data_caveat, figure4, load_panels
from couae.report.style import save_figure
from couae.runtime.arguments import FROM_FILE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, fromfile_prefix_chars=FROM_FILE)
    parser.add_argument("--meta", required=True, help="the arrays' meta.json: stand-in or CelebA")
    parser.add_argument("--experiment", required=True, help="the experiment shown")
    parser.add_argument("--widths", nargs="+", required=True, help="width labels")
    parser.add_argument("--images", nargs="+", required=True, help="one .npy of (test, reconstruction) per width")
    parser.add_argument("--out-stem", required=True)
    args = parser.parse_args()
    pairs = load_panels(args.widths, args.images)
    save_figure(figure4(pairs, args.experiment, data_caveat(args.meta)), args.out_stem)


if __name__ == "__main__":
    main()
