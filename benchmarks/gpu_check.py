"""One prepared run on a GPU: is the CUDA path right, how fast is it, and what
does that make of the paper's run? (issue 25; run it wherever a GPU is lent).

  a. correctness: each model type's grid step on the device (float32, eager)
     against float64 on the CPU, over 200 steps; the device's compiled and
     CUDA-graphed steps against its eager one; CelebA's bf16 autocast against
     float32; the KDE log-likelihood and the Fréchet distance's features on
     the device against the CPU; a non-finite loss stops training there too.
  b. speed: grid run-steps/s per model type (eager) and per compile mode
     (CouAE), CelebA images/s and FLOP utilisation in bf16 and float32, FID
     feature throughput; timed with CUDA events after warm-up.
  c. sharing: 1, 2, 4 and 8 grid training processes on one GPU at once; their
     summed throughput gives the `grid.gpu_share` to configure.
  d. projection: the paper configuration's GPU hours per rule from (b) and
     (c), against the one-hour target.
  e. with --workflow and Snakemake importable: the quick preset end to end on
     the GPU, timed.

Writes everything to OUT/gpu_check.json and prints a summary; exits 1 when a
correctness check fails. Refuses to run without CUDA unless --allow-cpu
(--quick --allow-cpu is the CI's smoke run of this script: tiny sizes).

The device machine has torch but not Snakemake, pytorch-fid or POT; carry
wheels made here for section e:
    pip download --only-binary=:all: --python-version 3.11 --platform manylinux2014_x86_64 \\
        -d wheels snakemake==9.27.1 snakemake-executor-plugin-slurm-jobstep pytorch-fid POT
    python benchmarks/gpu_check.py --out results/gpu_check [--workflow]
"""

import argparse
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
from couae.grid.data import make_splits
from couae.grid.kde import kde_log_density, kde_test_log_likelihood
from helpers import REPO, load_config, paper_grid, small_settings


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
TARGET_HOURS = 1.0  # the whole paper configuration on one GPU


class Report:
    def __init__(self):
        self.data, self.failures = {}, []

    def check(self, name, value, limit, what):
        ok = bool(value <= limit)
        self.data.setdefault("checks", {})[name] = {"value": float(value), "limit": limit, "ok": ok, "what": what}
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {value:.3g} (limit {limit:g}; {what})")
        if not ok:
            self.failures.append(name)


