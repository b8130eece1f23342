"""Training without launch overhead: an update step compiled with
torch.compile, and on CUDA captured once as a CUDA graph and replayed.

A grid step is a few hundred small operations for 10 seeds (about 200 MFLOP),
so eager CUDA is bound by kernel launches, about 1 ms a step whatever the
arithmetic. Replaying a captured graph launches the whole step (forward, the
MMD, backward, Adam) at once.

`AcceleratedStep` wraps an `UpdateStep`: its networks, optimisers and random
streams stay the inner step's (checkpoints see the same objects, and resume
exactly), only the call changes. Modes:

- `eager`: the inner step as it is;
- `compiled`: torch.compile of the step (graph breaks at backward and the
  optimiser step are compiled separately);
- `graphed` (CUDA only, for steps that declare `graph_safe`): the first
  WARMUP calls run eagerly on a side stream (real steps: the allocator and
  cuBLAS settle), the next is captured into a CUDA graph over static input
  buffers and replayed, and every later call copies its inputs into those
  buffers and replays. The optimisers are made capturable first (fused Adam
  keeps its step counts on the device already, also after a resume). The
  inputs come from the sampler's per-seed streams drawn on the CPU as in
  eager mode, so the numbers are the eager path's, up to float rounding.

`mode_for` resolves the config's `auto`: on CUDA, graphed where the data set
allows graphs (the grid: launch-bound) and the step can be captured, else
compiled; on the CPU, compiled for steps whose class says compiling pays
there (`compile_pays_on_cpu`, measured by benchmarks/train_grid.py) when a C++
compiler is at hand (inductor's CPU code is C++), else eager. A run shorter
than COMPILE_MIN_STEPS never compiles under auto: compiling costs 9-30 s a
job on a CPU (benchmarks/train_grid.py) and took most of the 30-81 s of the
quick preset's 100-step CelebA jobs on an H200, while it saves a few
milliseconds a step at most. A graph's capture costs a few eager steps, so
graphs are used at any length.
"""

from __future__ import annotations

import os
import shutil

import torch

MODES = ("auto", "eager", "compiled", "graphed")
WARMUP = 3  # eager calls on a side stream before capture
COMPILE_MIN_STEPS = 20_000  # auto compiles no shorter run: 20,000 steps x ~1 ms saved ~ one compile


def cpp_compiler() -> str | None:
    """The C++ compiler torch.compile's CPU backend would call, if any."""
    return shutil.which(os.environ.get("CXX", "g++")) or shutil.which("c++") or shutil.which("clang++")


def mode_for(requested: str, device, step, graphs: bool = True, cpu_compile: bool = True, steps=None) -> str:
    """The mode `step` runs in: `requested`, with auto resolved for `device`
    (see the module); `graphs` and `cpu_compile` say whether the data set's
    auto uses CUDA graphs and compiles on the CPU at all; `steps`, the run's
    length, where known (auto compiles no run shorter than COMPILE_MIN_STEPS)."""
    if requested not in MODES:
        raise ValueError(f"unknown compile mode {requested!r}; known: {', '.join(MODES)}")
    cuda = torch.device(device).type == "cuda"
    graph_safe = getattr(step, "graph_safe", False)
    if requested == "graphed" and not (cuda and graph_safe):
        raise ValueError("compile mode graphed needs CUDA and a step that a graph can hold (graph_safe)")
    if requested != "auto":
        return requested
    if cuda and graphs and graph_safe:
        return "graphed"
    if steps is not None and steps < COMPILE_MIN_STEPS:
        return "eager"
    if cuda:
        return "compiled"
    pays = cpu_compile and getattr(step, "compile_pays_on_cpu", False)
    return "compiled" if pays and cpp_compiler() is not None else "eager"


def accelerated(step, requested: str, device, graphs=True, cpu_compile=True, backend="inductor", steps=None):
    """`step` as it runs under the config's compile mode `requested` (mode_for's arguments)."""
    mode = mode_for(requested, device, step, graphs, cpu_compile, steps)
    return step if mode == "eager" else AcceleratedStep(step, mode, backend)


class AcceleratedStep:
    """An UpdateStep whose calls run compiled or replayed (see the module)."""

    def __init__(self, step, mode: str, backend: str = "inductor"):
        if mode not in ("compiled", "graphed"):
            raise ValueError(f"AcceleratedStep runs compiled or graphed, not {mode!r} (eager: the step itself)")
        self.inner, self.mode = step, mode
        self._compiled = torch.compile(step.__call__, backend=backend) if mode == "compiled" else None
        self._calls = 0
        self._graph = None
        self._static: dict | None = None

    def __getattr__(self, name):
        # networks(), optimizers(), gaussian_draws(), generators(), term_names, ...: the inner step's
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    def __call__(self, x: torch.Tensor, draws: dict[str, torch.Tensor]) -> torch.Tensor:
        if self.mode == "compiled":
            return self._compiled(x, draws)
        return self._replayed(x, draws)

    def _replayed(self, x, draws):
        self._calls += 1
        if self._calls == 1:  # after any checkpoint was loaded: its param groups say capturable False
            for optimizer in self.inner.optimizers().values():
                for group in optimizer.param_groups:
                    group["capturable"] = True
        if self._calls <= WARMUP:  # real steps, on a side stream, before capture
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):
                out = self.inner(x, draws)
            torch.cuda.current_stream().wait_stream(side)
            return out
        if self._graph is None:
            self._static = {"x": x.clone(), "draws": {k: v.clone() for k, v in draws.items()}}
            self._graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(self._graph):
                self._static["out"] = self.inner(self._static["x"], self._static["draws"])
        else:
            self._static["x"].copy_(x)
            for name, value in draws.items():
                self._static["draws"][name].copy_(value)
        self._graph.replay()  # the capture recorded the step: this replay takes it
        return self._static["out"].clone()
