import dataclasses
import json
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
import torch

from couae.core.training import CheckpointError, NonFiniteLossError, aside_path, train, try_resume
from couae.grid import model as grid_model
from couae.grid.data import make_splits
from couae.runtime.atomic import save_npz
from helpers import REPO, paper_grid, small_settings

EXPERIMENTS = ["couae", "wae", "vae", "plummer", "learnedae"]


@pytest.fixture(scope="module")
def train_data():
    sizes = {"train": 500, "validation": 200, "test": 200, "reference": 200}
    return make_splits(paper_grid(), sizes, seed=11)["train"]


def run_to_end(settings, data, **kw):
    run = grid_model.build_run(settings, data, **kw)
    return train(run, settings.iterations, settings.log_every, settings.checkpoint_every)


def stack_tensors(run):
    return [p.detach().clone() for net in run.step_fn.networks().values() for p in net.parameters()]


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_seed_batched_equals_plain_single_seed_loop(experiment, train_data):
    # float64: in float32 the two layouts round differently (other summation
    # orders) and the steep Coulomb kernel amplifies that over steps, which
    # would hide a real discrepancy behind a loose tolerance.
    settings = small_settings(experiment)
    batched = run_to_end(settings, train_data, dtype=torch.float64)
    k, seed = 1, settings.seeds[1]
    plain = run_to_end(settings, train_data, seeds=[seed], stacked=False, dtype=torch.float64)
    for name in ("encoder", "decoder"):
        net, ref = batched.step_fn.networks()[name], plain.step_fn.networks()[name]
        ours = net.plain_state_dict(k)
        for key, value in ref.state_dict().items():
            torch.testing.assert_close(ours[key], value, rtol=1e-9, atol=1e-10, msg=f"{name}.{key}")
    # atol: the learned kernel logs its Gram matrix's smallest eigenvalue, a rounding-level number near 0
    np.testing.assert_allclose(batched.history_array()[:, k], plain.history_array()[:, 0], rtol=1e-9, atol=1e-12)


def test_a_seed_trained_alone_matches_itself_in_a_batch(train_data):
    settings = small_settings("couae")
    batched = run_to_end(settings, train_data)
    alone = run_to_end(settings, train_data, seeds=[settings.seeds[2]])
    for a, b in zip(stack_tensors(batched), stack_tensors(alone)):
        torch.testing.assert_close(a[2:3], b, rtol=1e-5, atol=1e-6)


def test_seeds_differ(train_data):
    run = run_to_end(small_settings("couae"), train_data)
    w = run.step_fn.encoder.weights[0]
    assert not torch.allclose(w[0], w[1])


def test_resume_after_interrupt_is_bit_identical(tmp_path, train_data):
    settings = small_settings("vae", iterations=120, checkpoint_every=40)
    fp = settings.fingerprint()
    full = grid_model.build_run(settings, train_data)
    train(full, 120, 20, 40, tmp_path / "full.pt", fp)

    first = grid_model.build_run(settings, train_data)
    train(first, 80, 20, 40, tmp_path / "cut.pt", fp)  # "killed" after the step-80 checkpoint
    resumed = grid_model.build_run(settings, train_data)
    assert try_resume(resumed, tmp_path / "cut.pt", fp) and resumed.step == 80
    train(resumed, 120, 20, 40, tmp_path / "cut.pt", fp)

    for a, b in zip(stack_tensors(full), stack_tensors(resumed)):
        assert torch.equal(a, b)
    assert np.array_equal(full.history_array(), resumed.history_array())
    assert full.history_steps == resumed.history_steps


def test_checkpoint_of_other_settings_is_moved_aside_and_back(tmp_path, train_data):
    """Changing a setting and changing it back loses no training: the first
    settings' checkpoint waits under its fingerprint and is resumed again."""
    a = small_settings("couae")
    b = small_settings("couae", lr=5.0e-4)
    ckpt = tmp_path / "ckpt.pt"
    train(grid_model.build_run(a, train_data), 40, 20, 20, ckpt, a.fingerprint())
    fresh = grid_model.build_run(b, train_data)
    assert not try_resume(fresh, ckpt, b.fingerprint()) and fresh.step == 0
    aside = aside_path(ckpt, a.fingerprint())
    assert aside.name == f"ckpt-{a.fingerprint()[:12]}.pt" and aside.exists() and not ckpt.exists()
    train(fresh, 20, 20, 20, ckpt, b.fingerprint())  # b's own checkpoint: a's is not overwritten
    back = grid_model.build_run(a, train_data)
    assert try_resume(back, ckpt, a.fingerprint()) and back.step == 40
    assert aside_path(ckpt, b.fingerprint()).exists() and not aside.exists()


