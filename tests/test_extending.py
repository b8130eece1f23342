"""docs/extending.md, followed literally: its code blocks that start with a
file name are written into a temporary copy of the repository, which then
runs them under the quick preset into Tables 1-2, the claims and Theorem 2.
A kernel is one module and one config entry; a model type is its spec, its
step and a config entry; a 2-D mixture is one config entry; a data set of
points in the plane is one adapter module and one config section."""

import json
import math
import re
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
import yaml

from helpers import REPO, snakemake_command

DOC = (REPO / "docs" / "extending.md").read_text()


def blocks() -> dict[str, str]:
    """File name -> content of each fenced block whose first line is '# <file name>'."""
    found = {}
    for body in re.findall(r"^```\w+\n(.*?)^```", DOC, flags=re.M | re.S):
        first, _, rest = body.partition("\n")
        if re.fullmatch(r"# [\w./-]+\.(py|yaml)", first):
            found[first[2:]] = body if first.endswith(".py") else rest
    return found


def repository_copy(tmp_path):
    """The repository's tracked files (as a user's clone has them), in tmp_path/repo."""
    copy = tmp_path / "repo"
    listed = ["git", "ls-files", "--cached", "--others", "--exclude-standard"]  # a clone, with work not yet committed
    files = subprocess.run(listed, cwd=REPO, capture_output=True, text=True, check=True).stdout
    for name in files.splitlines():
        if (REPO / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, copy / name)
    return copy


def add_files(copy, names):
    written = blocks()
    for name in names:
        (copy / name).parent.mkdir(parents=True, exist_ok=True)  # a data set's own folder is new
        (copy / name).write_text(written[name])


def make_tables(tmp_path, copy, configs, targets=("tables",)):
    """Tables 1-2, the claims and Theorem 2 (and `targets`) of `copy` under the quick preset and `configs`,
    in tmp_path/run."""
    snakefile = str(REPO / "Snakefile")
    cmd = [
        str(copy / "Snakefile") if part == snakefile else part for part in snakemake_command(tmp_path / "run", *targets)
    ]
    cmd += ["--configfile", str(copy / "presets/quick.yaml"), *map(str, configs)]
    result = subprocess.run(cmd, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    return tmp_path / "run/results/tables"


def small_run(tmp_path, rows, variant="narrow", widths=(0.5, 1.0), couae_widths=None):
    """Test-only settings over the quick preset, in tmp_path/small.yaml: `rows` on one grid variant at
    `widths` (CouAE at `couae_widths` where given, else the quick preset's three), no CelebA files, a short
    Theorem 1."""
    grid = {"rows": list(rows), "variants_run": [variant], "widths": list(widths)}
    if couae_widths is not None:
        grid["experiments"] = {"couae": {"widths": list(couae_widths)}}
    theory = {"theorem1": {"dims": [2], "n_runs": 2, "steps": 100}}
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump({"grid": grid, "celeba": {"data": {"kind": "celeba"}}, "theory": theory}))
    return path


def test_the_walkthroughs_have_their_files():
    assert set(blocks()) == {
        "workflow/couae/kernels/laplace.py",
        "laplace.yaml",
        "workflow/couae/core/sliced_wasserstein.py",
        "workflow/couae/models/swae.py",
        "swae.yaml",
        "triangle.yaml",
        "workflow/couae/moons/adapter.py",
        "moons.yaml",
    }


@pytest.mark.workflow
def test_a_new_kernel_is_one_module_and_one_config_entry(tmp_path):
    copy = repository_copy(tmp_path)
    add_files(copy, ["workflow/couae/kernels/laplace.py"])
    (tmp_path / "laplace.yaml").write_text(blocks()["laplace.yaml"])
    small = small_run(tmp_path, ["wae", "couae", "laplace"], couae_widths=[1.0])
    tables = make_tables(tmp_path, copy, [tmp_path / "laplace.yaml", small])
    t1, t2 = pd.read_csv(tables / "table1.csv"), pd.read_csv(tables / "table2.csv")
    assert len(t1[(t1.row == "laplace") & (t1.status == "ours") & (t1.n_seeds == 3)]) == 1
    assert sorted(t2[(t2.row == "laplace") & (t2.status == "ours")].width) == [0.5, 1.0]
    claims = pd.read_csv(tables / "claims.csv", keep_default_na=False)
    row = claims[claims.claim == "extension-couae-vs-laplace"].iloc[0]
    assert row.verdict == "no paper claim" and row.n_b == 3
    theorem2 = pd.read_csv(tables / "theorem2.csv", keep_default_na=False)
    laplace = theorem2[theorem2.experiment == "laplace"]
    assert len(laplace) == 2 and laplace.assumptions.str.startswith("h = 2 (the theorem needs h > 2); ").all()
    assert laplace.assumptions.str.contains("unbounded support").all()  # the grid's Gaussian data
    assert (pd.to_numeric(laplace.kernel_bound) == 1.0).all() and (laplace.kernel_bound_source == "k(z, z)").all()
    assert "multi-scale Laplace: the number of scales" in (tables / "theorem2.md").read_text()


