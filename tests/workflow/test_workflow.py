"""The quick preset through Snakemake in a temporary directory, end to end."""

import base64
import json
import math
import os
import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from couae import config as C
from couae import datasets, kernels
from couae import settings as S
from couae.grid import settings as GS
from couae.grid.data import Mixture
from helpers import REPO, load_config, quick_config, snakemake_command

pytestmark = pytest.mark.workflow

QUICK = str(REPO / "presets" / "quick.yaml")
# What the quick preset runs, from its resolved config: the counts below follow it
CONFIG = quick_config()
GRID = datasets.get("grid")
VARIANTS = GRID.variants(CONFIG)
GRID_RUNS = S.runs(CONFIG, "grid")  # (experiment, width) per variant
N_SEEDS = len(S.seeds(CONFIG, "grid"))
PROVENANCE_JOBS = sum(len(d.provenance(CONFIG)) for d in C.running(CONFIG))


def extension_rows(dataset: str) -> list[str]:
    """A data set's running experiments without a paper column (compared with CouAE at x1)."""
    section = CONFIG[dataset]["experiments"]
    return [
        e
        for e in S.experiments(CONFIG, dataset)
        if "paper" not in section[e] and "1" in S.experiment_widths(CONFIG, dataset, e)
    ]


def runs_with(dataset: str, kernel: str, shared: str | None = None) -> list[tuple[str, str]]:
    """The runs of `dataset` whose experiment uses `kernel` (and, with `shared`,
    takes that kernel parameter from the data set's kernel section, not its own)."""
    section = CONFIG[dataset]["experiments"]
    return [
        (e, w)
        for e, w in S.runs(CONFIG, dataset)
        if section[e].get("kernel") == kernel and shared not in section[e].get("kernel_params", {})
    ]


def snakemake(workdir, *args, check=True):
    cmd = snakemake_command(workdir, "--configfile", QUICK, *args)
    result = subprocess.run(cmd, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"snakemake failed:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}")
    return result


def planned_jobs(dry_run_output: str) -> dict[str, int]:
    """Rule -> job count from the 'Job stats' table of a dry run."""
    table = dry_run_output.split("Job stats:")[-1]
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", table, re.M) if m[1] != "total"}


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("quick")
    snakemake(workdir, "--resources", "gpu=1")  # as the README's main command
    return workdir


def test_quick_preset_makes_tables_and_figure(quick_run):
    for stem in ("table1", "table2"):
        for ext in ("csv", "md", "tex"):
            assert (quick_run / "results/tables" / f"{stem}.{ext}").stat().st_size > 0
    variants, experiments = VARIANTS, S.experiments(CONFIG, "grid")
    assert variants == list(load_config()["grid"]["variants"])  # the quick preset runs every configured mixture
    for variant in variants:
        for ext in ("png", "pdf"):
            assert (quick_run / "results/figures" / f"figure2_{variant}.{ext}").stat().st_size > 10_000
    t1 = pd.read_csv(quick_run / "results/tables/table1.csv")
    assert list(dict.fromkeys(t1.variant.dropna())) == variants
    paper_variants = GS.paper_variants(CONFIG)
    for variant in variants:
        mixture = Mixture.of(GS.grid_data_settings(CONFIG, variant))
        ceiling = -math.log(len(mixture.centres)) - 1 - math.log(2 * math.pi * mixture.std**2)  # separated modes
        block = t1[(t1.dataset == "grid") & (t1.variant == variant)]
        grid = block[block.status == "ours"]
        assert list(grid.row) == experiments  # config order
        assert (grid.n_seeds == N_SEEDS).all() and grid["mean"].notna().all()
        assert grid[[m.column for m in GRID.side_metrics]].notna().all().all()  # modes, quality, KL: every row
        couae = grid[grid.row == "couae"].iloc[0]
        assert np.isnan(couae.difference)  # a shortened run: not compared
        # the paper's value beside its own grids' rows only (the ring is a benchmark of ours)
        assert couae.paper_mean == -4.3 if variant in paper_variants else np.isnan(couae.paper_mean)
        refs = block[block.status == "reference"]
        assert len(refs) == 2 and refs.iloc[0]["mean"] == pytest.approx(ceiling, abs=0.05)
        assert refs["mean"].max() > grid["mean"].max()  # no model beats its data set's true density
    celeba = t1[t1.dataset == "celeba"]
    assert list(celeba.status.unique()) == ["ours"] and sorted(celeba.paper_mean.dropna()) == [47, 55, 63]
    assert celeba[celeba.row.isin(["learnedae", "coulombgan"])].paper_mean.isna().all()  # extension rows
    md = (quick_run / "results/tables/table1.md").read_text()
    assert "SHORTENED RUN: 400 of the paper's 3000000" in md
    assert re.search(r"provenance: commit \S+; python 3\.\d+\.\d+, torch \S+, snakemake \S+, pytorch-fid", md)
    assert "devices: cpu" in md and f"over {PROVENANCE_JOBS} jobs" in md  # every job with a provenance record
    t2 = pd.read_csv(quick_run / "results/tables/table2.csv")
    assert len(t2[(t2.dataset == "grid") & (t2.status == "ours")]) == len(VARIANTS) * len(GRID_RUNS)
    assert set(t2[(t2.dataset == "celeba")].paper_mean.dropna()) == {53, 51, 47}