def test_unreadable_checkpoint_is_an_error_naming_the_file(tmp_path, train_data):
    bad = tmp_path / "ckpt.pt"
    bad.write_bytes(b"not a checkpoint")
    run = grid_model.build_run(small_settings(), train_data)
    with pytest.raises(CheckpointError, match="ckpt.pt"):
        try_resume(run, bad, "x")


def test_non_finite_loss_stops_at_its_step_and_keeps_last_checkpoint(tmp_path, train_data):
    settings = small_settings("wae", iterations=200)
    fp = settings.fingerprint()
    ckpt = tmp_path / "ckpt.pt"
    run = grid_model.build_run(settings, train_data)
    train(run, 40, 20, 20, ckpt, fp)
    # Which later step first draws training row 17? Replay the sampler to know.
    replay = grid_model.build_run(settings, train_data)
    replay.sampler.load_state_dict(run.sampler.state_dict())
    idx = replay.sampler.draw(160)["idx"]  # (steps, seeds, batch)
    hits = (idx == 17).any(-1)  # (steps, seeds)
    first = int(hits.any(1).nonzero()[0])
    expected_seed = settings.seeds[int(hits[first].nonzero()[0])]

    run.data[17] = float("nan")
    with pytest.raises(NonFiniteLossError) as err:
        train(run, 200, 20, 20, ckpt, fp)
    assert err.value.step == 40 + first + 1
    assert err.value.seed == expected_seed
    assert f"step {40 + first + 1}" in str(err.value)
    assert torch.load(ckpt, weights_only=True)["step"] == 40 + (first // 20) * 20


def test_saved_weights_reproduce_the_trained_networks(train_data):
    settings = small_settings("vae")
    run = run_to_end(settings, train_data)
    k = 2
    weights = grid_model.seed_weights(run, k, settings)
    x = train_data[:50]
    with torch.no_grad():
        xt = torch.as_tensor(x, dtype=torch.float32).expand(3, -1, -1)
        mean = run.step_fn.objective.encode_mean(run.step_fn.encoder(xt))
        expected = (xt - run.step_fn.decoder(mean)).pow(2).sum(-1)[k].double().numpy()
    np.testing.assert_allclose(grid_model.reconstruction_errors(weights, x), expected, rtol=1e-5)


# --- the command-line script, as Snakemake runs it ---------------------------------


def _script(tmp_path, name, settings, data):
    out = tmp_path / name
    cmd = [
        sys.executable,
        str(REPO / "workflow/scripts/grid_train.py"),
        "--data",
        str(data),
        "--settings",
        settings.to_json(),
        "--out-dir",
        str(out),
        "--snapshots",
        str(out / "snapshots.pt"),
        "--checkpoint",
        str(out / "checkpoint.pt"),
        "--device",
        "cpu",
        "--threads",
        "1",
        "--provenance",
        str(out / "provenance.json"),
    ]
    return out, cmd


@pytest.fixture
def data_file(tmp_path):
    sizes = {"train": 500, "validation": 100, "test": 100, "reference": 100}
    path = tmp_path / "data.npz"
    save_npz(path, **make_splits(paper_grid(), sizes, seed=5))
    return path


@pytest.mark.slow
def test_script_resumes_after_sigkill_bit_identical(tmp_path, data_file):
    settings = dataclasses.replace(
        small_settings("couae", iterations=4000, log_every=100, checkpoint_every=500), n_generated=500
    )
    ref_dir, ref_cmd = _script(tmp_path, "uninterrupted", settings, data_file)
    subprocess.run(ref_cmd, check=True, capture_output=True)

    out, cmd = _script(tmp_path, "killed", settings, data_file)
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not (out / "checkpoint.pt").exists():
        assert proc.poll() is None and time.time() < deadline, "no checkpoint before the end"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_at = torch.load(out / "checkpoint.pt", weights_only=True)["step"]
    assert 0 < killed_at < 4000
    assert not (out / "seed3" / "weights.pt").exists()

    second = subprocess.run(cmd, check=True, capture_output=True, text=True)
    assert "resumed from checkpoint" in second.stderr
    record = json.loads((out / "provenance.json").read_text())
    assert record["resumed_from_step"] == killed_at and record["wall_seconds"] > 0
    for seed in settings.seeds:
        a, b = ref_dir / f"seed{seed}", out / f"seed{seed}"
        assert (a / "loss.csv").read_text() == (b / "loss.csv").read_text()
        assert np.array_equal(np.load(a / "samples.npy"), np.load(b / "samples.npy"))
        wa, wb = (torch.load(p / "weights.pt", weights_only=True) for p in (a, b))
        for part in ("encoder", "decoder"):
            assert all(torch.equal(wa[part][k], wb[part][k]) for k in wa[part])


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGUSR1])
def test_a_signal_inside_a_block_checkpoints_there_and_the_resumed_run_is_bit_identical(tmp_path, data_file, stop):
    """A scheduler's SIGTERM (time limit, preemption) or its warning SIGUSR1:
    the job writes a checkpoint at the next step, inside its logging block,
    and exits with the 'run me again' status; re-run, it resumes there."""
    from couae.jobs import INTERRUPTED

    settings = dataclasses.replace(
        small_settings("couae", iterations=3000, log_every=3000, checkpoint_every=3000), n_generated=500
    )  # one block: the signal lands inside it
    ref_dir, ref_cmd = _script(tmp_path, "uninterrupted", settings, data_file)
    subprocess.run(ref_cmd, check=True, capture_output=True)
    out, cmd = _script(tmp_path, "stopped", settings, data_file)
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    started = ""
    while "a SIGTERM or SIGUSR1 stops this job" not in started:
        started += proc.stderr.readline()
        assert proc.poll() is None and time.time() < deadline, "training never started"
    time.sleep(1.0)  # inside the block: 3000 steps take longer
    proc.send_signal(stop)
    said = proc.communicate(timeout=120)[1]
    assert proc.returncode == INTERRUPTED, said[-2000:]
    saved = torch.load(out / "checkpoint.pt", weights_only=True)
    assert saved["step"] == 0 and 0 < saved["block"]["done"] < 3000  # inside the block
    assert "stopped on request at step" in said and not (out / "seed3" / "weights.pt").exists()
    second = subprocess.run(cmd, check=True, capture_output=True, text=True)
    assert "resumed from checkpoint" in second.stderr
    for seed in settings.seeds:
        a, b = ref_dir / f"seed{seed}", out / f"seed{seed}"
        assert (a / "loss.csv").read_text() == (b / "loss.csv").read_text()
        wa, wb = (torch.load(p / "weights.pt", weights_only=True) for p in (a, b))
        for part in ("encoder", "decoder"):
            assert all(torch.equal(wa[part][k], wb[part][k]) for k in wa[part])