def relative(a, b) -> float:
    """Largest difference over the largest magnitude (a loss term near zero
    would make a per-entry ratio meaningless)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-12))


def grid_data(n=500):
    return make_splits(paper_grid(), {"train": n, "validation": 2, "test": 2, "reference": 2}, seed=0)["train"]


def grid_settings(experiment, width, seeds, steps, log_every):
    return small_settings(experiment, width, seeds=list(range(seeds)), iterations=steps, log_every=log_every,
                          checkpoint_every=steps)  # fmt: skip


def correctness(report, device, quick):
    data = grid_data()
    steps, log = (20, 10) if quick else (200, 10)
    width = 0.25 if quick else 1.0
    for experiment in EXPERIMENTS:
        settings = grid_settings(experiment, width, 2 if quick else 4, steps, log)
        ours = first_step_gradients(settings, data, device, torch.float32)
        ref = first_step_gradients(settings, data, "cpu", torch.float64)
        report.check(f"{experiment}: first step's gradients, {device} vs CPU float64", relative(ours, ref), 1e-4,
                     "largest difference over the largest gradient")  # fmt: skip
        ref = train(grid_model.build_run(settings, data, "cpu", dtype=torch.float64), steps, log, steps).history_array()
        ours = train(grid_model.build_run(settings, data, device), steps, log, steps).history_array()
        # the first logged losses test the arithmetic; later ones drift apart (CouAE's
        # Coulomb term amplifies any rounding difference ~100x per 100 steps)
        report.check(f"{experiment}: {device} float32 vs CPU float64, step {log}", relative(ours[0], ref[0]), 1e-3,
                     "relative loss difference")  # fmt: skip
        report.data.setdefault("loss_curves", {})[experiment] = {"float64_cpu": ref[:, :, 0].tolist(),
                                                                 "float32_device": ours[:, :, 0].tolist()}  # fmt: skip
        modes = ["compiled"] + (["graphed"] if device.type == "cuda" else [])
        backend = "inductor" if device.type == "cuda" else "aot_eager"
        for mode in modes if not quick or experiment == COULOMB else []:  # quick: the CPU tests compile the rest
            try:
                run = grid_model.build_run(settings, data, device, compile_mode=mode, backend=backend)
            except ValueError as exc:  # a step no graph can hold (the learned kernel's CPU draws)
                report.data.setdefault("skipped", []).append(f"{experiment} {mode}: {exc}")
                continue
            got = train(run, steps, log, steps).history_array()
            report.check(f"{experiment}: {mode} vs eager on {device}, step {log}", relative(got[0], ours[0]), 1e-4,
                         "relative loss difference")  # fmt: skip

    settings = grid_settings(COULOMB, width, 2, 10, 10)
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

    images = np.random.default_rng(0).integers(0, 256, (200, 3, 64, 64), dtype=np.uint8)
    curves = {}
    for precision in ["bf16", "none"]:
        over = {"batch_size": 32, "mixed_precision": precision, "iterations": 20, "log_every": 5}
        model = {"channels": [8, 16, 32, 64]} if quick else {}
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

    extractor = fid.RandomFeatures(64)
    a, b = images[:100], images[100:]
    dist = {}
    for where in [device, torch.device("cpu")]:
        fa, fb = fid.features(extractor, a, 50, where), fid.features(extractor, b, 50, where)
        dist[where.type] = fid.frechet_distance(fid.statistics(fa), fid.statistics(fb))
    report.check(f"Fréchet distance of features on {device} vs CPU", relative(dist[device.type], dist["cpu"]), 1e-3,
                 "relative difference")  # fmt: skip


def first_step_gradients(settings, data, device, dtype) -> np.ndarray:
    """Every parameter's gradient from the first update step."""
    run = grid_model.build_run(settings, data, device, dtype=dtype)
    train(run, 1, 1, 1)
    grads = [p.grad.flatten() for net in run.step_fn.networks().values() for p in net.parameters()
             if p.grad is not None]  # fmt: skip
    return torch.cat(grads).double().cpu().numpy()


def timed_steps(run, steps, device) -> float:
    """Seconds per step of `steps` more steps (CUDA events on a GPU)."""
    if device.type == "cuda":
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        train(run, run.step + steps, steps, steps)
        end.record()
        torch.cuda.synchronize()
        return start.elapsed_time(end) / 1000 / steps
    return _common.timed(lambda: train(run, run.step + steps, steps, steps)) / steps


def speed(report, device, quick):
    data = grid_data()
    seeds, steps = (2, 20) if quick else (10, 300)
    grid = {}
    for experiment in EXPERIMENTS:
        settings = grid_settings(experiment, 0.25 if quick else 1.0, seeds, 10**9, steps)
        run = grid_model.build_run(settings, data, device)
        train(run, steps, steps, steps)  # warm-up
        grid[f"{experiment} eager"] = seeds / timed_steps(run, steps, device)
    settings = grid_settings(COULOMB, 0.25 if quick else 1.0, seeds, 10**9, steps)
    modes = ["compiled"] + (["graphed"] if device.type == "cuda" else [])
    for mode in modes:
        backend = "inductor" if device.type == "cuda" else "aot_eager"
        run = grid_model.build_run(settings, data, device, compile_mode=mode, backend=backend)
        start = time.perf_counter()
        train(run, steps, steps, steps)
        grid[f"{COULOMB} {mode} (compile s)"] = time.perf_counter() - start
        grid[f"{COULOMB} {mode}"] = seeds / timed_steps(run, steps, device)
    report.data["grid_run_steps_per_s"] = grid
    for name, value in grid.items():
        print(f"grid {name}: {value:.1f}")

    batch = 16 if quick else 100
    images = np.random.default_rng(0).integers(0, 256, (batch * 10, 3, 64, 64), dtype=np.uint8)
    celeba = {}
    for precision in ["bf16", "none"] if device.type == "cuda" else ["none"]:
        over = {"training": {"batch_size": batch, "mixed_precision": precision}}
        if quick:
            over["model"] = {"channels": [8, 16, 32, 64]}
        settings = celeba_training_settings(load_config({"celeba": over}), COULOMB, 1.0, 0)
        run = image_model.build_run(settings, images, device)
        train(run, 3, 1, 1)
        per_step = timed_steps(run, 3 if quick else 50, device)
        celeba[precision] = {"images_per_s": batch / per_step, "s_per_step": per_step,
                             "tflops_per_s": train_celeba.flops_per_step(run) / per_step / 1e12}  # fmt: skip
        print(f"CelebA {COULOMB} x1 {precision}: {batch / per_step:.0f} images/s")
    report.data["celeba"] = celeba
    report.data["matmul_tflops"] = _common.matmul_rate(device, 512 if quick else 8192)

    extractor = fid.RandomFeatures(2048)
    start = time.perf_counter()
    fid.features(extractor, images, 50, device)
    report.data["fid_features_images_per_s"] = len(images) / (time.perf_counter() - start)
    print(f"FID features (random-weight stand-in of Inception's output size): "
          f"{report.data['fid_features_images_per_s']:.0f} images/s")  # fmt: skip


