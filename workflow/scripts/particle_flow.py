#!/usr/bin/env python3
"""One particle flow (a row of theory.flows on one setup): its metrics every
few hundred steps (CSV) and the particles' positions at those steps (.npz)."""

import argparse
import logging
import sys

import _bootstrap  # noqa: F401  (the library's import path)
from couae.jobs import start_job
from couae.runtime.arguments import FROM_FILE
from couae.runtime.atomic import save_dataframe_csv, save_npz
from couae.settings import FlowSettings
from couae.theory.particle_flows import run_flow

log = logging.getLogger("particle_flow")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, fromfile_prefix_chars=FROM_FILE)
    parser.add_argument("--settings", required=True, help="FlowSettings of one (setup, row) as JSON")
    parser.add_argument("--out-csv", required=True)
    parser.add_argument("--out-trajectory", required=True)
    parser.add_argument("--threads", type=int, required=True)
    args = parser.parse_args()
    start_job(args.threads)
    try:
        records, trajectory = run_flow(FlowSettings.from_json(args.settings))
    except FloatingPointError as exc:
        log.error("%s: lower the row's lr or set its max_step", exc)
        return 1
    save_dataframe_csv(records, args.out_csv, index=False)
    save_npz(args.out_trajectory, **trajectory)
    return 0


if __name__ == "__main__":
    sys.exit(main())
