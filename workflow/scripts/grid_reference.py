"""Reference rows of Table 1: the true density and a KDE on true samples."""
import argparse
import json

import numpy as np
import pandas as pd
import torch

import _bootstrap
from couae.atomic import save_dataframe_csv
from couae.grid_evaluation import reference_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", required=True)
    parser.add_argument("--data-settings", required=True)
    parser.add_argument("--eval-settings", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    _bootstrap.setup_logging()
    torch.set_num_threads(args.threads)
    rows = reference_rows(dict(np.load(args.data)), json.loads(args.data_settings),
                          json.loads(args.eval_settings))
    save_dataframe_csv(pd.DataFrame(rows), args.out, index=False)


if __name__ == "__main__":
    main()
