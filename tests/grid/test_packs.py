"""Packs (couae.core.pack, couae.grid.packs): runs of several rows, widths and
both grid variants stacked into one step compute what each run computes alone.

float64 throughout: in float32 two layouts' roundings differ from the first
step. On a CPU, fused Adam runs a vectorised loop and a scalar tail whose
roundings differ by one unit in the last place, and where an element falls
depends on the stacked tensor's size; with per-tensor Adam (fused off) a run
whose width is the branch's own is bit-identical to the run alone. A padded
width changes the matrix products' sums by rounding only, and CouAE's Coulomb
kernel amplifies any rounding difference (about 100-fold per 100 steps;
tests/core/test_accelerate.py), so its padded runs are compared on their
first step's gradients, and their padding must stay exactly zero.
"""

import dataclasses

import numpy as np
import pytest
import torch

from couae.core.pack import Member
from couae.core.training import Interrupted, NonFiniteLossError, train, try_resume
from couae.grid import model as grid_model
from couae.grid import packs
from couae.grid.data import make_splits
from helpers import paper_grid, small_settings

STEPS = 500


@pytest.fixture(scope="module")
def data():
    sizes = {"train": 500, "validation": 2, "test": 2, "reference": 2}
    return {v: make_splits(paper_grid(v), sizes, seed=11)["train"] for v in ("cited", "narrow")}


@pytest.fixture
def per_tensor_adam(monkeypatch):
    monkeypatch.setattr(grid_model.GridNetworks, "fused", False)


def jobs(tmp_path, data, specs, **training):
    """PackedRuns of (experiment, width, variant), each with its own checkpoint file."""
    out = []
    for experiment, width, variant in specs:
        settings = small_settings(experiment, width, variant, **{"iterations": STEPS, "log_every": 50,
                                  "checkpoint_every": STEPS, **training})  # fmt: skip
        settings = dataclasses.replace(
            settings, model_params={**settings.model_params, **LIGHT.get(settings.model, {})}
        )
        out.append(packs.PackedRun(settings, data[variant], tmp_path / f"{experiment}_{width}_{variant}.pt"))
    return out


# the extension rows' own networks, smaller: the same code paths in a fraction of the time
LIGHT = {"coulombgan": {"discriminator_hidden": 32}, "learnedkernel": {"features": 64, "jacobian_pairs": 8}}


def alone(job, steps=None, **kw):
    """The job's run trained by itself."""
    s = job.settings
    run = grid_model.build_run(s, job.train_data, dtype=torch.float64)
    return train(run, steps or s.iterations, s.log_every, s.checkpoint_every, snapshot_steps=s.snapshots, **kw)


def tensors(run):
    return {f"{n}.{k}": v for n, net in run.step_fn.networks().items() for k, v in net.state_dict().items()}


# every model type, both variants, one width per branch: nothing padded
UNPADDED = [("couae", 0.25, "narrow"), ("couae", 0.25, "cited"), ("wae", 0.25, "cited"), ("vae", 0.25, "narrow"),
            ("coulombgan", 0.25, "cited"), ("coulombgan", 0.25, "narrow"), ("learnedae", 0.25, "narrow")]  # fmt: skip


@pytest.mark.slow
def test_a_pack_without_padding_is_bit_identical_to_each_run_alone(tmp_path, data, per_tensor_adam):
    runs = jobs(tmp_path, data, UNPADDED, snapshots=[100])
    members = packs.train_pack(runs, "cpu", torch.float64)
    assert len({m.branch for m in members}) == 6  # CouAE's variants share a branch; the GAN's eps differ
    for job, member in zip(runs, members, strict=True):
        ref = alone(job)
        ours, theirs = tensors(member.run), tensors(ref)
        assert all(torch.equal(ours[k], theirs[k]) for k in theirs), job.settings.experiment
        # the logged block means: the same numbers, averaged over a tensor of another size
        np.testing.assert_allclose(member.run.history_array(), ref.history_array(), rtol=1e-14, atol=1e-15)
        assert member.run.history_steps == ref.history_steps and member.run.step == STEPS
        for name, state in ref.snapshots[100].items():
            assert all(torch.equal(member.run.snapshots[100][name][k], v) for k, v in state.items())
        np.testing.assert_array_equal(grid_model.generate(member.run, 50), grid_model.generate(ref, 50))


