"""One prepared run on a GPU: is the CUDA path right, how fast are the packs
the workflow runs, and what does that make of the paper's run? About 7
minutes on one H200 (at most 9); the table last, JSON beside it.

  a. correctness: each model type's grid step on the device (float32, eager)
     against float64 on the CPU; the device's compiled and CUDA-graphed steps
     against its eager one (the Coulomb GAN with its decay too); a pack of
     several rows, widths and both grid variants on the device against each
     run alone in float64 on the CPU, and graphed against eager; CelebA's bf16
     autocast against float32; the KDE and the Fréchet distance's features;
     generation; a non-finite loss stops training there too.
  b. speed: grid run-steps/s per model type and compile mode (one run), and
     per pack of the paper configuration as the workflow packs it (auto on a
     GPU: one pack per model type); CelebA images/s, eager and as auto runs it
     (compiled), and its FLOP rate against the card's measured matmul rate
     (the first version timed CelebA eager only); FID feature throughput.
     Timed with CUDA events after a warm-up of as many steps as are timed.
  c. sharing: 1, 2 and 4 processes each training a pack of the paper's CouAE
     runs, graphed where the device allows, on one GPU at once; the total
     rate says how many pack jobs to run side by side (grid.gpu_share).
  d. slice: the paper's grid rows (VAE, WAE, CouAE; three widths; both
     variants; 10 seeds), packed as the workflow packs them, trained for
     100,000 steps (or until its time cap) and timed: what the projection
     of the paper's rows rests on.
  e. projection: GPU minutes per rule of the paper configuration from (b),
     (c) and (d), one pack job at a time and side by side, against the
     targets, with the assumptions in the table.
  f. with --workflow and Snakemake importable: the quick preset end to end.

Exits 1 when a correctness check fails. Refuses a machine without CUDA
unless --allow-cpu; --quick shrinks the networks, seeds and the slice but
keeps the step counts that decide the training loop's blocks (warm-up and
timing), so its CPU run in the test suite (tests/test_benchmarks.py) goes
through the code paths of the real sizes.

The device machine has torch but not Snakemake, pytorch-fid or POT: carry
the wheels ../shared/gpu/wheels.sh downloads (Python 3.12), then
    python benchmarks/gpu_check.py --out results/gpu_check [--workflow]
"""

import argparse
import dataclasses
import importlib.util
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import train_celeba

import _common
from couae import settings as S
from couae.celeba import fid
from couae.celeba import model as image_model
from couae.celeba.settings import celeba_training_settings
from couae.core.training import NonFiniteLossError, train
from couae.grid import model as grid_model
from couae.grid import packs
from couae.grid.data import make_splits
from couae.grid.kde import kde_log_density, kde_test_log_likelihood
from helpers import REPO, load_config, paper_grid, small_settings

PAPER_ROWS = ["vae", "wae", "couae"]  # the paper's grid rows (Table 1), each at Table 2's three widths
# the targets, minutes on one GPU
TARGETS = {"paper grid rows": 15.0, "celeba paper cells": 30.0, "every grid row": 60.0}
CELEBA_MATMUL_SHARE = 0.5  # CelebA's bf16 FLOP rate over the card's measured bf16 matmul rate


@dataclasses.dataclass(frozen=True)
class Sizes:
    """What --quick shrinks; the step counts that decide the loop's blocks stay."""

    seeds: int  # grid seeds per run
    width: float  # one run's width in (a) and (b)
    hidden: int  # the grid's hidden units (x1)
    batch: int  # the packs' batch size
    celeba_channels: list | None
    celeba_batch: int
    correctness_steps: int
    grid_timed: int  # grid steps timed (and as many warm-up steps first)
    celeba_timed: int  # CelebA steps timed (and as many warm-up steps first)
    sharing_seconds: float
    slice_steps: int  # the slice's steps after its warm-up block
    slice_seconds: float  # the slice stops at the end of the block that passes this


REAL = Sizes(10, 1.0, 128, 100, None, 100, 200, 300, 50, 15.0, 100_000, 90.0)
QUICK = Sizes(2, 0.25, 16, 20, [8, 16, 32, 64], 16, 20, 300, 50, 2.0, 1_000, 30.0)


