"""Evaluate every seed of one (experiment, width) grid job into one CSV."""
import argparse
import json
import time

import numpy as np
import pandas as pd
import torch

import _bootstrap
from couae import provenance
from couae.atomic import save_dataframe_csv
from couae.grid_evaluation import evaluate_seed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", required=True)
    parser.add_argument("--weights", nargs="+", required=True)
    parser.add_argument("--samples", nargs="+", required=True)
    parser.add_argument("--settings", required=True, help="grid evaluation settings as JSON")
    parser.add_argument("--out", required=True)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--provenance", required=True)
    args = parser.parse_args()
    start = time.perf_counter()
    _bootstrap.setup_logging()
    torch.set_num_threads(args.threads)
    if len(args.weights) != len(args.samples):
        raise SystemExit("--weights and --samples must list the same seeds")
    splits = dict(np.load(args.data))
    settings = json.loads(args.settings)
    rows = [
        evaluate_seed(torch.load(w, weights_only=False), np.load(s), splits, settings)
        for w, s in zip(args.weights, args.samples)
    ]
    save_dataframe_csv(pd.DataFrame(rows), args.out, index=False)
    provenance.save(provenance.record(settings, "cpu", time.perf_counter() - start, threads=args.threads),
                    args.provenance)


if __name__ == "__main__":
    main()
