"""Figure 1: the regulariser of eq. (1) in 1-D for three fixed charges."""
import argparse
import json

import numpy as np

import _bootstrap  # noqa: F401
from couae.figures import save_figure
from couae.kernels import make_kernel
from couae.theory_figures import figure1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--settings", required=True, help="theory.figure1 settings as JSON")
    parser.add_argument("--out-stem", required=True)
    args = parser.parse_args()
    s = json.loads(args.settings)
    kernels = {name: make_kernel(k["kernel"], 1, **k["params"]) for name, k in s["kernels"].items()}
    positions = np.linspace(*s["range"], s["points"])
    save_figure(figure1(kernels, s["charges"], positions), args.out_stem)


if __name__ == "__main__":
    main()