def probe_experiments(config) -> dict[str, str]:
    """One grid experiment per model type (the first in config.yaml using it),
    and for the MMD autoencoder one per kernel behaviour: smooth and Coulomb."""
    probes = {}
    for name, spec in config["grid"]["experiments"].items():
        kind = spec["model"] + (" coulomb" if spec.get("kernel") == "coulomb" else "")
        probes.setdefault(kind, name)
    return probes


EXPERIMENTS = list(probe_experiments(load_config()).values())
COULOMB = probe_experiments(load_config())["mmd coulomb"]  # the compile modes are timed on CouAE


class Report:
    def __init__(self):
        self.data, self.failures = {}, []

    def attempt(self, name, fn):
        """fn(), or None with a failed check named `name` where it raises: one
        failing part (a step a graph cannot capture, say) must not end the one run."""
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 (reported, with its type and message, as a failed check)
            self.data.setdefault("errors", {})[name] = f"{type(exc).__name__}: {exc}"
            self.check(name, 1, 0, f"raised {type(exc).__name__}: {str(exc)[:300]}")
            return None

    def check(self, name, value, limit, what):
        ok = bool(value <= limit)
        self.data.setdefault("checks", {})[name] = {"value": float(value), "limit": limit, "ok": ok, "what": what}
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {value:.3g} (limit {limit:g}; {what})", flush=True)
        if not ok:
            self.failures.append(name)


def relative(a, b) -> float:
    """Largest difference over the largest magnitude (a loss term near zero
    would make a per-entry ratio meaningless)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-12))


def grid_data(variant="narrow", n=500):
    sizes = {"train": n, "validation": 2, "test": 2, "reference": 2}
    return make_splits(paper_grid(variant), sizes, seed=0)["train"]


def grid_settings(experiment, width, seeds, steps, log_every, variant="narrow", **model_params):
    settings = small_settings(experiment, width, variant, seeds=list(range(seeds)), iterations=steps,
                              log_every=log_every, checkpoint_every=steps)  # fmt: skip
    if model_params:
        settings = dataclasses.replace(settings, model_params={**settings.model_params, **model_params})
    return settings


def paper_config(sizes: Sizes, **grid) -> dict:
    """The paper configuration, its grid shrunk as `sizes` says (seeds, hidden units, batch)."""
    return _common.paper_config(sizes.seeds, sizes.hidden, sizes.batch, **grid)


def device_modes(device) -> list[str]:
    return ["compiled"] + (["graphed"] if device.type == "cuda" else [])


# --- a. correctness ------------------------------------------------------------------------


def correctness(report, device, sizes):
    data = grid_data()
    steps, log = sizes.correctness_steps, 10
    probes = [(e, {}) for e in EXPERIMENTS] + [(probe_experiments(load_config())["coulombgan"], {"decay": 0.1})]
    for experiment, params in probes:
        label = experiment + (" decayed" if params else "")
        settings = grid_settings(experiment, sizes.width, min(sizes.seeds, 4), steps, log, **params)
        ours = first_step_gradients(settings, data, device, torch.float32)
        ref = first_step_gradients(settings, data, "cpu", torch.float64)
        report.check(f"{label}: first step's gradients, {device} vs CPU float64", relative(ours, ref), 1e-4,
                     "largest difference over the largest gradient")  # fmt: skip
        ref = train(grid_model.build_run(settings, data, "cpu", dtype=torch.float64), steps, log, steps).history_array()
        ours = train(grid_model.build_run(settings, data, device), steps, log, steps).history_array()
        # the first logged losses test the arithmetic; later ones drift apart (CouAE's
        # Coulomb term amplifies any rounding difference ~100x per 100 steps)
        report.check(f"{label}: {device} float32 vs CPU float64, step {log}", relative(ours[0], ref[0]), 1e-3,
                     "relative loss difference")  # fmt: skip
        report.data.setdefault("loss_curves", {})[label] = {"float64_cpu": ref[:, :, 0].tolist(),
                                                            "float32_device": ours[:, :, 0].tolist()}  # fmt: skip
        for mode in device_modes(device) if device.type == "cuda" or experiment == COULOMB else []:
            if mode == "graphed" and not grid_model.build_run(settings, data, "cpu").step_fn.graph_safe:
                report.data.setdefault("skipped", []).append(f"{label} {mode}: its step says no graph can hold it")
                continue

            def accelerated_history(mode=mode, settings=settings):
                run = grid_model.build_run(
                    settings, data, device, compile_mode=mode, backend=_common.backend_for(device)
                )
                return train(run, steps, log, steps).history_array()

            got = report.attempt(f"{label}: {mode} on {device} runs", accelerated_history)
            if got is not None:
                report.check(f"{label}: {mode} vs eager on {device}, step {log}", relative(got[0], ours[0]), 1e-4,
                             "relative loss difference")  # fmt: skip
    pack_correctness(report, device, sizes)

    settings = grid_settings(COULOMB, sizes.width, 2, 10, 10)
    ours = grid_model.generate(grid_model.build_run(settings, data, device), 1000)
    ref = grid_model.generate(grid_model.build_run(settings, data, "cpu"), 1000)
    report.check(f"grid generation on {device} vs CPU (same weights)", relative(ours, ref), 1e-5,
                 "relative difference")  # fmt: skip

    settings = grid_settings("vae", 0.25, 2, 20, 10)
    run = grid_model.build_run(settings, data, device)
    train(run, 10, 10, 10)
    run.data[:] = float("nan")
    try:
        train(run, 20, 10, 10)
        stopped = math.inf
    except NonFiniteLossError as err:
        stopped = err.step - 11  # 0: it stopped at the first step after the data went bad
    report.check("non-finite loss stops training", stopped, 0, "steps past the first bad one")

    celeba_correctness(report, device, sizes)
    kde_and_fid_correctness(report, device)


def first_step_gradients(settings, data, device, dtype) -> np.ndarray:
    """Every parameter's gradient from the first update step."""
    run = grid_model.build_run(settings, data, device, dtype=dtype)
    train(run, 1, 1, 1)
    grads = [p.grad.flatten() for net in run.step_fn.networks().values() for p in net.parameters()
             if p.grad is not None]  # fmt: skip
    return torch.cat(grads).double().cpu().numpy()