def test_script_reports_non_finite_loss_and_fails(tmp_path, data_file):
    splits = dict(np.load(data_file))
    splits["train"][3] = 1e30  # finite (non-finite data is refused when read), but its square overflows float32
    bad = tmp_path / "bad.npz"
    save_npz(bad, **splits)
    out, cmd = _script(tmp_path, "nan", small_settings("couae"), bad)
    result = subprocess.run(cmd, capture_output=True, text=True)
    assert result.returncode == 1
    assert "non-finite loss at step" in result.stderr
    assert not (out / "seed3" / "weights.pt").exists()


def test_snapshot_file_holds_what_shorter_runs_make(train_data):
    settings = dataclasses.replace(small_settings("vae", iterations=60, snapshots=[20, 40]), n_generated=50)
    run = train(grid_model.build_run(settings, train_data), 60, 20, 20, snapshot_steps=settings.snapshots)
    final_samples = grid_model.generate(run, 50)
    kept = grid_model.snapshots(run, settings)
    np.testing.assert_array_equal(grid_model.generate(run, 50), final_samples)  # the run is left as it was
    assert kept["steps"] == [20, 40] and kept["seeds"] == [3, 5, 7] and kept["samples"].shape == (2, 3, 50, 2)
    shorter = train(grid_model.build_run(settings, train_data), 40, 20, 20)
    np.testing.assert_array_equal(kept["samples"][1].double().numpy(), grid_model.generate(shorter, 50))
    weights = grid_model.seed_weights(shorter, 1, settings)
    for part in ("encoder", "decoder"):
        assert all(torch.equal(kept["weights"][1][1][part][k], weights[part][k]) for k in weights[part])


