#!/usr/bin/env python3
"""Train the grid runs of one pack in one process, through one update step
(couae.grid.packs): each run is resumed from its own checkpoint, and its
outputs (seed<k>/ folders, snapshots), checkpoint and provenance are written
where its own grid_train job would write them. Runs that finished earlier
(their checkpoint holds the last step) are not trained again.
"""

import argparse
import json
import logging
import sys
from pathlib import Path

import _bootstrap  # noqa: F401  (the library's import path)
from couae.core.accelerate import MODES
from couae.grid import model, packs
from couae.grid.data import load_splits
from couae.grid.settings import GridTraining
from couae.jobs import pack_job, read_input, start_device_job
from couae.runtime.arguments import FROM_FILE

log = logging.getLogger("grid_pack")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, fromfile_prefix_chars=FROM_FILE)
    parser.add_argument("--name", required=True, help="the pack's name (its log says it)")
    parser.add_argument("--runs", required=True, help="JSON list, per run: settings, data, out_dir, snapshots, "
                        "checkpoint, provenance")  # fmt: skip
    parser.add_argument("--device", required=True, choices=["auto", "cpu", "cuda"])
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--compile", default="eager", choices=MODES, help="how the step runs (couae.core.accelerate)")
    parser.add_argument("--gpu-share", type=float, default=1.0, help="the share of a GPU this job takes")
    parser.add_argument("--streams", choices=["true", "false"], default="false", help="each branch on its own "
                        "CUDA stream (grid.training.pack_streams)")  # fmt: skip
    args = parser.parse_args()
    device = start_device_job(args.threads, args.device, args.gpu_share)
    runs = json.loads(args.runs)
    sizes = {r["data"]: r["settings"]["data"]["n_train"] for r in runs}
    data = {path: read_input(load_splits, path, sizes[path])["train"] for path in sorted(sizes)}
    jobs = [
        packs.PackedRun(GridTraining.from_dict(r["settings"]), data[r["data"]], Path(r["checkpoint"])) for r in runs
    ]
    out_dirs = {job.checkpoint: r["out_dir"] for job, r in zip(jobs, runs, strict=True)}
    log.info("pack %s: %d runs on %s", args.name, len(jobs), device)
    for job, r in zip(jobs, runs, strict=True):
        s = job.settings
        log.info("  %s at width x%g on %s, seeds %s", s.experiment, s.width, r["data"], list(s.seeds))

    def save_losses(members):  # also as training goes: each run's loss.csv shows the progress
        for member in members:
            model.save_losses(member.run, out_dirs[member.checkpoint_path])

    def train(stop):
        return packs.train_pack(
            jobs, device, compile_mode=args.compile, on_progress=save_losses, stop=stop, streams=args.streams == "true"
        )

    def save_outputs(k, run):
        model.save_block(run, jobs[k].settings, runs[k]["out_dir"], runs[k]["snapshots"])

    records = [(job.settings, r["provenance"]) for job, r in zip(jobs, runs, strict=True)]
    return pack_job(train, records, device, args.threads, save_outputs, pack={"name": args.name, "runs": len(runs)})


if __name__ == "__main__":
    sys.exit(main())