def pack_jobs(specs, steps, log_every, seeds, folder):
    """PackedRuns of (experiment, width, variant), each with a checkpoint file of its own in `folder`."""
    out = []
    for experiment, width, variant in specs:
        settings = grid_settings(experiment, width, seeds, steps, log_every, variant)
        out.append(packs.PackedRun(settings, grid_data(variant), Path(folder) / f"{experiment}{width}{variant}.pt"))
    return out


def pack_correctness(report, device, sizes):
    """A pack of the paper's rows at two widths on both variants: on the device
    against each run alone in float64 on the CPU (first logged losses), and
    its graphed (or compiled) step against its eager one."""
    specs = [(e, w, v) for e in PAPER_ROWS for w in (0.25, 1.0) for v in ("cited", "narrow")]
    steps, log = sizes.correctness_steps, 10
    with tempfile.TemporaryDirectory() as folder:
        jobs = pack_jobs(specs, steps, log, min(sizes.seeds, 4), folder)
        eager = packs.train_pack(jobs, device)
    for job, member in zip(jobs, eager, strict=True):
        alone = grid_model.build_run(job.settings, job.train_data, "cpu", dtype=torch.float64)
        ref = train(alone, steps, log, steps).history_array()
        ours = member.run.history_array()
        report.data.setdefault("pack_loss_rows", {})[str(specs[jobs.index(job)])] = ours[0, :, 0].tolist()
        report.check(f"pack member {specs[jobs.index(job)]} on {device} vs alone, CPU float64, step {log}",
                     relative(ours[0], ref[0]), 1e-3, "relative loss difference")  # fmt: skip
    mode = device_modes(device)[-1]

    def accelerated_pack():
        with tempfile.TemporaryDirectory() as folder:
            jobs = pack_jobs(specs, steps, log, min(sizes.seeds, 4), folder)
            return packs.train_pack(jobs, device, compile_mode=mode, backend=_common.backend_for(device))

    fast = report.attempt(f"pack {mode} on {device} runs", accelerated_pack)
    if fast is not None:
        worst = max(relative(f.run.history_array()[0], e.run.history_array()[0]) for f, e in zip(fast, eager))
        report.check(f"pack {mode} vs eager on {device}, step {log}", worst, 1e-4, "largest relative loss difference")
    if device.type == "cuda":

        def on_streams():
            with tempfile.TemporaryDirectory() as folder:
                jobs = pack_jobs(specs, steps, log, min(sizes.seeds, 4), folder)
                return packs.train_pack(jobs, device, compile_mode=mode, streams=True)

        side = report.attempt(f"pack {mode} on streams on {device} runs", on_streams)
        if side is not None:
            worst = max(relative(f.run.history_array()[0], e.run.history_array()[0]) for f, e in zip(side, eager))
            report.check(f"pack {mode} on streams vs eager on {device}, step {log}", worst, 1e-4,
                         "largest relative loss difference")  # fmt: skip