PADDED = [("couae", 0.25, "narrow"), ("couae", 1.0, "cited"), ("couae", 0.5, "narrow"),
          ("vae", 0.25, "cited"), ("vae", 1.0, "narrow"), ("coulombgan", 0.25, "narrow")]  # fmt: skip


def pack_of(runs):
    group = [packs.member(j, "cpu", torch.float64) for j in runs]
    return packs.build_pack(group, [j.settings for j in runs], "cpu", torch.float64)


def own_parts(pack):
    """(member, its parameter, the stacked parameter's rows of its seeds, the stacked parameter) of every member."""
    for m in pack.members:
        branch = pack.step_fn.branches[m.branch]
        for name, net in m.run.step_fn.networks().items():
            for p, q in zip(net.parameters(), branch.networks()[name].parameters(), strict=True):
                yield m, p, q[m.offset : m.offset + p.shape[0]], q


def test_padded_widths_compute_each_runs_numbers(tmp_path, data):
    """First step: every gradient within 1e-12 of the run alone's; 500 steps:
    the VAE's curves within 1e-9 (no amplification); 100 steps: every padded
    unit still exactly zero, in the weights and in Adam's moments."""
    runs = jobs(tmp_path, data, PADDED)
    pack = pack_of(runs)
    train(pack, 1, 1, 1)
    for m in pack.members:  # in pack order: grouped by branch
        job = next(j for j in runs if j.checkpoint == m.checkpoint_path)
        for name, net in alone(job, 1).step_fn.networks().items():
            stacked = pack.step_fn.branches[m.branch].networks()[name]
            for (key, r), q in zip(net.named_parameters(), stacked.parameters(), strict=True):
                ours = q.grad[tuple(slice(o, o + n) for o, n in zip((m.offset, 0, 0), r.shape, strict=True))]
                torch.testing.assert_close(ours, r.grad, rtol=1e-12, atol=1e-14, msg=f"{job.settings.experiment} {key}")
    vae = [job for job in jobs(tmp_path / "vae", data, PADDED) if job.settings.experiment == "vae"]
    for job, member in zip(vae, packs.train_pack(vae, "cpu", torch.float64), strict=True):
        np.testing.assert_allclose(member.run.history_array(), alone(job).history_array(), rtol=1e-9)
    pack = pack_of(jobs(tmp_path / "hundred", data, PADDED))
    train(pack, 100, 50, 100)
    for m, p, mine, q in own_parts(pack):
        padding = torch.ones_like(mine, dtype=torch.bool)
        padding[tuple(slice(0, n) for n in p.shape)] = False
        moments = [v for opt in pack.step_fn.branches[m.branch].optimizers().values()
                   for v in opt.state.get(q, {}).values() if v.dim()]  # fmt: skip
        for values in [mine, *(v[m.offset : m.offset + p.shape[0]] for v in moments)]:
            assert torch.count_nonzero(values[padding]) == 0


def test_a_resumed_pack_equals_an_uninterrupted_one_and_its_checkpoints_resume_alone(tmp_path, data, per_tensor_adam):
    specs = [("couae", 0.5, "narrow"), ("wae", 0.5, "cited"), ("vae", 0.5, "cited")]
    straight = packs.train_pack(jobs(tmp_path / "straight", data, specs, iterations=200, checkpoint_every=100),
                                "cpu", torch.float64)  # fmt: skip
    cut = jobs(tmp_path / "cut", data, specs, iterations=100, checkpoint_every=100)
    packs.train_pack(cut, "cpu", torch.float64)  # "killed" after the step-100 checkpoint
    resumed = packs.train_pack(jobs(tmp_path / "cut", data, specs, iterations=200, checkpoint_every=100),
                               "cpu", torch.float64)  # fmt: skip
    for a, b in zip(straight, resumed, strict=True):
        assert all(torch.equal(x, y) for x, y in zip(tensors(a.run).values(), tensors(b.run).values(), strict=True))
        assert np.array_equal(a.run.history_array(), b.run.history_array())
    # a pack member's checkpoint is a run's checkpoint: the run alone resumes it
    job = jobs(tmp_path / "cut", data, specs[:1], iterations=200, checkpoint_every=100)[0]
    finished_alone = grid_model.build_run(job.settings, job.train_data, dtype=torch.float64)
    assert try_resume(finished_alone, job.checkpoint, job.settings.fingerprint()) and finished_alone.step == 200
    assert all(torch.equal(x, y) for x, y in zip(tensors(finished_alone).values(), tensors(resumed[0].run).values()))
    assert np.array_equal(finished_alone.history_array(), resumed[0].run.history_array())


