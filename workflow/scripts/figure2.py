#!/usr/bin/env python3
"""Figure 2: generated grid samples and training-loss curves per experiment."""

import argparse
import json

import pandas as pd

import _bootstrap  # noqa: F401  (the library's import path)
from couae.grid.data import load_splits
from couae.grid.figures import figure2
from couae.report.style import save_figure
from couae.runtime.arguments import FROM_FILE
from couae.runtime.loading import load_array


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, fromfile_prefix_chars=FROM_FILE)
    parser.add_argument("--data", required=True)
    parser.add_argument("--experiments", nargs="+", required=True)
    parser.add_argument("--samples", nargs="+", required=True, help="one file per experiment")
    parser.add_argument("--losses", nargs="+", required=True, help="per experiment, every seed")
    parser.add_argument("--titles", required=True, help="experiment -> title as JSON")
    parser.add_argument("--widths", nargs="+", type=float, required=True, help="per experiment, the width shown")
    parser.add_argument("--variant", required=True, help="the grid data set's name")
    parser.add_argument("--variant-title", required=True)
    parser.add_argument("--out-stem", required=True)
    args = parser.parse_args()
    names = args.experiments
    if len(args.samples) != len(names) or len(args.losses) % len(names):
        raise SystemExit("--samples needs one file per experiment and --losses the same count each")
    per = len(args.losses) // len(names)
    samples = {n: load_array(p, "generated samples") for n, p in zip(names, args.samples, strict=True)}
    losses = {n: [pd.read_csv(p) for p in args.losses[i * per : (i + 1) * per]] for i, n in enumerate(names)}
    widths = dict(zip(names, args.widths, strict=True))
    title = f"{args.variant}: {args.variant_title}"
    fig = figure2(load_splits(args.data)["test"], samples, losses, json.loads(args.titles), widths, title)
    save_figure(fig, args.out_stem)


if __name__ == "__main__":
    main()
