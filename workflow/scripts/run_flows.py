"""Theorem 1 particle flows for one kernel: every dimension and noise level."""
import argparse
import json

import numpy as np
import pandas as pd
import torch

import _bootstrap
from couae.atomic import save_dataframe_csv, save_npz
from couae.kernels import make_kernel
from couae.particle_flow import FlowSettings, run_flows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--settings", required=True, help="resolved theorem1 settings of one flow as JSON")
    parser.add_argument("--out-csv", required=True)
    parser.add_argument("--out-trajectory", required=True, help=".npz with a 2-D run's path")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    _bootstrap.setup_logging()
    torch.set_num_threads(args.threads)
    s = json.loads(args.settings)
    rows, trajectory = [], None
    for dim in s["dims"]:
        kernel = make_kernel(s["kernel"], dim, **s["params"])
        for noise in s["noise_levels"]:
            record = max(1, s["steps"] // 100) if dim == 2 and noise == 0 else 0
            settings = FlowSettings(s["n_particles"], s["n_runs"], s["steps"], s["lr"], s["max_step"],
                                    s["final_max_step"], s["tolerance"], noise, s["noise_decay"], record)
            result = run_flows(kernel, dim, settings, s["seed"])
            rows.append({"flow": s["flow"], "kernel": s["kernel"], "dim": dim, "noise": noise,
                         "runs": s["n_runs"], "fraction_global": result.reached_global.mean(),
                         "median_worst_distance": np.median(result.worst_match),
                         "median_start_worst_distance": np.median(result.start_worst_match),
                         "mean_final_mmd2": result.final_mmd2.mean()})
            if record:
                trajectory = {"trajectory": result.trajectory, "targets": result.targets[0]}
    save_dataframe_csv(pd.DataFrame(rows), args.out_csv, index=False)
    if trajectory is None:
        raise SystemExit("theory.theorem1.dims must include 2 and noise_levels 0 for the trajectory panel")
    save_npz(args.out_trajectory, **trajectory)


if __name__ == "__main__":
    main()