def test_quick_preset_tests_the_claims_and_follows_convergence(quick_run):
    claims = pd.read_csv(quick_run / "results/tables/claims.csv", keep_default_na=False)
    assert set(claims.verdict) <= {"reproduced", "contradicted", "inconclusive", "no paper claim"}
    grid = claims[claims.dataset == "grid"]
    # per variant: Table 1's two claims, Table 2's two width steps, Theorem 2's four, and the extension rows
    paper_claims = len(GRID.paper.table1_claims) + 2 + 4
    assert set(grid.variant) == set(VARIANTS) and len(grid) == len(VARIANTS) * (
        paper_claims + len(extension_rows("grid"))
    )
    extension = claims[claims.source == "Extension"]
    # a variant the paper did not run (the ring) compares as the paper's grids do, every Table 1-2 claim ours
    ours = [v for v in VARIANTS if v not in GS.paper_variants(CONFIG)]
    assert ours, "the quick preset runs a variant of ours"
    expected = len(VARIANTS) * len(extension_rows("grid")) + len(extension_rows("celeba"))
    expected += len(ours) * (len(GRID.paper.table1_claims) + 2)
    assert (extension.verdict == "no paper claim").all() and len(extension) == expected
    assert set(extension[extension.claim.str.startswith("extension")].compared.str.extract(r"B = (\w+) x1")[0]) == set(
        extension_rows("grid")
    )
    assert (grid[grid.variant.isin(ours) & grid.claim.str.startswith(("table1", "table2"))].source == "Extension").all()
    # a shortened run never reproduces nor contradicts the paper's comparisons
    paper_claims = claims[(claims.dataset != "theory") & (claims.source != "Extension")]
    assert (paper_claims.verdict == "inconclusive").all()
    assert grid.reasons.str.contains("shortened run: 400 of 3000000 iterations").all()
    assert set(claims[claims.source == "Theorem 1"].claim) >= {"theorem1-coulomb-h2", "theorem1-gaussian-h3"}
    convergence = pd.read_csv(quick_run / "results/tables/convergence.csv")
    assert sorted(convergence.step.unique()) == [100, 200, 400]
    steps = len(CONFIG["grid"]["training"]["snapshots"]) + 1  # the snapshots and the last step
    assert (convergence.groupby(["variant", "experiment", "width"]).size() == steps).all()
    assert (convergence.n_seeds == N_SEEDS).all() and len(convergence) == len(VARIANTS) * len(GRID_RUNS) * steps
    # the last step is Table 2's evaluation
    t2 = pd.read_csv(quick_run / "results/tables/table2.csv")
    last = convergence[(convergence.step == 400) & (convergence.experiment == "couae") & (convergence.width == 1)]
    ours = t2[(t2.row == "couae") & (t2.width == 1) & (t2.dataset == "grid")]
    assert sorted(last["mean"]) == pytest.approx(sorted(ours["mean"]))
    for variant in VARIANTS:
        assert (quick_run / f"results/figures/convergence_{variant}.png").stat().st_size > 10_000