def sharing(report, device, quick):
    counts = [1, 2] if quick else [1, 2, 4, 8]
    seconds = 2 if quick else 30
    totals = {}
    for k in counts:
        cmd = [sys.executable, __file__, "--worker", str(seconds), "--device", str(device)]
        if quick:
            cmd.append("--quick")
        procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) for _ in range(k)]
        outputs = [p.communicate()[0] for p in procs]
        if any(p.returncode for p in procs):
            raise RuntimeError(f"a grid worker process failed (exit codes {[p.returncode for p in procs]})")
        rates = [float(text.split()[-1]) for text in outputs]
        totals[k] = sum(rates)
        print(f"{k} grid jobs on one {device.type}: {totals[k]:.1f} run-steps/s in all")
    best = max(totals.values())
    jobs = min(k for k, total in totals.items() if total >= 0.9 * best)
    report.data["sharing"] = {"run_steps_per_s": totals, "recommended_jobs_per_gpu": jobs,
                              "recommended_gpu_share": 1 / jobs}  # fmt: skip
    print(f"recommended grid.gpu_share: {1 / jobs:g} ({jobs} jobs per GPU reach 90% of the best total)")


def worker(seconds, device, quick):
    """One grid training process for `sharing`: prints its run-steps/s."""
    settings = grid_settings(COULOMB, 0.25 if quick else 1.0, 2 if quick else 10, 10**9, 50)
    run = grid_model.build_run(settings, grid_data(), device)
    train(run, 50, 50, 50)  # warm-up
    _common.synchronise(device)
    start, steps = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        train(run, run.step + 50, 50, 50)
        steps += 50
    _common.synchronise(device)
    print(len(settings.seeds) * steps / (time.perf_counter() - start))


def projection(report):
    """GPU hours of the paper configuration per rule, from the measured rates."""
    config = load_config()
    grid, sharing_ = report.data["grid_run_steps_per_s"], report.data["sharing"]
    per_job_share = sharing_["run_steps_per_s"][sharing_["recommended_jobs_per_gpu"]] / sharing_["run_steps_per_s"][1]
    iterations = config["grid"]["training"]["iterations"]
    variants = [v for v, spec in config["grid"]["variants"].items() if not spec.get("skip")]
    probes, hours = probe_experiments(config), {}
    for experiment, _width in S.runs(config, "grid"):
        spec = config["grid"]["experiments"][experiment]
        probe = probes.get(spec["model"] + (" coulomb" if spec.get("kernel") == "coulomb" else ""))
        rate = max(v for k, v in grid.items() if k.startswith(probe + " ") and "compile s" not in k)
        seeds = len(S.seeds(config, "grid"))
        hours["grid_train"] = hours.get("grid_train", 0) + len(variants) * seeds * iterations / rate / 3600
    hours["grid_train"] /= per_job_share  # jobs sharing a GPU add up to more than one alone
    celeba = min(v["s_per_step"] for v in report.data["celeba"].values())
    runs = len(S.runs(config, "celeba")) * len(S.seeds(config, "celeba"))
    hours["celeba_train"] = runs * config["celeba"]["training"]["iterations"] * celeba / 3600
    report.data["projection_gpu_hours"] = hours
    total = sum(hours.values())
    print("paper configuration, GPU hours: " + ", ".join(f"{k} {v:.2f}" for k, v in hours.items()))
    print(f"ratio projected training / {TARGET_HOURS:g}-hour target: {total / TARGET_HOURS:.2f} "
          "(evaluation, FID and the theorem jobs not included)")  # fmt: skip