def test_a_signal_inside_a_block_stops_every_member_and_the_resumed_pack_is_bit_identical(tmp_path, data):
    specs = [("couae", 0.5, "narrow"), ("vae", 0.25, "cited")]
    straight = packs.train_pack(jobs(tmp_path / "straight", data, specs, iterations=100, log_every=100,
                                     checkpoint_every=100), "cpu", torch.float64)  # fmt: skip
    stopped = jobs(tmp_path / "stopped", data, specs, iterations=100, log_every=100, checkpoint_every=100)
    calls = []

    def stop():
        calls.append(1)
        return len(calls) > 30

    with pytest.raises(Interrupted):
        packs.train_pack(stopped, "cpu", torch.float64, stop=stop)
    for job in stopped:
        saved = torch.load(job.checkpoint, weights_only=True)
        assert saved["step"] == 0 and saved["block"]["done"] == 31
    resumed = packs.train_pack(stopped, "cpu", torch.float64)
    for a, b in zip(straight, resumed, strict=True):
        assert all(torch.equal(x, y) for x, y in zip(tensors(a.run).values(), tensors(b.run).values(), strict=True))
        assert np.array_equal(a.run.history_array(), b.run.history_array())


def test_a_non_finite_loss_ends_its_run_only(tmp_path, data):
    from couae.core.pack import PACK_CHECKPOINTS

    specs = [("couae", 0.5, "narrow"), ("wae", 0.5, "narrow"), ("vae", 0.5, "cited")]
    runs = jobs(tmp_path, data, specs, iterations=200, checkpoint_every=50)
    clean = packs.train_pack(jobs(tmp_path / "clean", data, specs, iterations=200, checkpoint_every=50),
                             "cpu", torch.float64)  # fmt: skip
    group = [packs.member(j, "cpu", torch.float64) for j in runs]
    pack = packs.build_pack(group, [j.settings for j in runs], "cpu", torch.float64)
    train(pack, 100, 50, 50, PACK_CHECKPOINTS)
    wae = group[1]
    # which later step first draws the WAE run's training row 17? replay its sampler to know
    replay = grid_model.build_run(runs[1].settings, data["narrow"])
    replay.sampler.load_state_dict(wae.run.sampler.state_dict())
    hits = (replay.sampler.draw(100)["idx"] == 17).any(-1).any(-1)
    first = int(hits.nonzero()[0])
    pack.data[wae.data_offset + 17] = float("nan")
    train(pack, 200, 50, 50, PACK_CHECKPOINTS)
    pack.finish()
    assert [m.error is None for m in group] == [True, False, True]
    assert isinstance(wae.error, NonFiniteLossError) and wae.error.step == 100 + first + 1
    # its last good checkpoint is kept, never overwritten after
    assert torch.load(runs[1].checkpoint, weights_only=True)["step"] == 100 + first // 50 * 50
    for k in (0, 2):  # the others' numbers are those of the pack without the bad point
        assert group[k].run.step == 200
        assert all(torch.equal(x, y) for x, y in zip(tensors(clean[k].run).values(), tensors(group[k].run).values()))
        assert np.array_equal(clean[k].run.history_array(), group[k].run.history_array())


def test_a_changed_run_trains_again_alone_and_the_finished_ones_are_kept(tmp_path, data, caplog):
    specs = [("couae", 0.5, "narrow"), ("wae", 0.5, "cited")]
    runs = jobs(tmp_path, data, specs, iterations=100, checkpoint_every=100)
    first = packs.train_pack(runs, "cpu", torch.float64)
    changed = dataclasses.replace(runs[0].settings, lr=5.0e-4)
    again = [dataclasses.replace(runs[0], settings=changed), runs[1]]
    with caplog.at_level("INFO"):
        second = packs.train_pack(again, "cpu", torch.float64)
    assert "wae_0.5_cited.pt: finished earlier (step 100), not trained again" in caplog.text
    assert "pack of 1 runs" in caplog.text
    assert all(torch.equal(x, y) for x, y in zip(tensors(first[1].run).values(), tensors(second[1].run).values()))
    ref = alone(again[0])  # a pack of one run is that run (the same tensors, so fused Adam rounds alike)
    assert all(torch.equal(x, y) for x, y in zip(tensors(ref).values(), tensors(second[0].run).values()))