def test_celeba_branch_on_the_standin_says_so_everywhere(quick_run):
    for stem in ("figure3", "figure4"):
        for ext in ("png", "pdf"):
            assert (quick_run / "results/figures" / f"{stem}.{ext}").stat().st_size > 10_000
    for name in ("table1", "table2"):
        t = pd.read_csv(quick_run / f"results/tables/{name}.csv", keep_default_na=False)
        celeba = t[t.dataset == "celeba"]
        assert (celeba.status == "ours").all()
        # every CelebA value is marked and never compared with the paper
        assert celeba.caveats.str.contains("stand-in data, not CelebA").all()
        assert celeba.caveats.str.contains("test-only features, not FID").all()
        assert (celeba.difference == "").all()
        md = (quick_run / f"results/tables/{name}.md").read_text()
        assert md.count("[STAND-IN DATA, NOT CELEBA; TEST-ONLY FEATURES, NOT FID]") == len(celeba)
        assert "CELEBA ROWS USE STAND-IN IMAGES" in md
    t2 = pd.read_csv(quick_run / "results/tables/table2.csv")
    couae = t2[(t2.dataset == "celeba") & (t2.row == "couae")]
    assert sorted(couae.width) == [0.25, 0.5, 1.0] and (couae["mean"] > 0).all()
    meta = yaml.safe_load((quick_run / "results/celeba/data/meta.json").read_text())
    assert meta["standin"] is True and meta["counts"] == {"train": 1000, "validation": 100, "test": 300}
    losses = pd.read_csv(quick_run / "results/celeba/train/couae/width1/seed0/loss.csv")
    assert losses.step.iloc[-1] == 100 and losses.loss.iloc[-1] < losses.loss.iloc[0]