def write_seed_files(folder, run, settings) -> list[tuple]:
    """Each seed's weights and generated samples as the training job writes them: [(weights, samples)] paths."""
    samples = grid_model.generate(run, settings.n_generated)
    diagnostics = grid_model.step_diagnostics(run)
    paths = []
    for k, seed in enumerate(settings.seeds):
        torch.save(grid_model.seed_weights(run, k, settings, diagnostics[k]), folder / f"w{seed}.pt")
        np.save(folder / f"s{seed}.npy", samples[k])
        paths.append((folder / f"w{seed}.pt", folder / f"s{seed}.npy"))
    return paths


def test_convergence_rows_end_with_the_final_evaluation(tmp_path, data_file):
    from couae.grid.evaluation import convergence_rows, evaluate_job
    from couae.grid.settings import grid_evaluation_settings
    from couae.settings import gap_settings
    from helpers import load_config

    settings = dataclasses.replace(small_settings("couae", iterations=60, snapshots=[20, 40]), n_generated=200)
    splits = dict(np.load(data_file))
    run = train(grid_model.build_run(settings, splits["train"]), 60, 20, 20, snapshot_steps=settings.snapshots)
    paths = write_seed_files(tmp_path, run, settings)
    evaluation = grid_evaluation_settings(load_config())
    gap = gap_settings(load_config())
    final = evaluate_job("narrow", settings, *zip(*paths, strict=True), splits, evaluation, gap)
    rows = convergence_rows(grid_model.snapshots(run, settings), final, splits, evaluation)
    assert list(rows.step) == [20] * 3 + [40] * 3 + [60] * 3 and set(rows.variant) == {"narrow"}
    last = rows[rows.step == 60].reset_index(drop=True)
    pd.testing.assert_series_equal(last.test_log_likelihood, final.test_log_likelihood)
    assert rows.test_log_likelihood.notna().all()


def test_evaluation_refuses_weights_of_another_job(tmp_path, data_file):
    """A WAE weights file copied into a CouAE seed folder must not become a CouAE row."""
    from couae.grid.evaluation import evaluate_job
    from couae.grid.settings import grid_evaluation_settings
    from couae.settings import gap_settings
    from helpers import load_config

    couae, wae = small_settings("couae", iterations=20), small_settings("wae", iterations=20)
    splits = dict(np.load(data_file))
    paths = {}
    for settings in (couae, wae):
        run = train(grid_model.build_run(settings, splits["train"]), 20, 20, 20)
        samples = grid_model.generate(run, 50)
        for k, seed in enumerate(settings.seeds):
            weights, sample = (
                tmp_path / f"{settings.experiment}{seed}.pt",
                tmp_path / f"{settings.experiment}{seed}.npy",
            )
            torch.save(grid_model.seed_weights(run, k, settings), weights)
            np.save(sample, samples[k])
            paths[settings.experiment, seed] = (weights, sample)
    evaluation, gap = grid_evaluation_settings(load_config()), gap_settings(load_config())
    swapped = [paths["wae", 3]] + [paths["couae", s] for s in (5, 7)]
    with pytest.raises(ValueError, match=r"wae3\.pt holds wae at width x0\.5, seed 3.* this job is couae"):
        evaluate_job("narrow", couae, *zip(*swapped, strict=True), splits, evaluation, gap)
    shuffled = [paths["couae", s] for s in (5, 3, 7)]
    with pytest.raises(ValueError, match=r"couae5\.pt holds seed 5, not seed 3"):
        evaluate_job("narrow", couae, *zip(*shuffled, strict=True), splits, evaluation, gap)