def celeba_correctness(report, device, sizes):
    images = np.random.default_rng(0).integers(0, 256, (200, 3, 64, 64), dtype=np.uint8)
    curves = {}
    model = {"channels": sizes.celeba_channels} if sizes.celeba_channels else {}
    for precision in ["bf16", "none"]:
        over = {"batch_size": 32, "mixed_precision": precision, "iterations": 20, "log_every": 5}
        config = load_config({"celeba": {"training": over, "model": model}})
        image_settings = celeba_training_settings(config, COULOMB, 1.0, 0)
        run = image_model.build_run(image_settings, images, device)
        curves[precision] = train(run, 20, 5, 20).history_array()[:, 0, 0]
    limit = 5e-2 if device.type == "cuda" else 1e-6  # the CPU runs float32 either way
    report.check("CelebA bf16 autocast vs float32, losses over 20 steps", relative(curves["bf16"], curves["none"]),
                 limit, "relative loss difference")  # fmt: skip
    saved = image_model.weights(run, image_settings)  # the float32 run's networks
    on_device, on_cpu = image_model.Autoencoder(saved, device), image_model.Autoencoder(saved, "cpu")
    for what in ["generate", "reconstruct"]:
        make = (lambda a, what=what: a.generate(64)) if what == "generate" else (lambda a: a.reconstruct(images[:64]))
        diff = np.abs(make(on_device).astype(int) - make(on_cpu).astype(int)).max()
        report.check(f"CelebA {what} on {device} vs CPU (uint8 images)", diff, 2, "largest pixel difference")


def kde_and_fid_correctness(report, device):
    rng = np.random.default_rng(1)
    samples, query = rng.normal(size=(2000, 2)), rng.normal(size=(500, 2))
    bandwidths = np.logspace(-2, 0, 5)
    kde = relative(kde_log_density(samples, query, bandwidths, device), kde_log_density(samples, query, bandwidths))
    report.check(f"KDE log density on {device} vs CPU", kde, 1e-10, "relative difference (float64)")
    chosen = [kde_test_log_likelihood(samples, query, bandwidths, "cv", 5, device=where) for where in [device, "cpu"]]
    report.check("KDE bandwidth chosen by cross-validation, device vs CPU",
                 abs(chosen[0].bandwidth - chosen[1].bandwidth), 0, "difference")  # fmt: skip
    lls = [c.test_log_likelihood for c in chosen]
    report.check("KDE test log-likelihood, device vs CPU", relative(*lls), 1e-10, "relative difference")

    images = np.random.default_rng(0).integers(0, 256, (200, 3, 64, 64), dtype=np.uint8)
    extractor = fid.RandomFeatures(64)
    a, b = images[:100], images[100:]
    dist = {}
    for where in [device, torch.device("cpu")]:
        fa, fb = fid.features(extractor, a, 50, where), fid.features(extractor, b, 50, where)
        dist[where.type] = fid.frechet_distance(fid.statistics(fa), fid.statistics(fb))
    report.check(f"Fréchet distance of features on {device} vs CPU", relative(dist[device.type], dist["cpu"]), 1e-3,
                 "relative difference")  # fmt: skip


# --- b. speed ------------------------------------------------------------------------------


def timed_steps(run, steps, device) -> float:
    """Seconds per step of `steps` steps, after as many untimed ones (the
    warm-up: a graph's capture, the allocator, cuBLAS's choices). Blocks of
    `steps` steps, so any run at a multiple of `steps` can be timed."""
    if run.step % steps:
        raise ValueError(f"timing starts at a multiple of {steps} steps, not at step {run.step}")
    train(run, run.step + steps, steps, steps)
    if device.type == "cuda":
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        train(run, run.step + steps, steps, steps)
        end.record()
        torch.cuda.synchronize()
        return start.elapsed_time(end) / 1000 / steps
    return _common.timed(lambda: train(run, run.step + steps, steps, steps)) / steps