def test_quick_preset_makes_the_theory_outputs(quick_run):
    for name in ("figure1", "theorem1"):
        for ext in ("png", "pdf"):
            assert (quick_run / "results/figures" / f"{name}.{ext}").stat().st_size > 10_000
    t = pd.read_csv(quick_run / "results/tables/theorem1.csv")
    flows = yaml.safe_load((REPO / "config.yaml").read_text())["theory"]["theorem1"]["flows"]
    assert set(t.flow) == set(flows) and set(t.dim) == {2, 3} and set(t.noise) == {0.0, 0.3}
    assert t.fraction_global.between(0, 1).all() and (t.runs == 6).all()
    # the same starts for every flow of one dimension; a flow at its global minimum ended closer
    assert (t.groupby("dim").median_start_worst_distance.nunique() == 1).all()
    assert (
        t[t.fraction_global == 1].median_worst_distance < t[t.fraction_global == 1].median_start_worst_distance
    ).all()
    t2 = pd.read_csv(quick_run / "results/tables/theorem2.csv", keep_default_na=False)
    grid, celeba = t2[t2.dataset == "grid"], t2[t2.dataset == "celeba"]
    assert len(grid) == len(VARIANTS) * len(GRID_RUNS) and set(grid.variant) == set(VARIANTS)
    assert (grid.n_train == CONFIG["grid"]["data"]["n_train"]).all()
    xi_max, xi_mean = pd.to_numeric(t2.xi_max), pd.to_numeric(t2.xi_mean)
    reconstructs = t2.experiment != "coulombgan"  # the GAN has no encoder, so no xi
    assert (xi_max[reconstructs] >= xi_mean[reconstructs]).all() and xi_max[~reconstructs].isna().all()
    # CelebA: vae, wae and the extension rows at x1, couae at three widths; N is the stand-in's training split
    assert sorted(zip(celeba.experiment, celeba.width)) == [
        ("couae", 0.25), ("couae", 0.5), ("couae", 1.0), ("coulombgan", 1.0), ("learnedae", 1.0), ("vae", 1.0),
        ("wae", 1.0),
    ]  # fmt: skip
    assert (celeba.n_train == 1000).all() and (pd.to_numeric(celeba.xi_mean[reconstructs]) > 0).all()
    assert (celeba.metric == "FID (lower is better)").all() and celeba.caveats.str.contains("stand-in").all()
    row = pd.read_csv(quick_run / "results/celeba/eval/couae/width0.5/seed0.csv").iloc[0]
    assert row.xi == max(row.recon_train_max, row.recon_validation_max) >= row.recon_train_mean > 0
    for figure in ("theorem2", "theorem2_bound"):
        assert (quick_run / f"results/figures/{figure}.png").stat().st_size > 10_000
    # the bound beside the measured gap: every MMD row measured, within its bound; the VAE's not
    outside = [  # objective not eq. (2), or a kernel fitted to the data
        name
        for d in ("grid", "celeba")
        for name, e in CONFIG[d]["experiments"].items()
        if e["model"] != "mmd" or kernels.kernel_class(e["kernel"]).data_dependent
    ]
    assert {"vae", "coulombgan", "learnedae", "kernelnet", "waerbf"} <= set(outside)
    mmd = t2[~t2.experiment.isin(outside)]
    gap, eps = pd.to_numeric(mmd.theorem_gap_max), pd.to_numeric(mmd.eps_independent)
    assert (pd.to_numeric(mmd.theorem_gap_mean) > 0).all() and (eps >= gap).all()
    assert (pd.to_numeric(mmd.generalisation_gap_mean) > 0).all()
    assert all(int(k) == int(n) > 0 for k, n in mmd.bound_holds.str.split("/"))
    assert (t2[t2.experiment.isin(outside)].eps == "").all()
    assert set(celeba[~celeba.experiment.isin(outside)].assumptions) == {"hold"}  # h = 64, bounded kernels
    assert grid[~grid.experiment.isin(outside)].assumptions.str.contains("h = 2").all()
    assert t2[t2.experiment == "learnedae"].assumptions.str.contains("fitted to the training codes").all()
    assert t2[t2.experiment == "waerbf"].assumptions.str.contains("set from each batch").all()
    assert "against the measured gap" in (quick_run / "results/tables/theorem2.md").read_text()


def test_quick_preset_compares_the_particle_flows(quick_run):
    config = yaml.safe_load((REPO / "config.yaml").read_text())["theory"]["flows"]
    t = pd.read_csv(quick_run / "results/tables/flows.csv")
    assert list(zip(t.setup, t.row)) == [(s, r) for s in config["setups"] for r in config["rows"]]
    assert (t.steps == 300).all() and t.coverage.between(0, 1).all()
    # every row starts alike, per setup
    assert (t.groupby("setup").w2_start.nunique() == 1).all()
    # the KALE flow at lambda = 1e4 reproduces the MMD flow
    for setup, rows in t.groupby("setup"):
        mmd, kalemmd = rows[rows.row == "mmd"].iloc[0], rows[rows.row == "kalemmd"].iloc[0]
        assert kalemmd.w2 == pytest.approx(mmd.w2, rel=1e-4), setup
    assert t[t.row.str.startswith("kale")].own_kale.notna().all() and t[t.row == "mmd"].own_kale.isna().all()
    for name in ("flows", "flows_curves"):
        assert (quick_run / f"results/figures/{name}.png").stat().st_size > 10_000
    records = pd.read_csv(quick_run / "results/theory/flows/rings/mmd.csv")
    assert list(records.step) == [0, 100, 200, 300]


def test_every_seed_has_weights_losses_samples(quick_run):
    for seed in (0, 1, 2):
        d = quick_run / f"results/grid/cited/train/wae/width1/block0/seed{seed}"
        assert (d / "weights.pt").exists() and (d / "samples.npy").exists()
        losses = pd.read_csv(d / "loss.csv")
        assert list(losses.columns) == ["step", "loss", "recon", "regulariser"]
        assert losses.step.iloc[-1] == 400 and len(losses) == 20
    gan = quick_run / "results/grid/cited/train/coulombgan/width1/block0/seed0"
    assert list(pd.read_csv(gan / "loss.csv").columns) == ["step", "loss", "discriminator", "generator"]
    assert np.load(gan / "samples.npy").shape == (2000, 2)  # the quick preset's n_samples