def test_evaluate_script_refuses_a_crafted_weights_file_without_running_it(tmp_path, data_file):
    from couae.grid.settings import grid_evaluation_settings
    from couae.settings import gap_settings
    from helpers import CodeCarrier, load_config

    settings = small_settings("couae", iterations=20)
    run = train(grid_model.build_run(settings, np.load(data_file)["train"]), 20, 20, 20)
    torch.save(grid_model.snapshots(run, settings), tmp_path / "snapshots.pt")
    ran = tmp_path / "code-ran"
    block, weights = tmp_path / "block0", []
    for k, seed in enumerate(settings.seeds):
        folder = grid_model.seed_folder(block, seed)
        folder.mkdir(parents=True)
        weights.append(folder / "weights.pt")
        torch.save({**grid_model.seed_weights(run, k, settings), "extra": CodeCarrier(ran)}, weights[-1])
        np.save(folder / "samples.npy", np.zeros((50, 2)))
    cmd = [sys.executable, str(REPO / "workflow/scripts/grid_evaluate.py"), "--variant", "narrow", "--data",
           str(data_file), "--block", str(block), "--snapshots",
           str(tmp_path / "snapshots.pt"), "--settings", grid_evaluation_settings(load_config()).to_json(),
           "--training-settings", settings.to_json(), "--gap-settings", gap_settings(load_config()).to_json(),
           "--out", str(tmp_path / "eval.csv"), "--convergence",
           str(tmp_path / "conv.csv"), "--threads", "1", "--provenance", str(tmp_path / "p.json")]  # fmt: skip
    result = subprocess.run(cmd, capture_output=True, text=True)
    assert result.returncode == 1 and f"{weights[0]}: cannot be read as grid weights" in result.stderr
    assert not ran.exists() and not (tmp_path / "eval.csv").exists()


def test_a_seed_whose_learned_kernel_went_blind_is_marked_in_its_evaluation_row(tmp_path, data_file):
    """The learned kernel measures itself at the end (its MMD^2 between the prior
    and the prior shifted by one std); a seed below the threshold carries the
    caveat into its row, so the tables mark the row; a working seed does not."""
    from couae import caveats
    from couae.core import learned_kernel
    from couae.grid.evaluation import evaluate_job
    from couae.grid.settings import grid_evaluation_settings
    from couae.settings import gap_settings
    from helpers import load_config

    settings = dataclasses.replace(small_settings("learnedae", iterations=20), n_generated=200)
    # unit bandwidth at the start (PyTorch's init starts some seeds' kernels near blind already)
    settings = dataclasses.replace(settings, model_params={**settings.model_params, "spectral_init": "unit"})
    splits = dict(np.load(data_file))
    run = train(grid_model.build_run(settings, splits["train"]), 20, 20, 20)
    kernel = run.step_fn.kernel
    with torch.no_grad():  # the last seed's frequencies 1000 times smaller: a flat kernel
        kernel.spectral.weights[-1][-1].mul_(1e-3)
        kernel.spectral.biases[-1][-1].mul_(1e-3)
    sensitivity = run.step_fn.sensitivity()
    assert (sensitivity[:-1] > learned_kernel.BLIND_MMD2).all() and sensitivity[-1] < 1e-6 * sensitivity[0]
    paths = write_seed_files(tmp_path, run, settings)
    evaluation, gap = grid_evaluation_settings(load_config()), gap_settings(load_config())
    rows = evaluate_job("narrow", settings, *zip(*paths, strict=True), splits, evaluation, gap)
    assert list(rows.caveats) == ["", "", caveats.BLIND_KERNEL]