def speed(report, device, sizes):
    data = grid_data()
    grid = {}
    for experiment in EXPERIMENTS:
        settings = grid_settings(experiment, sizes.width, sizes.seeds, 10**9, sizes.grid_timed)
        run = grid_model.build_run(settings, data, device)
        grid[f"{experiment} eager"] = sizes.seeds / timed_steps(run, sizes.grid_timed, device)
    settings = grid_settings(COULOMB, sizes.width, sizes.seeds, 10**9, sizes.grid_timed)
    for mode in device_modes(device):
        start = time.perf_counter()
        run = grid_model.build_run(settings, data, device, compile_mode=mode, backend=_common.backend_for(device))
        grid[f"{COULOMB} {mode}"] = sizes.seeds / timed_steps(run, sizes.grid_timed, device)
        grid[f"{COULOMB} {mode} (s to build, warm up and time)"] = time.perf_counter() - start
    report.data["grid_run_steps_per_s"] = grid
    for name, value in grid.items():
        print(f"grid {name}: {value:.1f}", flush=True)
    pack_speed(report, device, sizes)
    celeba_speed(report, device, sizes)

    extractor = fid.RandomFeatures(2048)
    images = np.random.default_rng(0).integers(0, 256, (200, 3, 64, 64), dtype=np.uint8)
    start = time.perf_counter()
    fid.features(extractor, images, 50, device)
    report.data["fid_features_images_per_s"] = len(images) / (time.perf_counter() - start)
    print(f"FID features (random-weight stand-in of Inception's output size): "
          f"{report.data['fid_features_images_per_s']:.0f} images/s", flush=True)  # fmt: skip


def pack_speed(report, device, sizes):
    """Each pack the workflow would run for the paper configuration (every grid row), timed."""
    config = paper_config(sizes)
    rates = {}
    # on CUDA the packs of several branches also with each branch on its own stream (grid.training.pack_streams)
    variants = [(pack, False) for pack in _common.workflow_packs(config)]
    if device.type == "cuda":
        variants += [(pack, True) for pack in _common.workflow_packs(config) if len({e for _, e, _ in pack.runs}) > 1]
    with tempfile.TemporaryDirectory() as folder:
        for pack, streams in variants:
            name = pack.name + (" streams" if streams else "")

            def timed_pack(pack=pack, streams=streams):
                start = time.perf_counter()
                run = _common.built_pack(config, pack, device, folder, streams=streams)
                per_step = timed_steps(run, sizes.grid_timed, device)
                modes = {getattr(b, "mode", "eager") for b in run.step_fn.branches}
                return {"runs": len(pack.runs), "seeds": len(run.sampler.seeds), "s_per_step": per_step,
                        "run_steps_per_s": len(run.sampler.seeds) / per_step,
                        "mode": getattr(run.step_fn, "mode", None) or ", ".join(sorted(modes)),
                        "s_to_build_and_time": time.perf_counter() - start}  # fmt: skip

            r = report.attempt(f"pack {name} timed", timed_pack)
            if r is None:
                continue
            rates[name] = r
            print(f"pack {name}: {r['runs']} runs, {r['seeds']} seeds, {1e6 * r['s_per_step']:.0f} µs a step "
                  f"({r['run_steps_per_s']:.0f} run-steps/s, {r['mode']})", flush=True)  # fmt: skip
    report.data["packs"] = rates


def celeba_speed(report, device, sizes):
    """CelebA x1 images/s per precision, eager and in the mode auto runs (compiled on CUDA)."""
    batch = sizes.celeba_batch
    images = np.random.default_rng(0).integers(0, 256, (batch * 10, 3, 64, 64), dtype=np.uint8)
    celeba = {}
    for precision in ["bf16", "none"] if device.type == "cuda" else ["none"]:
        over = {"training": {"batch_size": batch, "mixed_precision": precision}}
        if sizes.celeba_channels:
            over["model"] = {"channels": sizes.celeba_channels}
        settings = celeba_training_settings(load_config({"celeba": over}), COULOMB, 1.0, 0)
        for mode in ["eager", "auto"] if device.type == "cuda" else ["eager"]:

            def timed_images(mode=mode, settings=settings):
                run = image_model.build_run(settings, images, device, compile_mode=mode)
                per_step = timed_steps(run, sizes.celeba_timed, device)
                return getattr(run.step_fn, "mode", "eager"), per_step, train_celeba.flops_per_step(run)

            got = report.attempt(f"CelebA {precision} {mode} timed", timed_images)
            if got is None:
                continue
            ran, per_step, flops = got
            name = f"{precision} {ran}"
            celeba[name] = {"images_per_s": batch / per_step, "s_per_step": per_step, "precision": precision,
                            "workflow": mode == "auto" or device.type != "cuda",  # as the workflow runs it
                            "tflops_per_s": flops / per_step / 1e12}  # fmt: skip
            print(f"CelebA {COULOMB} x1 {name}: {batch / per_step:.0f} images/s", flush=True)
    report.data["celeba"] = celeba
    report.data["matmul_tflops"] = _common.matmul_rate(device, 512 if sizes.celeba_channels else 8192)