def test_the_coulomb_gan_row_has_no_reconstruction_and_no_paper_value(quick_run):
    evals = pd.read_csv(quick_run / "results/grid/narrow/eval/coulombgan/width1/block0.csv")
    assert evals.test_log_likelihood.notna().all() and evals.xi.isna().all() and evals.theorem_gap.isna().all()
    assert (evals.assumptions == "coulombgan objective, not eq. (2)").all()
    t1 = pd.read_csv(quick_run / "results/tables/table1.csv")
    gan = t1[(t1.row == "coulombgan") & (t1.dataset == "grid")]
    assert len(gan) == len(VARIANTS) and gan.paper_mean.isna().all() and (gan.n_seeds == N_SEEDS).all()


def test_the_learned_kernel_and_celeba_gan_rows(quick_run):
    learned = pd.read_csv(quick_run / "results/grid/cited/train/learnedae/width1/block0/seed0/loss.csv")
    assert list(learned.columns) == [
        "step", "loss", "recon", "regulariser", "kernel_objective", "omega", "min_eigenvalue"
    ]  # fmt: skip
    # the data-independent part's Gram matrix is positive semi-definite up to rounding
    assert (learned.min_eigenvalue > -1e-4).all() and (learned.omega > 0).all()
    evals = pd.read_csv(quick_run / "results/grid/cited/eval/learnedae/width1/block0.csv")
    assert evals.xi.notna().all() and evals.theorem_gap.isna().all()
    assert evals.assumptions.str.startswith("learned kernel, fitted to the training codes").all()
    weights = torch.load(quick_run / "results/celeba/train/learnedae/width1/seed0/weights.pt", weights_only=True)
    assert {"encoder", "decoder", "kernel"} <= set(weights)
    gan = pd.read_csv(quick_run / "results/celeba/eval/coulombgan/width1/seed0.csv")
    assert gan.fid.notna().all() and gan.xi.isna().all()
    assert (gan.assumptions == "coulombgan objective, not eq. (2)").all()
    assert np.load(quick_run / "results/celeba/eval/coulombgan/width1/seed0.samples.npy").shape == (16, 3, 64, 64)
    assert np.load(quick_run / "results/celeba/eval/coulombgan/width1/seed0.reconstructions.npy").shape[1] == 0


def test_cpu_training_jobs_ran_side_by_side_under_one_gpu(quick_run):
    """--cores 2 --resources gpu=1 on a CPU: no training job claims the GPU, so
    two run at once (which jobs claim one is tested in runtime/test_gpu_slots)."""
    spans = []
    for log in (quick_run / "logs/grid").glob("*/train/*.log"):
        stamps = re.findall(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) ", log.read_text(), re.M)
        spans.append(tuple(pd.Timestamp(t.replace(",", ".")) for t in (stamps[0], stamps[-1])))
    assert len(spans) == len(VARIANTS) * len(GRID_RUNS)
    spans.sort()
    assert any(later[0] < earlier[1] for earlier, later in zip(spans, spans[1:]))


def test_second_run_does_nothing(quick_run):
    result = snakemake(quick_run, "-n")
    assert "Nothing to be done" in result.stdout + result.stderr


def test_a_moved_copy_of_a_run_does_nothing(quick_run):
    """Inputs are named relative to the working directory (the report's intro too): a copy of the
    run at the same depth beside the package (as a copied project folder) is up to date."""
    moved = quick_run.parent / f"{quick_run.name}-moved"
    shutil.copytree(quick_run, moved, symlinks=True)
    try:
        result = snakemake(moved, "-n")
        assert "Nothing to be done" in result.stdout + result.stderr, result.stdout[-3000:]
    finally:
        shutil.rmtree(moved)