def test_every_seed_may_train_on_its_own_split(train_data):
    """grid.data.split_per_seed: each seed draws n_train points of its own (the data's seed, a stream per
    training seed), its batches come from them only, and it trains as it would alone; off (the default),
    the settings have no such key, so their fingerprints are those of before."""
    from couae.grid.data import Mixture, seed_train_split

    base = small_settings("couae", iterations=40, log_every=20)
    assert "split_per_seed" not in base.data
    own = dataclasses.replace(base, data={**base.data, "split_per_seed": True})
    run = grid_model.build_run(own, train_data)
    n = base.data["n_train"]
    assert run.data.shape == (3 * n, 2)
    mixture = Mixture.of(base.data)
    for k, seed in enumerate(own.seeds):
        split = seed_train_split(mixture, n, base.data["seed"], seed)
        np.testing.assert_array_equal(run.data[k * n : (k + 1) * n].double().numpy(), split.astype(np.float32))
        assert grid_model.seed_splits(own, {"train": train_data}, seed)["train"] is not train_data
    idx = grid_model.build_run(own, train_data).sampler.draw(50)["idx"]
    assert all(((idx[:, k] >= k * n) & (idx[:, k] < (k + 1) * n)).all() for k in range(3))
    together = train(run, 40, 20, 40)
    alone = train(grid_model.build_run(own, train_data, seeds=[own.seeds[1]]), 40, 20, 40)
    for a, b in zip(stack_tensors(together), stack_tensors(alone), strict=True):
        torch.testing.assert_close(a[1:2], b, rtol=1e-5, atol=1e-6)


def test_an_own_split_is_what_the_seeds_evaluation_reconstructs(tmp_path, data_file):
    """xi and the training errors of a seed with its own split are measured on that split."""
    from couae.grid.evaluation import evaluate_job
    from couae.grid.settings import grid_evaluation_settings
    from couae.settings import gap_settings
    from helpers import load_config

    base = dataclasses.replace(small_settings("couae", iterations=20, log_every=20), n_generated=200)
    own = dataclasses.replace(base, data={**base.data, "split_per_seed": True})
    splits = dict(np.load(data_file))
    run = train(grid_model.build_run(own, splits["train"]), 20, 20, 20)
    paths = write_seed_files(tmp_path, run, own)
    config = load_config()
    rows = evaluate_job("narrow", own, *zip(*paths, strict=True), splits, grid_evaluation_settings(config),
                        gap_settings(config))  # fmt: skip
    for k, seed in enumerate(own.seeds):
        split = grid_model.seed_splits(own, splits, seed)["train"]
        errors = grid_model.reconstruction_errors(grid_model.seed_weights(run, k, own), split)
        assert rows.recon_train_max[k] == pytest.approx(errors.max(), rel=1e-6)
        shared = grid_model.reconstruction_errors(grid_model.seed_weights(run, k, own), splits["train"])
        assert rows.recon_train_max[k] != pytest.approx(shared.max(), rel=1e-6)


def test_scripts_refuse_data_replaced_by_3d_points_naming_the_file(tmp_path):
    """data.npz replaced by hand keeps its old timestamp: Snakemake runs on, and the jobs must say what is wrong."""
    from couae.grid.settings import grid_evaluation_settings
    from couae.settings import gap_settings
    from helpers import load_config

    settings = small_settings("couae", iterations=20)
    sizes = {"train": 500, "validation": 250, "test": 250, "reference": 250}
    splits = {name: np.random.default_rng(0).normal(size=(n, 3)) for name, n in sizes.items()}
    data = tmp_path / "data.npz"
    save_npz(data, **splits)
    scripts = REPO / "workflow/scripts"
    train = [sys.executable, scripts / "grid_train.py", "--data", data, "--settings", settings.to_json(),
             "--out-dir", tmp_path / "block0", "--snapshots", tmp_path / "s.pt", "--checkpoint", tmp_path / "c.pt",
             "--device", "cpu", "--threads", "1", "--provenance", tmp_path / "p.json"]  # fmt: skip
    evaluate = [sys.executable, scripts / "grid_evaluate.py", "--variant", "narrow", "--data", data,
                "--block", tmp_path / "block0", "--snapshots", tmp_path / "s.pt",
                "--settings", grid_evaluation_settings(load_config()).to_json(),
                "--training-settings", settings.to_json(), "--gap-settings", gap_settings(load_config()).to_json(),
                "--out", tmp_path / "eval.csv", "--convergence", tmp_path / "conv.csv", "--threads", "1",
                "--provenance", tmp_path / "e.json"]  # fmt: skip
    for cmd in (train, evaluate):
        result = subprocess.run(list(map(str, cmd)), capture_output=True, text=True)
        assert result.returncode == 1, result.stderr
        assert f"{data}: its 'train' split has shape (500, 3), not points in the plane (n, 2)" in result.stderr
        assert "Traceback" not in result.stderr
    assert not (tmp_path / "block0").exists() and not (tmp_path / "eval.csv").exists()