def summary(report, device) -> None:
    """The one table printed last: the issue's targets beside what was measured."""
    grid, celeba, gemm = report.data["grid_run_steps_per_s"], report.data["celeba"], report.data["matmul_tflops"]
    eager = grid[f"{COULOMB} eager"]
    best_mode = max(
        (m for m in ["compiled", "graphed"] if f"{COULOMB} {m}" in grid), key=lambda m: grid[f"{COULOMB} {m}"]
    )
    rows = [("correctness checks passed", f"{sum(c['ok'] for c in report.data['checks'].values())}"
             f"/{len(report.data['checks'])}", "all")]  # fmt: skip
    rows.append((f"grid {COULOMB} run-steps/s, eager", f"{eager:.0f}", ""))
    rows.append((f"grid {COULOMB} run-steps/s, {best_mode}", f"{grid[f'{COULOMB} {best_mode}']:.0f}",
                 f"{grid[f'{COULOMB} {best_mode}'] / eager:.1f}x eager (target 20x)"))  # fmt: skip
    for precision, row in celeba.items():
        dtype = "bfloat16" if precision == "bf16" else "float32"
        peak = train_celeba.peak_tflops(device, precision, None)
        mfu = f"MFU {row['tflops_per_s'] / peak:.0%} (target 40%)" if peak else "no known peak"
        rows.append((f"CelebA x1 {precision} images/s", f"{row['images_per_s']:.0f}",
                     f"{mfu}; {row['tflops_per_s'] / gemm[dtype]:.0%} of measured matmul"))  # fmt: skip
    sharing_ = report.data["sharing"]
    rows.append(("grid.gpu_share", f"{sharing_['recommended_gpu_share']:g}", "measured, 90% of the best total"))
    total = sum(report.data["projection_gpu_hours"].values())
    rows.append(("paper run's training, GPU hours", f"{total:.2f}", f"target {TARGET_HOURS:g}"))
    width = max(len(r[0]) for r in rows)
    print(f"\n{'':{width}}  {'measured':>10}  against")
    for name, value, against in rows:
        print(f"{name:{width}}  {value:>10}  {against}")


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
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks the script, measures nothing")
    parser.add_argument("--workflow", action="store_true", help="also run the quick preset on the device (e)")
    parser.add_argument("--worker", type=float, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    device = torch.device("cpu" if args.allow_cpu and not torch.cuda.is_available() else args.device)
    if args.worker is not None:
        return worker(args.worker, device, args.quick)
    if (device.type != "cuda" or not torch.cuda.is_available()) and not args.allow_cpu:
        sys.exit("gpu_check: no CUDA device here; it checks the GPU path (--allow-cpu runs it on the CPU)")
    torch.backends.cudnn.benchmark = True
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    report = Report()
    report.data["device"] = {"name": name, "torch": torch.__version__, "quick": args.quick,
                             "tf32_matmul": torch.backends.cuda.matmul.allow_tf32}  # fmt: skip
    print(f"gpu_check on {name}, torch {torch.__version__}{' (quick)' if args.quick else ''}")
    for section in [correctness, speed, sharing]:
        start = time.perf_counter()
        section(report, device, args.quick)
        report.data.setdefault("section_seconds", {})[section.__name__] = time.perf_counter() - start
    projection(report)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.workflow:
        workflow(report, device, args.out)
    report.data["failures"] = report.failures
    (args.out / "gpu_check.json").write_text(json.dumps(report.data, indent=1, default=str))
    print(f"written {args.out / 'gpu_check.json'}; {len(report.failures)} failed check(s)")
    summary(report, device)
    sys.exit(1 if report.failures else 0)


if __name__ == "__main__":
    main()
