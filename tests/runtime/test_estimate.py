"""What a run will cost, said at start (couae.runtime.estimate), against hand counts."""

import pytest

from couae import datasets
from couae.runtime import estimate
from helpers import load_config

GRID, CELEBA = datasets.get("grid"), datasets.get("celeba")


def rates(cpu: dict, gpu: dict | None = None) -> dict:
    machine = {"machine": "m", "command": "c", "commit": "x"}
    return {"grid": {"cpu": {**machine, "rates": cpu}, "gpu": {**machine, "rates": gpu or cpu}}}


def test_hours_are_seeds_times_steps_over_the_rate_per_job():
    config = load_config({"grid": {"rows": ["vae", "couae"], "widths": [1.0], "training": {"iterations": 36000}}})
    jobs = GRID.training_jobs(config)
    assert sorted(jobs) == sorted([(e, 10, 36000) for e in ("vae", "couae") for _ in GRID.variants(config)])
    hours, borrowed, missing = estimate.job_hours([GRID], config, rates({"vae": 100.0, "couae": 50.0}), "cpu")
    n_variants = len(GRID.variants(config))
    assert hours == pytest.approx(n_variants * (10 * 36000 / 100 + 10 * 36000 / 50) / 3600) and not borrowed
    assert not missing


def test_a_row_without_its_own_rate_borrows_its_model_types_slowest_and_says_so():
    config = load_config({"grid": {"rows": ["wae", "couae"], "widths": [1.0], "training": {"iterations": 3600}}})
    hours, borrowed, _ = estimate.job_hours([GRID], config, rates({"couae": 10.0, "gaussian": 40.0}), "cpu")
    assert borrowed == ["grid wae"] and hours == pytest.approx(len(GRID.variants(config)) * 2 * 10 * 3600 / 10 / 3600)
    _, _, missing = estimate.job_hours([GRID], config, {"grid": {"cpu": {"rates": {}}}}, "cpu")
    assert missing == ["grid couae", "grid wae"]


def test_a_long_plan_names_the_shorter_runs_and_this_machines_share():
    config = load_config()
    long = estimate.say([GRID], config, gpus=0, threads=2, cores=8)
    assert "on this machine's CPU (8 cores, 4 jobs at once)" in long[0] and "presets/laptop.yaml" in long[-1]
    assert "on this machine's 2 GPUs" in estimate.say([GRID], config, gpus=2, threads=2)[0]
    short = load_config({"grid": {"training": {"iterations": 100}}})
    assert not any("shorter run" in line for line in estimate.say([GRID], short, gpus=0, threads=2, cores=2))


def test_the_committed_rates_name_their_source_and_cover_every_model_type_of_the_grid():
    committed = estimate.load_rates()
    for dataset in committed.values():
        for machine in dataset.values():
            assert {"machine", "command", "commit", "rates"} <= set(machine) and machine["rates"]
    experiments = load_config()["grid"]["experiments"]
    measured = {experiments[e]["model"] for e in committed["grid"]["cpu"]["rates"]}
    assert measured == {spec["model"] for spec in experiments.values()}


def test_celebas_step_cost_counts_its_convolutions():
    """Halving every layer's channels quarters each product but the first (3 input channels): by hand."""
    measured = {"channels": [128, 256, 512, 1024], "batch_size": 100}
    half = load_config({"celeba": {"model": {"channels": [64, 128, 256, 512]}, "training": {"batch_size": 50}}})

    def products(c):  # 64x64 images, stride 2: outputs of 32, 16, 8, 4 pixels a side
        return 3 * c[0] * 32**2 + c[0] * c[1] * 16**2 + c[1] * c[2] * 8**2 + c[2] * c[3] * 4**2

    expected = products([64, 128, 256, 512]) / products([128, 256, 512, 1024]) * 0.5
    assert CELEBA.step_cost(half, measured) == pytest.approx(expected)
    assert CELEBA.step_cost(load_config(), measured) == 1.0
