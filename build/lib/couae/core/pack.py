"""Packs: many training runs advanced by one update step.

A seed-stacked step already trains every seed of one run at once. A pack goes
further: every run it holds (each a data set variant, experiment and width
with its seeds) is stacked into the same step, so that one process and one
call (on CUDA one replayed graph) advances all of them. On a GPU a grid step
costs the latency of a chain of small kernels whatever its size, so a pack
of 18 runs costs about what one run costs.

- Runs whose step is the same code with the same numbers, apart from their
  seeds, widths and data, form one *branch*: a single seed-stacked step at
  the widest member's width. A narrower member's hidden units are padded
  with zeros; a zero unit stays zero (its incoming gradient is multiplied by
  its outgoing weights, which are zero, and its outgoing gradient by its
  activation, which is zero), so padding changes no number but rounding.
- Branches with other kernels or model types run one after the other inside
  the pack's step (`PackStep`); a graph captures all of them.
- Each member keeps its own run (`TrainingRun`, as it would train alone): its
  sampler draws the member's minibatches and Gaussian draws from the
  member's own streams, and its networks, optimisers and step streams hold
  the member's state whenever the pack exports to it: at its checkpoints
  (written in the member's own file, in the format of a run trained alone,
  so either can resume the other) and at the end. A non-finite loss ends
  that member only; its last good checkpoint is kept.

Members must share the loop's schedule (iterations, log_every,
checkpoint_every, snapshots) and their batch size; `couae.grid.packs`
builds packs of grid runs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from .accelerate import AcceleratedStep, accelerated, mode_for
from .training import NonFiniteLossError, TrainingRun

log = logging.getLogger(__name__)


def _block(tensor: torch.Tensor, offset: int, shape) -> torch.Tensor:
    """The view of a stacked `tensor` that holds a member's tensor of `shape`:
    its seeds from `offset` on, and the leading part of every other axis (a
    narrower member's units are the first ones, the rest padding)."""
    if tensor.dim() == 0:
        return tensor
    return tensor[(slice(offset, offset + shape[0]), *(slice(0, n) for n in shape[1:]))]


@torch.no_grad()
def _put(stacked: torch.Tensor, offset: int, own: torch.Tensor) -> None:
    """Write a member's tensor into its place of `stacked`, zeroing its padding."""
    if stacked.dim() == 0:
        stacked.copy_(own)
        return
    stacked[offset : offset + own.shape[0]].zero_()
    _block(stacked, offset, own.shape).copy_(own)


def _stream_index(name: str) -> tuple[str, int]:
    """'kernel_features/3' -> ('kernel_features', 3): a step's per-seed streams are named '<stream>/<seed index>'."""
    stream, _, index = name.rpartition("/")
    return stream, int(index)


@dataclass
class Member:
    """One run of a pack: its own `run`, where its seeds sit in its branch and
    in the pack, and what it had done before the pack started (a resumed run)."""

    run: TrainingRun
    checkpoint_path: object
    fingerprint: str
    branch: int = 0
    offset: int = 0  # first seed in its branch
    start: int = 0  # first seed in the pack
    data_offset: int = 0  # first training point in the pack's data
    first_step: int = 0  # where this process found it (0, or the step its checkpoint holds)
    mode: str = "eager"  # how its branch's step ran in this process (couae.core.accelerate)
    error: NonFiniteLossError | None = None  # set when a non-finite loss ended it
    before: dict = field(default_factory=dict)  # history, snapshots and seconds at the pack's start

    @property
    def n_seeds(self) -> int:
        return len(self.run.sampler.seeds)

    @property
    def seeds(self) -> slice:
        return slice(self.start, self.start + self.n_seeds)


class PackSampler:
    """The members' own samplers, drawn one after the other and stacked: the
    pack's seed axis is the members' seeds in pack order; indices point into
    the pack's concatenated data; each branch's draws are named '<branch>/<draw>'."""

    def __init__(self, members: list[Member], branches: list[list[int]]):
        self.members, self.branches = members, branches
        self.seeds = [s for m in members for s in m.run.sampler.seeds]

    def draw(self, n_steps: int) -> dict[str, torch.Tensor]:
        own = [m.run.sampler.draw(n_steps) for m in self.members]
        out = {"idx": torch.cat([d["idx"] + m.data_offset for d, m in zip(own, self.members, strict=True)], 1)}
        for b, indices in enumerate(self.branches):
            for name in own[indices[0]]:
                if name != "idx":
                    out[f"{b}/{name}"] = torch.cat([own[k][name] for k in indices], 1)
        return out

    def state_dict(self) -> list:
        return [m.run.sampler.state_dict() for m in self.members]

    def load_state_dict(self, states) -> None:
        for member, state in zip(self.members, states, strict=True):
            member.run.sampler.load_state_dict(state)


class PackStep:
    """The branches' steps called one after the other on their seeds' slices
    of the batch; their loss terms padded with zeros to the longest."""

    sampling_network = None  # a pack generates nothing: each member's own run does
    autocast_dtype = None

    def __init__(self, branches: list, sizes: list[int], streams: bool = False):
        self.branches, self.sizes = branches, sizes
        self.n_terms = max(len(b.term_names) for b in branches)
        self.term_names = tuple(f"term{k}" for k in range(self.n_terms))
        # on CUDA, each branch on a stream of its own: a graph captured from them replays the
        # branches side by side instead of one after the other (their kernels are latency-bound)
        self.streams = streams and len(branches) > 1
        self._streams: list | None = None

    @property
    def graph_safe(self) -> bool:
        return all(getattr(b, "graph_safe", False) for b in self.branches)

    @property
    def compile_pays_on_cpu(self) -> bool:
        return all(getattr(b, "compile_pays_on_cpu", False) for b in self.branches)

    def _named(self, what: str) -> dict:
        return {f"{b}/{name}": v for b, step in enumerate(self.branches) for name, v in getattr(step, what)().items()}

    def networks(self):
        return self._named("networks")

    def optimizers(self):
        return self._named("optimizers")

    def gaussian_draws(self):
        return self._named("gaussian_draws")

    def generators(self):
        return self._named("generators")

    def draw_block(self, n_steps: int) -> dict[str, torch.Tensor]:
        """The branches' own block draws (`UpdateStep.draw_block`), named '<branch>/<draw>'."""
        out = {}
        for b, step in enumerate(self.branches):
            if getattr(step, "draw_block", None) is not None:
                out.update({f"{b}/{name}": v for name, v in step.draw_block(n_steps).items()})
        return out

    def after_block(self, step: int, row: torch.Tensor) -> None:
        """Each branch fills its own seeds' rows of the block's history row."""
        start = 0
        for branch, size in zip(self.branches, self.sizes, strict=True):
            if getattr(branch, "after_block", None) is not None:
                branch.after_block(step, row[start : start + size, : len(branch.term_names)])
            start += size

    def __call__(self, x, draws):
        side = self.streams and x.is_cuda
        if side and self._streams is None:
            self._streams = [torch.cuda.Stream(x.device) for _ in self.branches]
        main = torch.cuda.current_stream(x.device) if side else None
        out, start = [], 0
        for b, (step, size) in enumerate(zip(self.branches, self.sizes, strict=True)):
            prefix = f"{b}/"
            own = {name[len(prefix) :]: v for name, v in draws.items() if name.startswith(prefix)}
            if side:  # forks from the main stream, joins it below (a graph's capture records both)
                self._streams[b].wait_stream(main)
                with torch.cuda.stream(self._streams[b]):
                    terms = self.padded(step(x[start : start + size], own))
                terms.record_stream(main)  # made on the branch's stream, read on the main one after the join
            else:
                terms = self.padded(step(x[start : start + size], own))
            out.append(terms)
            start += size
        if side:
            for stream in self._streams:
                main.wait_stream(stream)
        return torch.cat(out, 0)

    def padded(self, terms: torch.Tensor) -> torch.Tensor:
        """A branch's terms (S, its terms) with zeros up to the pack's count."""
        return F.pad(terms, (0, self.n_terms - terms.shape[-1]))


def accelerate_pack(step: PackStep, requested: str, device, backend: str = "inductor", steps=None):
    """The pack's step under the compile mode `requested` (for a run of
    `steps`): captured whole as one CUDA graph where every branch would be
    graphed, else each branch in its own mode (a branch no graph can hold does
    not keep the others eager)."""
    modes = [mode_for(requested, device, b, steps=steps) for b in step.branches]
    if len(modes) > 1 and all(m == "graphed" for m in modes):
        return AcceleratedStep(step, "graphed", backend)
    step.branches = [accelerated(b, requested, device, backend=backend, steps=steps) for b in step.branches]
    return step


class PackRun(TrainingRun):
    """A TrainingRun of a pack (its step a PackStep, its sampler a
    PackSampler): `train` runs it like any run; its checkpoints are its
    members' own, and a non-finite loss ends only the member it hit."""

    members: list[Member]

    @classmethod
    def build(cls, members: list[Member], branch_steps: list, data: torch.Tensor, streams: bool = False) -> PackRun:
        """A pack of `members` (in pack order, grouped by branch, each with its
        `branch` set) on the branches' steps, starting from each member's run."""
        order = [m.branch for m in members]
        if order != sorted(order):
            raise ValueError("a pack's members come grouped by branch, in branch order")
        branches = [[k for k, m in enumerate(members) if m.branch == b] for b in range(len(branch_steps))]
        sizes, start, data_offset = [], 0, 0
        for indices in branches:
            offset = 0
            for k in indices:
                member = members[k]
                member.offset, member.start, member.data_offset = offset, start, data_offset
                offset += member.n_seeds
                start += member.n_seeds
                data_offset += len(member.run.data)
            sizes.append(offset)
        steps = {(m.run.step, None if m.run.block is None else m.run.block["done"]) for m in members}
        if len(steps) != 1:
            raise ValueError(f"a pack's members start from one step; these from {sorted(steps, key=str)}")
        pack = cls(PackStep(branch_steps, sizes, streams), PackSampler(members, branches), data)
        pack.members = members
        for member in members:
            pack._import(member)
        pack.step = members[0].run.step
        if members[0].run.block is not None:
            pack.block = {
                "done": members[0].run.block["done"],
                "terms": torch.cat([pack.step_fn.padded(m.run.block["terms"]) for m in members], 1),
                # each run's sampler and streams already stand at its block's start
                "sampler": pack.sampler.state_dict(),
                "streams": {name: g.get_state() for name, g in pack.step_fn.generators().items()},
            }
        return pack

    # --- members in and out ------------------------------------------------------------

    def _branch(self, member: Member):
        return self.step_fn.branches[member.branch]

    def _network_tensors(self, member: Member):
        """(member tensor, stacked tensor) of every network parameter and buffer."""
        stacked = self._branch(member).networks()
        for name, net in member.run.step_fn.networks().items():
            state = stacked[name].state_dict()
            for key, value in net.state_dict().items():
                yield value, state[key]

    def _optimizer_params(self, member: Member):
        """(member parameter, its optimiser, stacked parameter, its optimiser) of every optimised parameter."""
        stacked = self._branch(member).optimizers()
        for name, opt in member.run.step_fn.optimizers().items():
            for group, stacked_group in zip(opt.param_groups, stacked[name].param_groups, strict=True):
                for p, q in zip(group["params"], stacked_group["params"], strict=True):
                    yield p, opt, q, stacked[name]

    def _streams(self, member: Member):
        """(member generator, stacked generator) of each of the step's per-seed streams."""
        stacked = self._branch(member).generators()
        for name, gen in member.run.step_fn.generators().items():
            stream, index = _stream_index(name)
            yield gen, stacked[f"{stream}/{member.offset + index}"]

    @torch.no_grad()
    def _import(self, member: Member) -> None:
        """Put the member's state (fresh, or resumed from its checkpoint) into the pack."""
        run = member.run
        member.before = {
            "history_steps": list(run.history_steps),
            "history": list(run.history),
            "snapshots": dict(run.snapshots),
            "training_seconds": run.training_seconds,
        }
        for own, stacked in self._network_tensors(member):
            _put(stacked, member.offset, own)
        for p, opt, q, stacked in self._optimizer_params(member):
            own = opt.state.get(p, {})
            if not own:
                continue
            state = stacked.state.setdefault(q, {})
            for key, value in own.items():
                if key not in state:
                    state[key] = torch.zeros_like(q) if value.dim() else value.clone()
                _put(state[key], member.offset, value)
        for own, stacked in self._streams(member):
            stacked.set_state(own.get_state())

    @torch.no_grad()
    def export(self, member: Member, history_only: bool = False) -> None:
        """Put the member's part of the pack into its own run: what the run
        would hold had it trained alone."""
        run, before = member.run, member.before
        n = len(run.step_fn.term_names)
        run.history_steps = before["history_steps"] + list(self.history_steps)
        run.history = before["history"] + [row[member.seeds, :n].clone() for row in self.history]
        run.step = self.step
        run.training_seconds = before["training_seconds"] + self.training_seconds
        if history_only:
            return
        run.snapshots = dict(before["snapshots"])
        for step, state in self.snapshots.items():
            run.snapshots[step] = self._own_snapshot(member, state)
        for own, stacked in self._network_tensors(member):
            own.copy_(_block(stacked, member.offset, own.shape))
        for p, opt, q, stacked in self._optimizer_params(member):
            state = stacked.state.get(q)
            if state:  # none before the first step
                opt.state[p] = {
                    k: _block(v, member.offset, p.shape if v.dim() else ()).clone() for k, v in state.items()
                }
        stacked = self._branch(member).optimizers()
        for name, opt in run.step_fn.optimizers().items():
            for group, stacked_group in zip(opt.param_groups, stacked[name].param_groups, strict=True):
                lr = stacked_group["lr"]  # a schedule's (the Coulomb GAN's decay): a float, or a tensor it moves
                if torch.is_tensor(group["lr"]):
                    group["lr"].copy_(lr)
                else:
                    group["lr"] = float(lr)
        for own, stacked in self._streams(member):
            own.set_state(stacked.get_state())
        run.block = None
        if self.block is not None:
            streams = self.block.get("streams") or {}
            run.block = {
                "done": self.block["done"],
                "terms": self.block["terms"][:, member.seeds, :n].clone(),
                "sampler": self.block["sampler"][self.members.index(member)],
                "streams": {
                    name: streams[f"{member.branch}/{stream}/{member.offset + index}"]
                    for name in member.run.step_fn.generators()
                    for stream, index in [_stream_index(name)]
                    if f"{member.branch}/{stream}/{member.offset + index}" in streams
                },
            }

    def _own_snapshot(self, member: Member, state: dict) -> dict:
        shapes = {name: net.state_dict() for name, net in member.run.step_fn.networks().items()}
        return {
            name: {
                key: _block(state[f"{member.branch}/{name}"][key], member.offset, value.shape).clone()
                for key, value in own.items()
            }
            for name, own in shapes.items()
        }

    # --- what train() asks of a run -------------------------------------------------------

    @property
    def live(self) -> list[Member]:
        return [m for m in self.members if m.error is None]

    def save_checkpoint(self, path, fingerprint: str) -> None:
        """Each live member's own checkpoint (`path` and `fingerprint` are the pack's: unused)."""
        for member in self.live:
            self.export(member)
            member.run.save_checkpoint(member.checkpoint_path, member.fingerprint)

    def check_finite(self, terms: torch.Tensor, last_checkpoint: int | None) -> None:
        """End each member with a non-finite loss in `terms`; raise when none is left."""
        finite = torch.isfinite(terms).all(-1)  # (steps, seeds)
        if bool(finite.all()):
            return
        for member in self.live:
            own = finite[:, member.seeds]
            if bool(own.all()):
                continue
            t, s = (~own).nonzero()[0].tolist()
            member.error = NonFiniteLossError(self.step + t + 1, member.run.sampler.seeds[s], last_checkpoint)
            log.error("%s (%s); the pack's other runs go on", member.error, member.checkpoint_path)
        if not self.live:
            raise self.members[0].error

    def finish(self) -> None:
        """Export every live member: their runs hold their trained state."""
        for member in self.live:
            self.export(member)


PACK_CHECKPOINTS = "each run's own checkpoint"  # what train() names as the pack's checkpoint


def train_members(
    members: list[Member],
    build,
    iterations: int,
    log_every: int,
    checkpoint_every: int,
    snapshot_steps=(),
    on_progress=None,
    stop=None,
) -> None:
    """Train every member to `iterations`. Members that stand at the same
    step form one pack (`build(members) -> PackRun`); after an interruption
    that is all of them, after a changed setting the changed runs start
    afresh while the finished ones are left as they are. Raises Interrupted
    (after every member's checkpoint is written); a non-finite loss ends
    only its member (`Member.error`)."""
    from .training import train

    groups: dict[tuple, list[Member]] = {}
    for member in members:
        if member.run.step >= iterations:
            log.info("%s: finished earlier (step %d), not trained again", member.checkpoint_path, member.run.step)
            continue
        block = member.run.block["done"] if member.run.block is not None else 0
        groups.setdefault((member.run.step, block), []).append(member)
    for (step, _), group in sorted(groups.items()):
        pack = build(group)
        branches = len(pack.step_fn.branches)
        log.info(
            "pack of %d runs (%d seeds, %d branches) from step %d", len(group), len(pack.sampler.seeds), branches, step
        )

        def progress(run, pack=pack):
            for member in pack.live:
                pack.export(member, history_only=True)
            if on_progress is not None:
                on_progress([m for m in pack.live])

        try:
            train(
                pack, iterations, log_every, checkpoint_every, PACK_CHECKPOINTS, "", snapshot_steps, progress, stop=stop
            )
        except NonFiniteLossError:
            pass  # every member of this pack has ended; each carries its error
        pack.finish()