@pytest.mark.workflow
def test_a_new_mixture_is_one_config_entry(tmp_path):
    """docs/extending.md's triangle: no file, one entry; its block in Tables 1-2 with its ceilings and the
    mode-collapse numbers, no paper cell, and comparisons without a verdict."""
    copy = repository_copy(tmp_path)
    (tmp_path / "triangle.yaml").write_text(blocks()["triangle.yaml"])
    small = small_run(tmp_path, ["wae", "couae"], variant="triangle")  # the new variant alone
    tables = make_tables(tmp_path, copy, [tmp_path / "triangle.yaml", small])
    data = np.load(tmp_path / "run/results/grid/triangle/data.npz")
    centres = np.array([[0.0, 0.0], [3.0, 0.0], [1.5, 2.6]])
    nearest = np.linalg.norm(data["test"][:, None] - centres[None], axis=-1).argmin(1)
    assert sorted(np.bincount(nearest)) == pytest.approx([len(nearest) / 3] * 3, rel=0.15)  # equal weights
    t1 = pd.read_csv(tables / "table1.csv")
    block = t1[(t1.dataset == "grid") & (t1.variant == "triangle")]
    assert set(t1.variant.dropna()) == {"triangle"}
    ours, refs = block[block.status == "ours"], block[block.status == "reference"]
    assert list(ours.row) == ["wae", "couae"] and ours.paper_mean.isna().all()
    assert ours[["modes_covered", "high_quality", "mode_kl"]].notna().all().all()
    assert (ours.modes_covered <= 3).all()
    # its ceiling: the mixture's own density (modes of stds 0.1, 0.2, 0.3: -ln 3 - 1 - mean ln(2 pi s^2))
    ceiling = -math.log(3) - 1 - np.mean([math.log(2 * math.pi * s**2) for s in (0.1, 0.2, 0.3)])
    assert refs.iloc[0]["mean"] == pytest.approx(ceiling, abs=0.08)
    t2 = pd.read_csv(tables / "table2.csv")
    t2 = t2[t2.dataset == "grid"]
    assert t2.paper_mean.isna().all() and (t2.status == "ours").all()
    claims = pd.read_csv(tables / "claims.csv", keep_default_na=False)
    ours_claims = claims[claims.variant == "triangle"]
    table_claims = ours_claims[ours_claims.claim.str.startswith(("table1", "table2"))]
    assert len(table_claims) and (table_claims.verdict == "no paper claim").all()
    assert (table_claims.source == "Extension").all()


@pytest.mark.workflow
def test_a_new_point_data_set_is_one_module(tmp_path):
    """docs/extending.md's two moons: one adapter module (in a folder without __init__.py) and one section
    that gives only its params; its block in Tables 1-2 closed by its ceilings, no paper cell, claims of
    ours, Theorem 2 rows that say its support is unbounded, and its samples figure."""
    copy = repository_copy(tmp_path)
    add_files(copy, ["workflow/couae/moons/adapter.py"])
    assert not (copy / "workflow/couae/moons/__init__.py").exists()
    (tmp_path / "moons.yaml").write_text(blocks()["moons.yaml"])
    small = small_run(tmp_path, ["wae", "couae"])  # its rows; one grid variant beside it
    tables = make_tables(tmp_path, copy, [tmp_path / "moons.yaml", small], targets=("tables", "points"))
    run = tmp_path / "run"
    lint = [
        sys.executable,
        "-m",
        "snakemake",
        "-s",
        copy / "Snakefile",
        "--lint",
        "--configfile",
        tmp_path / "moons.yaml",
    ]
    linted = subprocess.run(list(map(str, lint)), cwd=copy, capture_output=True, text=True)  # rules/points.smk too
    said = linted.stdout + linted.stderr
    assert linted.returncode == 0 and "Congratulations" in said, said[-5000:]
    assert (run / "results/figures/moons_samples.png").stat().st_size > 0
    # the module itself: its density integrates to 1 and its splits are its draws (sizes: the quick grid's)
    check = textwrap.dedent(
        f"""
        import json, sys
        import numpy as np
        sys.path.insert(0, {str(copy / "workflow")!r})
        from couae import datasets
        moons, params = datasets.get("moons"), {{"noise": 0.1}}
        axis = np.linspace(-1.6, 2.6, 421)
        xy = np.stack(np.meshgrid(axis, axis - 0.25), -1).reshape(-1, 2)
        mass = np.exp(moons.log_density(params, xy)).sum() * (axis[1] - axis[0]) ** 2
        test = np.load({str(run / "results/moons/data.npz")!r})["test"]
        print(json.dumps({{"mass": float(mass), "n_test": len(test),
                          "test_ll": float(moons.log_density(params, test).mean())}}))
        """
    )
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-4000:]
    module = json.loads(result.stdout.strip().splitlines()[-1])
    assert module["mass"] == pytest.approx(1.0, abs=2e-3) and module["n_test"] == 2000
    t1 = pd.read_csv(tables / "table1.csv")
    block = t1[t1.dataset == "moons"]
    ours, refs = block[block.status == "ours"], block[block.status == "reference"]
    assert list(ours.row) == ["wae", "couae"] and (ours.n_seeds == 3).all() and ours.paper_mean.isna().all()
    assert "modes_covered" not in t1 or ours.modes_covered.isna().all()  # no modes to count
    assert refs.iloc[0]["mean"] == pytest.approx(module["test_ll"], abs=1e-9)  # the true density's ceiling
    assert refs.iloc[0]["mean"] > refs.iloc[1]["mean"]  # above the KDE on true samples
    t2 = pd.read_csv(tables / "table2.csv")
    moons2 = t2[(t2.dataset == "moons") & (t2.row == "couae")]
    assert sorted(moons2.width) == [0.25, 0.5, 1.0] and moons2.paper_mean.isna().all()
    claims = pd.read_csv(tables / "claims.csv", keep_default_na=False)
    own = claims[claims.dataset == "moons"]
    tabled = own[own.claim.str.startswith(("extension", "table2"))]
    assert "extension-couae-vs-wae" in set(own.claim) and len(tabled) == 3  # CouAE against WAE; two width steps
    assert (tabled.source == "Extension").all() and (tabled.verdict == "no paper claim").all()
    assert tabled.reasons.str.startswith("extension data set: the paper did not run moons").all()
    theorem2 = pd.read_csv(tables / "theorem2.csv", keep_default_na=False)
    rows = theorem2[theorem2.dataset == "moons"]
    assert len(rows) == 5 and rows.assumptions.str.contains("two moons data: unbounded support").all()  # 2 + 3 widths