# --- c. sharing ----------------------------------------------------------------------------


def sharing(report, device, sizes):
    """1, 2 and 4 processes each training a pack of the paper's CouAE runs at once."""
    counts = [1, 2] if sizes is QUICK else [1, 2, 4]
    totals = {}
    for k in counts:
        cmd = [sys.executable, __file__, "--worker", str(sizes.sharing_seconds), "--device", str(device)]
        if sizes is QUICK:
            cmd.append("--quick")
        procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) for _ in range(k)]
        outputs = [p.communicate()[0] for p in procs]
        if any(p.returncode for p in procs):
            raise RuntimeError(f"a sharing worker failed (exit codes {[p.returncode for p in procs]})")
        totals[k] = sum(float(text.split()[-1]) for text in outputs)
        print(f"{k} pack jobs on one {device.type}: {totals[k]:.1f} run-steps/s in all", flush=True)
    best = max(totals.values())
    jobs = min(k for k, total in totals.items() if total >= 0.9 * best)
    report.data["sharing"] = {"run_steps_per_s": totals, "recommended_jobs_per_gpu": jobs,
                              "recommended_gpu_share": 1 / jobs, "speedup": best / totals[1]}  # fmt: skip
    print(f"recommended grid.gpu_share: {1 / jobs:g} ({jobs} pack jobs per GPU reach 90% of the best total)")


def worker(seconds, device, sizes):
    """One process of `sharing`: a pack of the paper's CouAE runs, as auto runs it; prints its run-steps/s."""
    config = paper_config(sizes, rows=[COULOMB])
    with tempfile.TemporaryDirectory() as folder:
        run = _common.built_pack(config, _common.workflow_packs(config)[0], device, folder)
        steps = sizes.grid_timed
        train(run, steps, steps, steps)  # warm-up and capture
        _common.synchronise(device)
        start, done = time.perf_counter(), 0
        while time.perf_counter() - start < seconds:
            train(run, run.step + steps, steps, steps)
            done += steps
        _common.synchronise(device)
        print(len(run.sampler.seeds) * done / (time.perf_counter() - start))


# --- d. slice ------------------------------------------------------------------------------


def slice_run(report, device, sizes):
    """The paper's grid rows as the workflow packs them, trained and timed."""
    config = paper_config(sizes, rows=PAPER_ROWS)
    log_every = config["grid"]["training"]["log_every"]
    if sizes.slice_steps % log_every:
        raise ValueError(f"the slice's {sizes.slice_steps} steps are not whole blocks of {log_every}")
    out = {}
    with tempfile.TemporaryDirectory() as folder:
        for pack in _common.workflow_packs(config):

            def trained(pack=pack):
                run = _common.built_pack(config, pack, device, folder)
                train(run, log_every, log_every, log_every)  # warm-up: the capture and the allocator
                _common.synchronise(device)
                start, done = time.perf_counter(), 0
                while done < sizes.slice_steps and time.perf_counter() - start < sizes.slice_seconds:
                    train(run, run.step + log_every, log_every, log_every)
                    done += log_every
                _common.synchronise(device)
                seconds = time.perf_counter() - start
                finite = bool(np.isfinite(run.history_array()).all())
                return {"runs": len(pack.runs), "seeds": len(run.sampler.seeds), "steps": done, "seconds": seconds,
                        "s_per_step": seconds / done, "finite_losses": finite}  # fmt: skip

            r = report.attempt(f"slice {pack.name} runs", trained)
            if r is None:
                continue
            out[pack.name] = r
            print(f"slice {pack.name}: {r['steps']} steps of {r['runs']} runs in {r['seconds']:.1f} s "
                  f"({1e6 * r['s_per_step']:.0f} µs a step)", flush=True)  # fmt: skip
            report.check(f"slice {pack.name}: every loss finite", 0 if r["finite_losses"] else 1, 0,
                         "non-finite losses")  # fmt: skip
    report.data["slice"] = out


