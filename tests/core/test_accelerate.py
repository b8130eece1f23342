"""The compiled update step against the eager one, on the CPU.

torch.compile's `aot_eager` backend runs Dynamo's tracing (the graph breaks
at backward and the optimiser step, the guards, the functionalised graph) and
AOTAutograd, then executes the graph with PyTorch's own kernels: these tests
check that the compiled step computes what the eager step computes, for
every model type, over 500 steps. Inductor's generated code (the CUDA path's
backend) is checked once where a C++ compiler is at hand; CUDA graphs only run
on a GPU (benchmarks/gpu_check.py).
"""

import dataclasses

import numpy as np
import pytest
import torch

from couae import models
from couae.core import accelerate
from couae.core.training import NonFiniteLossError, train, try_resume
from couae.grid import model as grid_model
from couae.grid.data import make_splits
from helpers import load_config, paper_grid, small_settings

# one experiment of config.yaml per model type (the MMD autoencoder twice: a smooth kernel and Coulomb's)
EXPERIMENTS = {"vae": "vae", "mmd (IMQ)": "wae", "mmd (Coulomb)": "couae", "coulombgan": "coulombgan",
               "learnedkernel": "learnedae"}  # fmt: skip


@pytest.fixture(scope="module")
def train_data():
    sizes = {"train": 500, "validation": 2, "test": 2, "reference": 2}
    return make_splits(paper_grid(), sizes, seed=11)["train"]


def trained(settings, data, steps, **kw):
    return train(grid_model.build_run(settings, data, **kw), steps, 50, steps)


def parameters(run):
    return [p.detach() for net in run.step_fn.networks().values() for p in net.parameters()]


def test_every_model_type_is_in_the_comparison():
    experiments = load_config()["grid"]["experiments"]
    types = {experiments[e]["model"] for e in EXPERIMENTS.values()}
    assert types == set(models.REGISTRY.names()), "a model type is missing from the compiled-step test"


@pytest.mark.parametrize("experiment", list(EXPERIMENTS.values()), ids=list(EXPERIMENTS))
def test_compiled_step_matches_eager_over_500_steps(experiment, train_data):
    settings = small_settings(experiment, width=0.25, iterations=500, log_every=50, checkpoint_every=500)
    start = [p.clone() for p in parameters(grid_model.build_run(settings, train_data))]
    eager = trained(settings, train_data, 500)
    compiled = trained(settings, train_data, 500, compile_mode="compiled", backend="aot_eager")
    assert compiled.step_fn.mode == "compiled" and not hasattr(eager.step_fn, "mode")
    # float32 rounding of a few hundred operations a step, not a different computation
    np.testing.assert_allclose(compiled.history_array(), eager.history_array(), rtol=1e-4, atol=1e-5)
    # Adam moves a weight by about lr a step however small its gradient, so weights
    # whose gradients are rounding noise drift apart: compare what 500 steps changed
    # (measured: equal for the autoencoders, 3e-4 apart for the learned kernel's
    # adversarial networks); a step computing something else is off by order 1
    for ours, ref, first in zip(parameters(compiled), parameters(eager), start, strict=True):
        assert (ours - ref).norm() <= 1e-2 * (ref - first).norm() + 1e-7


def test_compiled_run_resumes_bit_identically_and_stops_at_a_non_finite_loss(tmp_path, train_data):
    settings = small_settings("vae", width=0.25, iterations=200, log_every=50, checkpoint_every=100)
    fp = settings.fingerprint()
    kw = {"compile_mode": "compiled", "backend": "aot_eager"}
    straight = train(grid_model.build_run(settings, train_data, **kw), 200, 50, 100)
    first = grid_model.build_run(settings, train_data, **kw)
    train(first, 100, 50, 100, tmp_path / "ckpt.pt", fp)
    resumed = grid_model.build_run(settings, train_data, **kw)
    assert try_resume(resumed, tmp_path / "ckpt.pt", fp)
    train(resumed, 200, 50, 100, tmp_path / "ckpt.pt", fp)
    np.testing.assert_array_equal(resumed.history_array()[-2:], straight.history_array()[-2:])
    for a, b in zip(parameters(resumed), parameters(straight), strict=True):
        assert torch.equal(a, b)
    resumed.data[:] = float("nan")
    with pytest.raises(NonFiniteLossError) as err:
        train(resumed, 400, 50, 100, tmp_path / "ckpt.pt", fp)
    assert err.value.step == 201  # the first step after the data went bad


def test_compiled_snapshots_are_the_networks_at_their_steps(train_data):
    settings = small_settings("couae", width=0.25, iterations=100, log_every=50, checkpoint_every=100)
    eager = train(grid_model.build_run(settings, train_data), 100, 50, 100, snapshot_steps=[50])
    kw = {"compile_mode": "compiled", "backend": "aot_eager"}
    compiled = train(grid_model.build_run(settings, train_data, **kw), 100, 50, 100, snapshot_steps=[50])
    ours, ref = compiled.snapshots[50], eager.snapshots[50]
    assert ours.keys() == ref.keys()
    for name in ref:
        for key in ref[name]:
            torch.testing.assert_close(ours[name][key], ref[name][key], rtol=1e-5, atol=1e-6)