@pytest.mark.workflow
def test_a_new_model_type_is_a_row_of_the_tables(tmp_path):
    """docs/extending.md's sliced-Wasserstein autoencoder under the quick preset: its row in Tables 1-2,
    CouAE against it in the claims (no verdict), and its Theorem 2 rows (not eq. (2)'s objective)."""
    copy = repository_copy(tmp_path)
    add_files(copy, ["workflow/couae/core/sliced_wasserstein.py", "workflow/couae/models/swae.py"])
    (tmp_path / "swae.yaml").write_text(blocks()["swae.yaml"])
    small = small_run(tmp_path, ["couae", "swae"], widths=[1.0], couae_widths=[1.0])  # the new row beside CouAE
    tables = make_tables(tmp_path, copy, [tmp_path / "swae.yaml", small])
    t1, t2 = pd.read_csv(tables / "table1.csv"), pd.read_csv(tables / "table2.csv")
    row = t1[(t1.row == "swae") & (t1.status == "ours")]
    assert len(row) == 1 and row.n_seeds.iloc[0] == 3 and row.paper_mean.isna().all()
    assert np.isfinite(row["mean"].iloc[0]) and row.modes_covered.notna().all()
    assert list(t2[(t2.row == "swae") & (t2.status == "ours")].width) == [1.0]
    claims = pd.read_csv(tables / "claims.csv", keep_default_na=False)
    found = claims[claims.claim == "extension-couae-vs-swae"].iloc[0]
    assert found.verdict == "no paper claim" and found.n_b == 3
    theorem2 = pd.read_csv(tables / "theorem2.csv", keep_default_na=False)
    swae = theorem2[theorem2.experiment == "swae"]
    assert len(swae) == 1 and (swae.assumptions == "sliced Wasserstein distance, not eq. (2)'s MMD").all()


def test_a_new_model_type_trains_on_the_grid(tmp_path):
    copy = repository_copy(tmp_path)
    add_files(copy, ["workflow/couae/core/sliced_wasserstein.py", "workflow/couae/models/swae.py"])
    (tmp_path / "swae.yaml").write_text(blocks()["swae.yaml"])
    script = textwrap.dedent(
        f"""
        import json, sys
        import torch, yaml
        sys.path.insert(0, {str(copy / "workflow")!r})
        from snakemake.utils import update_config
        from couae import config as C
        from couae.core.training import train
        from couae.grid import model
        from couae.grid.data import make_splits
        from couae.grid.settings import grid_data_settings, grid_training_settings
        from couae.grid.data import Mixture

        config = yaml.safe_load(open({str(copy / "config.yaml")!r}))
        update_config(config, yaml.safe_load(open({str(tmp_path / "swae.yaml")!r})))
        update_config(config, {{"grid": {{"training": {{"seeds": [0, 1], "iterations": 300, "log_every": 50}}}}}})
        C.check_config(config)
        settings = grid_training_settings(config, "narrow", "swae", 1.0)
        mixture = Mixture.of(grid_data_settings(config, "narrow"))
        sizes = {{"train": 500, "validation": 10, "test": 10, "reference": 10}}
        run = model.build_run(settings, make_splits(mixture, sizes, seed=0)["train"])
        train(run, 300, 50, 300)
        history = run.history_array()
        print(json.dumps({{"first": history[0, :, 0].tolist(), "last": history[-1, :, 0].tolist(),
                          "sw2": history[-1, :, 2].tolist(), "terms": list(run.step_fn.term_names)}}))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-4000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["terms"] == ["loss", "recon", "regulariser"]
    assert all(last < 0.5 * first for first, last in zip(out["first"], out["last"], strict=True))
    assert all(0 <= v < 1.0 for v in out["sw2"])