# --- e. projection -------------------------------------------------------------------------


def projection(report, sizes):
    """GPU minutes per rule of the paper configuration, from the measured packs."""
    config = load_config()
    iterations = config["grid"]["training"]["iterations"]
    sharing_ = report.data.get("sharing", {}).get("speedup", 1.0)
    every = {name: r["s_per_step"] for name, r in report.data.get("packs", {}).items() if " " not in name}
    paper_packs = {name: r["s_per_step"] for name, r in report.data.get("slice", {}).items()}
    rows = {}

    def grid_row(label, step_seconds, source):
        if not step_seconds:
            return  # nothing measured (its part failed: see the checks)
        alone, side = _common.projected_minutes(iterations, step_seconds, sharing_)
        rows[label] = {"minutes_one_at_a_time": alone, "minutes_side_by_side": side, "packs": len(step_seconds),
                       "from": source}  # fmt: skip

    grid_row("paper grid rows", paper_packs, "the slice (d): measured steps of the real packs")
    grid_row("every grid row", every, f"(b): {sizes.grid_timed} timed steps per pack")
    report.data["projection_assumptions"] = [
        _common.PROJECTION_FORMULA,
        f"{iterations} steps per grid run, every pack at the measured step time (a step costs the same at any step)",
        f"pack jobs sharing one GPU: the measured total speed-up {sharing_:.2f}x (c)",
        "evaluation, FID, the tuning rule and the theory jobs not included",
    ]
    precision = config["celeba"]["training"]["mixed_precision"]
    ran = [v for v in report.data.get("celeba", {}).values() if v["workflow"]]
    if ran:  # else its part failed: see the checks
        celeba = min(v["s_per_step"] for v in [v for v in ran if v["precision"] == precision] or ran)
        celeba_runs = S.runs(config, "celeba")
        paper_cells = [(e, w) for e, w in celeba_runs if config["celeba"]["experiments"][e].get("paper")]
        per_run = config["celeba"]["training"]["iterations"] * celeba / 60
        seeds = len(S.seeds(config, "celeba"))
        source = "(b): x1's step time for every width (an upper bound)"
        for label, cells in (("celeba paper cells", paper_cells), ("celeba every cell", celeba_runs)):
            rows[label] = {"minutes_one_at_a_time": per_run * len(cells) * seeds, "runs": len(cells), "from": source}
    report.data["projection_minutes"] = rows
    for label, row in rows.items():
        side = row.get("minutes_side_by_side")
        extra = f", {side:.1f} side by side" if side is not None else ""
        print(f"projected {label}: {row['minutes_one_at_a_time']:.1f} GPU-minutes one job at a time{extra}")


def summary(report, device) -> None:
    """The one table printed last: the issue's targets beside what was measured."""
    checks = report.data["checks"]
    rows = [("correctness checks passed", f"{sum(c['ok'] for c in checks.values())}/{len(checks)}", "all")]
    grid = report.data.get("grid_run_steps_per_s", {})
    eager = grid.get(f"{COULOMB} eager")
    for mode in device_modes(device):
        if eager and f"{COULOMB} {mode}" in grid:
            rows.append((f"grid {COULOMB} one run, {mode}", f"{grid[f'{COULOMB} {mode}']:.0f}",
                         f"run-steps/s, {grid[f'{COULOMB} {mode}'] / eager:.1f}x eager"))  # fmt: skip
    for name, r in report.data.get("packs", {}).items():
        rows.append((f"pack {name} ({r['runs']} runs, {r['mode']})", f"{1e6 * r['s_per_step']:.0f}",
                     f"µs a step, {r['run_steps_per_s']:.0f} run-steps/s"))  # fmt: skip
    for name, r in report.data.get("slice", {}).items():
        rows.append((f"slice {name}, {r['steps']} steps", f"{1e6 * r['s_per_step']:.0f}", "µs a step, measured"))
    gemm = report.data.get("matmul_tflops", {})
    for name, row in report.data.get("celeba", {}).items():
        dtype = "bfloat16" if row["precision"] == "bf16" else "float32"
        share = row["tflops_per_s"] / gemm[dtype]
        target = f" (target {CELEBA_MATMUL_SHARE:.0%})" if row["precision"] == "bf16" else ""
        rows.append((f"CelebA x1 {name} images/s", f"{row['images_per_s']:.0f}",
                     f"{row['tflops_per_s']:.0f} TFLOP/s, {share:.0%} of measured matmul{target}"))  # fmt: skip
    sharing_ = report.data.get("sharing")
    if sharing_:
        rows.append(("pack jobs side by side", f"{sharing_['speedup']:.2f}x",
                     f"grid.gpu_share {sharing_['recommended_gpu_share']:g}"))  # fmt: skip
    for label, row in report.data.get("projection_minutes", {}).items():
        minutes = row.get("minutes_side_by_side", row["minutes_one_at_a_time"])
        target = f"target {TARGETS[label]:g}" if label in TARGETS else ""
        rows.append((f"{label}, GPU-minutes", f"{minutes:.1f}", f"{target}; {row['from']}".strip("; ")))
    width = max(len(r[0]) for r in rows)
    print(f"\n{'':{width}}  {'measured':>10}  against")
    for name, value, against in rows:
        print(f"{name:{width}}  {value:>10}  {against}")
    print("assumptions: " + "; ".join(report.data["projection_assumptions"]))