@pytest.mark.skipif(accelerate.cpp_compiler() is None, reason="inductor's CPU code needs a C++ compiler")
def test_inductor_code_matches_eager_in_float64(train_data):
    """Inductor reorders and fuses sums: in float64 that is rounding at 1e-15.
    CouAE's Coulomb kernel amplifies any rounding difference about 100-fold
    per 100 steps (measured: 2e-14 after 50 steps, 2e-12 after 150, 0.1 after
    500 in parameters, the same in float32 or float64, against eager or a
    second layout), so 50 steps is where a real discrepancy stands out."""
    settings = small_settings("couae", width=0.25, iterations=50, log_every=50, checkpoint_every=50)
    eager = trained(settings, train_data, 50, dtype=torch.float64)
    compiled = trained(settings, train_data, 50, dtype=torch.float64, compile_mode="compiled")
    np.testing.assert_allclose(compiled.history_array(), eager.history_array(), rtol=1e-10, atol=1e-12)
    for ours, ref in zip(parameters(compiled), parameters(eager), strict=True):
        torch.testing.assert_close(ours, ref, rtol=1e-10, atol=1e-12)


def test_auto_resolves_by_device_and_step():
    class Step:
        graph_safe, compile_pays_on_cpu = True, True

    class Ungraphable:
        graph_safe, compile_pays_on_cpu = False, False

    assert accelerate.mode_for("auto", "cuda", Step()) == "graphed"
    assert accelerate.mode_for("auto", "cuda", Step(), graphs=False) == "compiled"  # CelebA
    assert accelerate.mode_for("auto", "cuda", Ungraphable()) == "compiled"
    assert accelerate.mode_for("auto", "cpu", Ungraphable()) == "eager"
    expected = "compiled" if accelerate.cpp_compiler() else "eager"
    assert accelerate.mode_for("auto", "cpu", Step()) == expected
    assert accelerate.mode_for("auto", "cpu", Step(), cpu_compile=False) == "eager"
    # a short run never compiles under auto (compiling would cost more than it saves); graphs still pay
    short = accelerate.COMPILE_MIN_STEPS - 1
    assert accelerate.mode_for("auto", "cuda", Ungraphable(), steps=short) == "eager"
    assert accelerate.mode_for("auto", "cpu", Step(), steps=short) == "eager"
    assert accelerate.mode_for("auto", "cuda", Step(), steps=short) == "graphed"
    assert accelerate.mode_for("auto", "cuda", Ungraphable(), steps=short + 1) == "compiled"
    assert accelerate.mode_for("compiled", "cpu", Step(), steps=short) == "compiled"  # as asked
    with pytest.raises(ValueError, match="graphed needs CUDA"):
        accelerate.mode_for("graphed", "cpu", Step())
    with pytest.raises(ValueError, match="graphed needs CUDA"):
        accelerate.mode_for("graphed", "cuda", Ungraphable())
    with pytest.raises(ValueError, match="unknown compile mode 'fast'"):
        accelerate.mode_for("fast", "cpu", Step())


def test_steps_say_whether_a_graph_can_hold_them(train_data):
    built = {e: grid_model.build_run(small_settings(e), train_data).step_fn for e in EXPERIMENTS.values()}
    assert built["couae"].graph_safe and built["vae"].graph_safe and built["coulombgan"].graph_safe
    assert built["learnedae"].graph_safe  # its features are drawn before each block, its checks run after it
    learned = small_settings("learnedae")
    pair = dataclasses.replace(learned, model_params={**learned.model_params, "data_dependent": True})
    assert not grid_model.build_run(pair, train_data).step_fn.graph_safe  # the pair part: not captured yet
    gan = small_settings("coulombgan")
    decayed = dataclasses.replace(gan, model_params={**gan.model_params, "decay": 0.1})
    assert grid_model.build_run(decayed, train_data).step_fn.graph_safe  # its schedule runs on the device


def test_the_coulomb_gans_decay_lives_in_tensors_updated_in_place(train_data):
    """A CUDA graph replays the tensors it captured: after the first step the
    schedule's lrs and eps are the same tensor objects, moved in place, and
    the compiled step (Dynamo's trace of it) computes the eager step's numbers."""
    gan = small_settings("coulombgan", width=0.25, iterations=100, log_every=50, checkpoint_every=100)
    decayed = dataclasses.replace(gan, model_params={**gan.model_params, "decay": 0.1})
    run = train(grid_model.build_run(decayed, train_data), 50, 50, 100)
    step = run.step_fn
    held = [g["lr"] for opt in step.optimizers().values() for g in opt.param_groups] + [step.kernel.eps]
    train(run, 100, 50, 100)
    now = [g["lr"] for opt in step.optimizers().values() for g in opt.param_groups] + [step.kernel.eps]
    assert all(a is b for a, b in zip(held, now, strict=True)) and all(torch.is_tensor(t) for t in now)
    assert float(now[0]) == pytest.approx(gan.model_params["generator_lr"] * 0.1 ** (99 / 100))
    eager = trained(decayed, train_data, 100)
    compiled = trained(decayed, train_data, 100, compile_mode="compiled", backend="aot_eager")
    np.testing.assert_allclose(compiled.history_array(), eager.history_array(), rtol=1e-4, atol=1e-5)