def test_without_celeba_files_the_grid_tables_still_come(quick_run, tmp_path):
    work = tmp_path / "run"
    shutil.copytree(quick_run, work, symlinks=True)  # with Snakemake's records: only what changed runs
    off = tmp_path / "off.yaml"
    off.write_text("celeba:\n  data:\n    kind: celeba\n")  # real CelebA, but no files named
    result = snakemake(work, "--configfile", QUICK, off)
    said = result.stdout + result.stderr
    assert "CelebA: no files configured (celeba.data.folder" in said
    ran = re.findall(r"^(?:local)?rule (\w+):", said, re.M)
    assert "paper_tables" in ran and not [r for r in ran if r.startswith("celeba") or r.startswith("fid")]
    t1 = pd.read_csv(work / "results/tables/table1.csv", keep_default_na=False)
    celeba = t1[t1.dataset == "celeba"]
    assert (celeba.status == "not run").all() and len(celeba) == len(datasets.get("celeba").paper.table1)
    grid = t1[(t1.dataset == "grid") & (t1.status == "ours")]
    assert (grid.n_seeds == N_SEEDS).all() and len(grid) == len(VARIANTS) * len(S.experiments(CONFIG, "grid"))
    assert "celeba: not run (no CelebA files configured" in (work / "results/tables/table1.md").read_text()
    assert "<td>not run</td>" in (work / "results/tables/table1.html").read_text()


def test_changing_one_experiment_reruns_only_its_jobs(quick_run, tmp_path):
    change = tmp_path / "change.yaml"
    change.write_text("grid:\n  kernels:\n    plummer:\n      exponent: 2.0\n")
    result = snakemake(quick_run, "-n", "--configfile", QUICK, str(change))
    jobs = planned_jobs(result.stdout)
    runs = runs_with("grid", "plummer", shared="exponent")  # the Plummer row and the Coulomb GAN share it
    plummer = len(VARIANTS) * len(runs)
    assert jobs == {
        "grid_train": plummer,
        "grid_evaluate": plummer,
        "paper_tables": 1,
        "figure2": len(VARIANTS),
        "theorem2": 1,
        "claims": 1,
        "convergence": 1,
        "benchmark_summary": 1,
        "report_summary": 1,
        "all": 1,
    }
    assert set(re.findall(r"wildcards: variant=\w+, experiment=(\w+)", result.stdout)) == {e for e, _ in runs}
    assert set(re.findall(r"wildcards: variant=(\w+), experiment=", result.stdout)) == set(VARIANTS)


def test_adding_a_seed_outside_the_trained_blocks_trains_only_its_block(quick_run, tmp_path):
    """Seeds 0-2 trained in block 0 (seeds_per_job 10); seed 10 is block 1: only
    its jobs and the tables built from every block run, block 0's settings
    (and so its numbers) unchanged."""
    from couae.grid import settings as GS

    change = tmp_path / "change.yaml"
    change.write_text("grid:\n  training:\n    seeds: [0, 1, 2, 10]\n")
    result = snakemake(quick_run, "-n", "--configfile", QUICK, str(change))
    jobs = planned_jobs(result.stdout)
    assert jobs["grid_train"] == jobs["grid_evaluate"] == len(VARIANTS) * len(GRID_RUNS)
    assert set(re.findall(r"wildcards: variant=\w+, experiment=\w+, width=[\d.]+, block=(\d+)", result.stdout)) == {"1"}
    assert "celeba_train" not in jobs and jobs["paper_tables"] == 1
    added = load_config(yaml.safe_load(open(QUICK)), {"grid": {"training": {"seeds": [0, 1, 2, 10]}}})
    for experiment, width in GRID_RUNS:
        before = GS.grid_training_settings(CONFIG, "cited", experiment, width, 0)
        assert before == GS.grid_training_settings(added, "cited", experiment, width, 0)
        assert GS.grid_training_settings(added, "cited", experiment, width, 1).seeds == (10,)