def workflow(report, device, out):
    if importlib.util.find_spec("snakemake") is None:
        report.data["workflow"] = "not run: Snakemake is not installed (carry its wheels, see the docstring)"
        return
    work = Path(tempfile.mkdtemp(prefix="couae-quick-"))
    (work / "gpu.yaml").write_text(f"device: {device.type}\n")
    cmd = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--directory", str(work),
           "--cores", str(os.cpu_count()), "--resources", "gpu=1", "--configfile",
           str(REPO / "presets/quick.yaml"), str(work / "gpu.yaml")]  # fmt: skip
    start = time.perf_counter()
    result = subprocess.run(cmd, capture_output=True, text=True)
    report.data["workflow"] = {"returncode": result.returncode, "seconds": time.perf_counter() - start}
    (out / "workflow.log").write_text(result.stdout + result.stderr)
    print(f"quick preset on {device}: exit {result.returncode} in {report.data['workflow']['seconds']:.0f} s")
    if result.returncode:
        report.failures.append("workflow")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("results/gpu_check"))
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--allow-cpu", action="store_true", help="run on the CPU (a smoke test of this script)")
    parser.add_argument("--quick", action="store_true", help="small networks and slice; the real step counts")
    parser.add_argument("--workflow", action="store_true", help="also run the quick preset on the device (f)")
    parser.add_argument("--worker", type=float, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = QUICK if args.quick else REAL
    device = torch.device("cpu" if args.allow_cpu and not torch.cuda.is_available() else args.device)
    if args.worker is not None:
        return worker(args.worker, device, sizes)
    if (device.type != "cuda" or not torch.cuda.is_available()) and not args.allow_cpu:
        sys.exit("gpu_check: no CUDA device here; it checks the GPU path (--allow-cpu runs it on the CPU)")
    torch.backends.cudnn.benchmark = True
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    report = Report()
    report.data["device"] = {"name": name, "torch": torch.__version__, "quick": args.quick,
                             "tf32_matmul": torch.backends.cuda.matmul.allow_tf32}  # fmt: skip
    print(f"gpu_check on {name}, torch {torch.__version__}{' (quick)' if args.quick else ''}", flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    for section in [correctness, speed, sharing, slice_run]:
        start = time.perf_counter()
        report.attempt(
            f"section {section.__name__} ran to its end", lambda section=section: section(report, device, sizes)
        )
        report.data.setdefault("section_seconds", {})[section.__name__] = time.perf_counter() - start
        (args.out / "gpu_check.json").write_text(json.dumps(report.data, indent=1, default=str))  # as it goes
    projection(report, sizes)
    if args.workflow:
        workflow(report, device, args.out)
    report.data["failures"] = report.failures
    (args.out / "gpu_check.json").write_text(json.dumps(report.data, indent=1, default=str))
    print(f"written {args.out / 'gpu_check.json'}; {len(report.failures)} failed check(s)")
    summary(report, device)
    sys.exit(1 if report.failures else 0)


if __name__ == "__main__":
    main()
