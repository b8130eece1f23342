"""The shared training loop: the autoencoders' numbers as the loop before the
update-step refactor produced them, a model with two optimisers resumed
bit-identically, and checkpoints that load without running code."""

import dataclasses
import json
import pickle

import numpy as np
import pytest
import torch
from torch import nn

from couae.celeba import model as celeba_model
from couae.celeba.preprocessing import standin_images
from couae.celeba.settings import celeba_training_settings
from couae.core.seeding import torch_generator
from couae.core.stacked_mlp import StackedMLP
from couae.core.training import (
    CHECKPOINT_FORMAT,
    BatchSampler,
    CheckpointError,
    TrainingRun,
    train,
    try_resume,
)
from couae.grid import model as grid_model
from couae.grid.data import make_splits
from helpers import REPO, CodeCarrier, load_config, paper_grid, small_settings

GOLDEN = json.loads((REPO / "tests/data/training_golden.json").read_text())


@pytest.fixture(scope="module")
def grid_train():
    sizes = {"train": 500, "validation": 200, "test": 200, "reference": 200}
    return make_splits(paper_grid(), sizes, seed=11)["train"]


def parameters(run):
    return [p.detach() for net in run.step_fn.networks().values() for p in net.parameters()]


@pytest.mark.parametrize("experiment", ["vae", "wae", "gaussian", "couae", "plummer"])
def test_grid_numbers_are_those_of_the_loop_before_the_refactor(experiment, grid_train):
    settings = small_settings(experiment)
    if experiment == "plummer":  # the golden numbers were recorded at the kernel's eps 3, before tuning chose 1
        settings = dataclasses.replace(settings, kernel_params={**settings.kernel_params, "eps": 3.0})
    run = grid_model.build_run(settings, grid_train, dtype=torch.float64)
    train(run, settings.iterations, settings.log_every, settings.checkpoint_every)
    golden = GOLDEN["grid"][experiment]
    np.testing.assert_allclose(run.history_array(), golden["history"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose([float(p.sum()) for p in parameters(run)], golden["param_sums"], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose([float(p.square().sum()) for p in parameters(run)], golden["param_sq"], rtol=1e-10)


def small_image_settings(experiment):
    config = load_config(
        {
            "celeba": {
                "model": {"channels": [4, 8, 8, 16], "init": "pytorch"},  # as when the numbers were recorded
                "training": {"batch_size": 8, "iterations": 6, "log_every": 2, "checkpoint_every": 2},
            }
        }
    )
    return celeba_training_settings(config, experiment, 1.0, 0)


@pytest.mark.parametrize("experiment", ["vae", "wae", "couae"])
def test_image_numbers_are_those_of_the_loop_before_the_refactor(experiment):
    # float32 convolutions: other CPUs may round differently, so a looser tolerance;
    # a changed draw order or update would move these numbers by far more.
    run = celeba_model.build_run(small_image_settings(experiment), standin_images(40, 64, 0, "train"))
    train(run, 6, 2, 2)
    golden = GOLDEN["celeba"][experiment]
    np.testing.assert_allclose(run.history_array(), golden["history"], rtol=2e-4, atol=1e-6)
    sums = [float(p.double().sum()) for p in parameters(run)]
    np.testing.assert_allclose(sums, golden["param_sums"], rtol=1e-3, atol=1e-4)


class AdversarialStep:
    """A toy two-player step (a generator and a critic, an optimiser each, two
    Gaussian draws): the shape of a GAN's update, to exercise the loop."""

    term_names = ("generator", "critic")

    def __init__(self, seeds):
        gens = [torch_generator(s, "init/test") for s in seeds]
        self.generator = StackedMLP([2, 8, 2], gens)
        self.critic = StackedMLP([2, 8, 1], gens)
        self.opt_g = torch.optim.Adam(self.generator.parameters(), lr=1e-2)
        self.opt_c = torch.optim.Adam(self.critic.parameters(), lr=1e-2, betas=(0.5, 0.9))

    def networks(self) -> dict[str, nn.Module]:
        return {"generator": self.generator, "critic": self.critic}

    def optimizers(self):
        return {"generator": self.opt_g, "critic": self.opt_c}

    def gaussian_draws(self):
        return {"prior": 2, "critic_prior": 2}

    def generators(self):
        return {}  # every draw comes from the sampler

    def __call__(self, x, draws):
        fake = self.generator(draws["critic_prior"]).detach()
        critic_loss = (self.critic(fake) - self.critic(x)).mean((1, 2))
        self.opt_c.zero_grad(set_to_none=True)
        critic_loss.sum().backward()
        self.opt_c.step()
        generator_loss = -self.critic(self.generator(draws["prior"])).mean((1, 2))
        self.opt_g.zero_grad(set_to_none=True)
        generator_loss.sum().backward()
        self.opt_g.step()
        return torch.stack([generator_loss, critic_loss], -1).detach()


def adversarial_run(data, seeds=(1, 2)):
    step = AdversarialStep(seeds)
    return TrainingRun(step, BatchSampler(seeds, len(data), 16, step.gaussian_draws()), torch.as_tensor(data))


def test_two_optimiser_model_resumes_bit_identically(tmp_path, grid_train):
    data = grid_train.astype(np.float32)
    straight = train(adversarial_run(data), 60, 10, 20)
    first = adversarial_run(data)
    train(first, 40, 10, 20, tmp_path / "ckpt.pt", "fp")
    state = torch.load(tmp_path / "ckpt.pt", weights_only=True)
    assert state["format"] == CHECKPOINT_FORMAT and state["step"] == 40
    assert set(state["networks"]) == {"generator", "critic"} and set(state["optimizers"]) == {"generator", "critic"}
    assert len(state["sampler"]) == 2  # one generator state per seed
    resumed = adversarial_run(data)
    assert try_resume(resumed, tmp_path / "ckpt.pt", "fp") and resumed.step == 40
    train(resumed, 60, 10, 20, tmp_path / "ckpt.pt", "fp")
    assert all(torch.equal(a, b) for a, b in zip(parameters(straight), parameters(resumed), strict=True))
    assert np.array_equal(straight.history_array(), resumed.history_array())
    assert straight.history_array().shape == (6, 2, 2)


def test_checkpoint_of_another_model_is_refused_naming_the_parts(tmp_path, grid_train):
    settings = small_settings("couae")
    ae = grid_model.build_run(settings, grid_train)
    train(ae, 20, 20, 20, tmp_path / "ckpt.pt", "fp")
    with pytest.raises(CheckpointError, match=r"networks \['decoder', 'encoder'\], this run \['critic', 'generator'\]"):
        try_resume(adversarial_run(grid_train.astype(np.float32), seeds=(3, 5, 7)), tmp_path / "ckpt.pt", "fp")


def test_a_checkpoint_carrying_code_is_refused_without_running_it(tmp_path, grid_train):
    ran = tmp_path / "code-ran"
    torch.save({"format": CHECKPOINT_FORMAT, "fingerprint": "fp", "payload": CodeCarrier(ran)}, tmp_path / "ckpt.pt")
    run = grid_model.build_run(small_settings(), grid_train)
    with pytest.raises(CheckpointError, match="ckpt.pt"):
        try_resume(run, tmp_path / "ckpt.pt", "fp")
    assert not ran.exists()


def test_a_checkpoint_of_the_earlier_format_is_refused_and_kept(tmp_path, grid_train):
    path = tmp_path / "ckpt.pt"
    with open(path, "wb") as fh:  # format 1 held numpy arrays, which weights_only loading refuses
        torch.save({"fingerprint": "fp", "step": 20, "history": [np.zeros(3)]}, fh, pickle_module=pickle)
    run = grid_model.build_run(small_settings(), grid_train)
    with pytest.raises(CheckpointError, match="move .*ckpt.pt away"):
        try_resume(run, path, "fp")
    assert path.exists() and run.step == 0


def state_equal(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_snapshots_are_the_networks_of_shorter_runs_and_survive_a_resume(tmp_path, grid_train):
    settings = small_settings("couae", iterations=60, snapshots=[20, 40])
    assert settings.snapshots == (20, 40)
    full = train(grid_model.build_run(settings, grid_train), 60, 20, 20, snapshot_steps=settings.snapshots)
    assert sorted(full.snapshots) == [20, 40]
    shorter = train(grid_model.build_run(settings, grid_train), 40, 20, 20)
    for name, net in shorter.step_fn.networks().items():
        assert state_equal(full.snapshots[40][name], net.state_dict())
    # killed after the step-40 checkpoint: the resumed run still holds the earlier snapshots
    first = grid_model.build_run(settings, grid_train)
    train(first, 40, 20, 20, tmp_path / "ckpt.pt", "fp", snapshot_steps=settings.snapshots)
    resumed = grid_model.build_run(settings, grid_train)
    assert try_resume(resumed, tmp_path / "ckpt.pt", "fp")
    train(resumed, 60, 20, 20, tmp_path / "ckpt.pt", "fp", snapshot_steps=settings.snapshots)
    for step in (20, 40):
        for name in ("encoder", "decoder"):
            assert state_equal(resumed.snapshots[step][name], full.snapshots[step][name])


def test_snapshot_steps_must_fall_on_block_ends(grid_train):
    with pytest.raises(ValueError, match=r"snapshot steps \[30\] must be multiples of log_every=20"):
        train(grid_model.build_run(small_settings(), grid_train), 60, 20, 20, snapshot_steps=(30,))


def test_progress_is_logged_and_reported_while_training(grid_train, caplog):
    settings = small_settings()
    seen = []
    with caplog.at_level("INFO", logger="couae.core.training"):
        train(
            grid_model.build_run(settings, grid_train),
            60,
            20,
            20,
            on_progress=lambda run: seen.append((run.step, len(run.history))),
            progress_seconds=0.0,
        )
    lines = [r.getMessage() for r in caplog.records if "ETA" in r.getMessage()]
    assert lines[-1].startswith("step 60/60 (100%):") and lines[-1].endswith("ETA 0:00:00")
    assert any(line.startswith("step 7/60 (12%)") for line in lines)  # inside a block too
    # the callback sees the history so far at each block end: loss.csv grows as training goes
    assert [step for step, _ in seen] == [20, 40, 60]
    assert [n for _, n in seen] == [1, 2, 3]
    quiet = []
    train(grid_model.build_run(settings, grid_train), 60, 20, 20, on_progress=quiet.append)
    assert [run.step for run in quiet] == [60]  # by default only every minute, and at the end