def test_changing_one_flow_reruns_only_that_flow(quick_run, tmp_path):
    change = tmp_path / "change.yaml"
    change.write_text("theory:\n  theorem1:\n    flows:\n      coulomb:\n        params: {eps: 0.05}\n")
    result = snakemake(quick_run, "-n", "--configfile", QUICK, str(change))
    assert planned_jobs(result.stdout) == {
        "theorem1_flow": 1,
        "theorem1": 1,
        "claims": 1,
        "convergence": 1,
        "benchmark_summary": 1,
        "report_summary": 1,
        "all": 1,
    }
    assert set(re.findall(r"wildcards: flow=(\w+)", result.stdout)) == {"coulomb"}


def test_changing_one_particle_flow_row_reruns_it_on_every_setup(quick_run, tmp_path):
    change = tmp_path / "change.yaml"
    change.write_text("theory:\n  flows:\n    rows:\n      kale: {lambda: 1.0e-2}\n")
    result = snakemake(quick_run, "-n", "--configfile", QUICK, str(change))
    assert planned_jobs(result.stdout) == {
        "particle_flow": len(S.flow_setups(CONFIG)),
        "flows": 1,
        "benchmark_summary": 1,
        "all": 1,
    }
    assert set(re.findall(r"wildcards: setup=(\w+), row=(\w+)", result.stdout)) == {
        ("rings", "kale"),
        ("mog", "kale"),
        ("theorem1", "kale"),
    }


def report_items(report: str) -> dict[str, str]:
    """Path -> (mime type, decoded content) of each file bundled in a report."""
    items = {}
    for m in re.finditer(r'"(results/[^"]+)": \{"name".*?"data_uri": "data:([^;]+);[^,]*,([^"]+)"', report):
        items[m[1]] = (m[2], base64.b64decode(m[3]))
    return items


