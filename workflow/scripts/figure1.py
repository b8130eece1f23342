#!/usr/bin/env python3
"""Figure 1: the regulariser of eq. (1) in 1-D for three fixed charges."""

import argparse

import numpy as np

import _bootstrap  # noqa: F401  (the library's import path)
from couae.kernels import make_kernel
from couae.report.style import save_figure
from couae.runtime.arguments import FROM_FILE
from couae.settings import Figure1Settings
from couae.theory.figures import figure1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, fromfile_prefix_chars=FROM_FILE)
    parser.add_argument("--settings", required=True, help="Figure1Settings as JSON")
    parser.add_argument("--out-stem", required=True)
    args = parser.parse_args()
    s = Figure1Settings.from_json(args.settings)
    kernels = {name: make_kernel(k["kernel"], 1, **k["params"]) for name, k in s.kernels.items()}
    positions = np.linspace(*s.range, s.points)
    save_figure(figure1(kernels, s.charges, positions), args.out_stem)


if __name__ == "__main__":
    main()
