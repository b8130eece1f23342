"""Packs of grid runs (`couae.core.pack`): many (variant, experiment, width)
jobs trained by one process through one update step.

Each run is first built as it would train alone (`model.build_run`) and
resumed from its own checkpoint; runs whose settings differ only in seeds,
width and data share a branch, a seed-stacked step at the branch's widest
width; the others become branches of their own. A model type whose step
reads a length scale of the data (`ModelType.data_scales`) shares a branch
only with runs on data of the same scale.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..core.pack import Member, PackRun, accelerate_pack, train_members
from ..core.training import try_resume
from ..settings import as_json
from .model import GridNetworks, build_run
from .settings import GridTraining

# What every run of a pack shares: the loop's schedule and the batch size.
SHARED = ("iterations", "log_every", "checkpoint_every", "snapshots", "batch_size")
# What runs of one branch may differ in (besides the data length scales their model type does not read).
PER_RUN = ("experiment", "seeds", "width", "data", "n_generated")


def branch_key(settings: GridTraining) -> str:
    """Runs with equal keys share a branch: equal settings but for PER_RUN,
    and equal data length scales where their model type reads one."""
    values = {k: v for k, v in settings.to_dict().items() if k not in PER_RUN}
    scales = settings.model_type.data_scales(settings.model_params)
    values["data_scales"] = {kind: settings.data[kind] for kind in scales}
    return as_json(values)


def check_shared(settings: list[GridTraining]) -> None:
    """ValueError naming the setting where the runs of one pack do not share the loop."""
    for key in SHARED:
        values = {repr(getattr(s, key)) for s in settings}
        if len(values) > 1:
            raise ValueError(f"the runs of a pack share grid.training.{key}; these have {sorted(values)}")


class BranchNetworks(GridNetworks):
    """A branch's networks: every member's seeds, at the widest member's width.
    Only the data scales of its key may be asked for (the members agree on those)."""

    def __init__(self, settings: GridTraining, seeds, device, dtype):
        super().__init__(settings, seeds, device, dtype, stacked=True)
        self.scales = settings.model_type.data_scales(settings.model_params)

    def length_scale(self, kind: str) -> float:
        if kind not in self.scales:
            raise RuntimeError(
                f"the {self.settings.model} step reads the data's {kind}, which its model type's data_scales "
                "does not declare: runs on data of other scales would share it"
            )
        return super().length_scale(kind)


@dataclass
class PackedRun:
    """What a pack job knows of one of its runs."""

    settings: GridTraining
    train_data: np.ndarray
    checkpoint: Path


def member(job: PackedRun, device, dtype=torch.float32) -> Member:
    """The run as it would train alone, resumed from its checkpoint where that holds these settings."""
    run = build_run(job.settings, job.train_data, device, dtype=dtype)
    fingerprint = job.settings.fingerprint()
    try_resume(run, job.checkpoint, fingerprint)
    return Member(run, job.checkpoint, fingerprint, first_step=run.step)


def build_pack(
    members: list[Member],
    settings: list[GridTraining],
    device,
    dtype,
    compile_mode="eager",
    backend="inductor",
    streams: bool = False,
) -> PackRun:
    """The pack of `members` (their `settings`, in the same order): one branch
    per branch key, in order of first appearance; `streams`: on CUDA, each
    branch on a stream of its own (grid.training.pack_streams)."""
    keys = [branch_key(s) for s in settings]
    order = list(dict.fromkeys(keys))
    ranked = sorted(range(len(members)), key=lambda k: order.index(keys[k]))
    ordered = [members[k] for k in ranked]
    steps = []
    for b, key in enumerate(order):
        own = [k for k in ranked if keys[k] == key]
        for k in own:
            members[k].branch = b
        seeds = [seed for k in own for seed in settings[k].seeds]
        widest = dataclasses.replace(settings[own[0]], width=max(settings[k].width for k in own), seeds=tuple(seeds))
        steps.append(widest.model_type.build_step(BranchNetworks(widest, seeds, device, dtype)))
    data = torch.cat([m.run.data for m in ordered])
    pack = PackRun.build(ordered, steps, data, streams)
    pack.step_fn = accelerate_pack(pack.step_fn, compile_mode, device, backend, settings[0].iterations)
    for m in members:
        m.mode = getattr(pack.step_fn, "mode", None) or getattr(pack.step_fn.branches[m.branch], "mode", "eager")
    return pack


def train_pack(
    jobs: list[PackedRun],
    device,
    dtype=torch.float32,
    compile_mode: str = "eager",
    backend: str = "inductor",
    on_progress=None,
    stop=None,
    streams: bool = False,
) -> list[Member]:
    """Resume each run from its checkpoint and train every unfinished one to
    the end in packs; returns the members in the order of `jobs` (each run's
    state in `member.run`, a non-finite loss in `member.error`)."""
    settings = [job.settings for job in jobs]
    check_shared(settings)
    members = [member(job, device, dtype) for job in jobs]
    by_member = {id(m): s for m, s in zip(members, settings, strict=True)}

    def build(group):
        return build_pack(group, [by_member[id(m)] for m in group], device, dtype, compile_mode, backend, streams)

    first = settings[0]
    train_members(
        members,
        build,
        first.iterations,
        first.log_every,
        first.checkpoint_every,
        first.snapshots,
        on_progress=on_progress,
        stop=stop,
    )
    return members