def chromium() -> str | None:
    """A headless Chromium, installed from Debian's packages in CI (root)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found or not (os.environ.get("CI") and os.geteuid() == 0 and shutil.which("apt-get")):
        return found
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"]
    if subprocess.run(install, env=env, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True)
        subprocess.run(install, env=env, capture_output=True, check=True)
    return shutil.which("chromium")


def rendered(browser: str, page, *args) -> str:
    """The DOM of `page` after its scripts ran, in a headless browser."""
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=15000", *args]
    result = subprocess.run([*cmd, "--dump-dom", f"file://{page}"], capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_report_bundles_tables_and_figures_with_captions(quick_run):
    snakemake(quick_run, "--report", "results/report.html")
    report = (quick_run / "results/report.html").read_text()
    for caption in (
        "Table 1: test log-likelihood",
        "Table 2: the hidden width scaled",
        "Figure 1: the regulariser",
        "Figure 2, one per grid data set variant",
        "Test log-likelihood on the grid against training steps",
        "Each claim of the paper tested on this run",
        "Theorem 1 in practice",
        "Figure 3: images generated by each CelebA",
        "Figure 4: CelebA test images",
        "Theorem 2 for every dataset, experiment and width factor",
        "Particle flows on rings, mog, theorem1",
        "Per-job benchmarks measured by Snakemake",
    ):
        assert caption in report
    assert "{{" not in report
    # the tables are there as HTML pages, with their notes, not CSV downloads
    items = report_items(report)
    for name in ("table1", "table2", "claims", "convergence", "theorem1", "theorem2", "flows"):
        mime, page = items[f"results/tables/{name}.html"]
        assert mime == "text/html" and f"results/tables/{name}.csv" not in items
        assert page.decode() == (quick_run / f"results/tables/{name}.html").read_text()
    table1 = items["results/tables/table1.html"][1].decode()
    rows = pd.read_csv(quick_run / "results/tables/table1.csv")
    assert table1.count("<tr") == len(rows) + 1  # a header and a row per CSV row
    assert "SHORTENED RUN: 400 of the paper" in table1


def test_report_reads_in_a_browser(quick_run, tmp_path):
    browser = chromium()
    if browser is None:
        pytest.skip("no chromium here (Debian: apt-get install chromium); CI installs it")
    snakemake(quick_run, "--report", "results/report.html")
    landing = rendered(browser, quick_run / "results/report.html")
    claims = pd.read_csv(quick_run / "results/tables/claims.csv", keep_default_na=False)
    counts = claims.verdict.value_counts()
    # the landing text is this run's: its settings and how the claims fared
    assert "This run:" in landing and "400 iterations (paper 3000000), 3 seeds" in landing
    assert f"{counts.get('reproduced', 0)} reproduced, {counts.get('contradicted', 0)} contradicted" in landing
    for category in ("Tables", "Claims", "Figures", "Theorem 1", "Theorem 2"):
        assert f">{category}<" in landing
    # a bundled table, as the report shows it: a real table with its notes
    page = tmp_path / "table2.html"
    page.write_bytes(report_items((quick_run / "results/report.html").read_text())["results/tables/table2.html"][1])
    table = rendered(browser, page)
    assert "<table" in table and "<th>" in table and "SHORTENED RUN" in table
    shot = tmp_path / "table2.png"
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", f"--screenshot={shot}", f"file://{page}"]
    subprocess.run(cmd, capture_output=True, timeout=180, check=True)
    assert shot.stat().st_size > 10_000  # drawn, not blank


def test_changing_one_celeba_kernel_reruns_only_its_jobs(quick_run, tmp_path):
    change = tmp_path / "change.yaml"
    change.write_text("celeba:\n  kernels:\n    coulomb:\n      eps: 0.5\n")
    result = snakemake(quick_run, "-n", "--configfile", QUICK, str(change))
    coulomb = len(runs_with("celeba", "coulomb")) * len(S.seeds(CONFIG, "celeba"))
    assert planned_jobs(result.stdout) == {
        "celeba_train": coulomb,
        "celeba_evaluate": coulomb,
        "paper_tables": 1,
        "figure3": 1,
        "figure4": 1,
        "theorem2": 1,
        "claims": 1,
        "convergence": 1,
        "benchmark_summary": 1,
        "report_summary": 1,
        "all": 1,
    }
    assert set(re.findall(r"wildcards: experiment=(\w+)", result.stdout)) == {"couae"}


def test_moving_the_celeba_files_reruns_nothing(quick_run, tmp_path):
    # where the files are found is not what they are: no params change
    change = tmp_path / "change.yaml"
    change.write_text("celeba:\n  data:\n    folder: /somewhere/else\n    download_dir: elsewhere\n")
    result = snakemake(quick_run, "-n", "--configfile", QUICK, str(change))
    assert "Nothing to be done" in result.stdout + result.stderr


def test_an_edited_partition_file_reruns_the_preparation(tmp_path):
    """Your own copy of CelebA: what the files are is part of the data job."""
    from PIL import Image

    folder = tmp_path / "img"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(1, 7):
        Image.fromarray(rng.integers(0, 256, (218, 178, 3), dtype=np.uint8)).save(folder / f"00000{i}.jpg")
    partition = tmp_path / "partition.txt"
    lines = ["000001.jpg 0", "000002.jpg 0", "000003.jpg 0", "000004.jpg 1", "000005.jpg 2", "000006.jpg 2"]
    partition.write_text("\n".join(lines) + "\n")
    mine = tmp_path / "mine.yaml"
    mine.write_text(
        f"celeba:\n  data:\n    kind: celeba\n    sources: [folder]\n    folder: {folder}\n"
        f"    partition: {partition}\n    md5: {{partition: null}}\n"
    )
    target = "results/celeba/data/meta.json"
    snakemake(tmp_path, "-p", target, "--configfile", QUICK, mine)
    meta = json.loads((tmp_path / target).read_text())
    assert meta["caveats"] == ["non-official split", "a subset of CelebA"] and meta["counts"]["test"] == 2
    again = snakemake(tmp_path, "-n", target, "--configfile", QUICK, mine)
    assert "Nothing to be done" in again.stdout + again.stderr
    partition.write_text("\n".join(lines).replace("000003.jpg 0", "000003.jpg 1") + "\n")
    result = snakemake(tmp_path, "-n", target, "--configfile", QUICK, mine)
    assert planned_jobs(result.stdout) == {"celeba_data": 1}