def test_runs_share_a_branch_unless_their_step_reads_a_scale_they_differ_in():
    gan = {v: small_settings("coulombgan", 0.5, v) for v in ("cited", "narrow")}
    assert packs.branch_key(gan["cited"]) != packs.branch_key(gan["narrow"])  # eps in each grid's stds
    absolute = {v: dataclasses.replace(s, model_params={**s.model_params, "kernel_scale": "absolute"})
                for v, s in gan.items()}  # fmt: skip
    assert packs.branch_key(absolute["cited"]) == packs.branch_key(absolute["narrow"])
    couae = [small_settings("couae", w, v) for w in (0.25, 1.0) for v in ("cited", "narrow")]
    assert len({packs.branch_key(s) for s in couae}) == 1
    assert packs.branch_key(small_settings("couae")) != packs.branch_key(small_settings("wae"))


def test_a_step_reading_an_undeclared_scale_is_refused(monkeypatch):
    from couae.models.coulombgan import CoulombGAN

    monkeypatch.setattr(CoulombGAN, "data_scales", lambda self, params: ())
    settings = small_settings("coulombgan")
    with pytest.raises(RuntimeError, match="reads the data's std, which its model type's data_scales does not declare"):
        settings.model_type.build_step(packs.BranchNetworks(settings, list(settings.seeds), "cpu", torch.float64))


def test_runs_of_one_pack_share_the_loop():
    runs = [small_settings("couae"), small_settings("wae", log_every=10)]
    with pytest.raises(ValueError, match="share grid.training.log_every"):
        packs.check_shared(runs)


def test_members_come_grouped_by_branch(data):
    from couae.core.pack import PackRun

    run = grid_model.build_run(small_settings("couae"), data["narrow"])
    members = [Member(run, "a", "", branch=1), Member(run, "b", "", branch=0)]
    with pytest.raises(ValueError, match="grouped by branch"):
        PackRun.build(members, [None, None], run.data)


def test_the_coulomb_gans_decay_in_a_pack_is_the_runs_own(tmp_path, data, per_tensor_adam):
    """Its lrs and eps decay from the step count each run carries (a device tensor schedule)."""
    runs = jobs(tmp_path, data, [("coulombgan", 0.25, "cited"), ("coulombgan", 0.25, "narrow")], iterations=100)
    decayed = {"decay": 0.1, "kernel_scale": "absolute"}  # absolute: one eps, so both grids share a branch
    runs = [dataclasses.replace(j, settings=dataclasses.replace(
        j.settings, model_params={**j.settings.model_params, **decayed})) for j in runs]  # fmt: skip
    members = packs.train_pack(runs, "cpu", torch.float64)
    assert {m.branch for m in members} == {0}
    for job, member in zip(runs, members, strict=True):
        ref = alone(job)
        assert all(torch.equal(x, y) for x, y in zip(tensors(ref).values(), tensors(member.run).values()))
        assert float(member.run.step_fn.generator_optimizer.param_groups[0]["lr"]) == pytest.approx(
            job.settings.model_params["generator_lr"] * 0.1 ** (99 / 100)
        )


def test_branch_streams_are_cudas_alone(tmp_path, data):
    """grid.training.pack_streams puts each branch on a CUDA stream of its own; on a CPU a pack with it
    computes exactly what one without it does (the streams' effect is measured by benchmarks/gpu_check.py)."""
    specs = [("couae", 0.25, "narrow"), ("vae", 0.25, "cited")]
    plain = packs.train_pack(jobs(tmp_path / "plain", data, specs, iterations=50), "cpu", torch.float64)
    side = packs.train_pack(jobs(tmp_path / "side", data, specs, iterations=50), "cpu", torch.float64, streams=True)
    for a, b in zip(plain, side, strict=True):
        assert all(torch.equal(x, y) for x, y in zip(tensors(a.run).values(), tensors(b.run).values(), strict=True))
