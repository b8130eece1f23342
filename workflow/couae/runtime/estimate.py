"""What a run will cost, said before it starts: every training job of the
config (done or not) at the measured training rates of `rates.yaml`, on this
machine (its CPU cores, or the GPUs it sees) and on one GPU, with what to run
instead when that is long.

The rates are measurements, each with the machine, command and commit that
made it (`benchmarks/train_grid.py --record` writes a CPU's grid rates;
`benchmarks/gpu_check.py` measures a GPU's). A rate is per experiment; an
experiment without one takes the slowest measured rate of its model type,
and one whose model type has none is left out of the sum, and said so.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

RATES = Path(__file__).with_name("rates.yaml")
LONG_HOURS = 2.0  # past this, the estimate names the shorter runs


def load_rates(path=RATES) -> dict:
    return yaml.safe_load(Path(path).read_text())


def rate(measured: dict, dataset, config, experiment: str) -> tuple[float | None, bool]:
    """(run-steps per second, whether borrowed) of `experiment` from one machine's
    measured rates: its own, else the slowest of its model type's, else the slowest
    of its data set's (borrowed: the networks are the data set's either way)."""
    rates = {e: float(r) for e, r in measured.get("rates", {}).items()}
    if experiment in rates:
        return rates[experiment], False
    experiments = config[dataset.name]["experiments"]
    model = experiments[experiment]["model"]
    alike = [r for e, r in rates.items() if experiments.get(e, {}).get("model") == model]
    return (min(alike or rates.values()), True) if rates else (None, True)


def job_hours(datasets, config, rates: dict, kind: str) -> tuple[float, list[str], list[str]]:
    """(hours, experiments at a borrowed rate, experiments without one) of every
    training job on one `kind` of machine, one after another; each data set's
    steps weighed by its `step_cost` (its networks against config.yaml's)."""
    seconds, borrowed, missing = 0.0, set(), set()
    for dataset in datasets:
        own = rates.get(dataset.name, {}).get(kind)
        # none measured on it: those of the data set whose networks it trains (`Dataset.rates_from`), borrowed
        measured = own or rates.get(dataset.rates_from or dataset.name, {}).get(kind, {})
        cost = dataset.step_cost(config, measured["reference"]) if measured.get("reference") else 1.0
        for experiment, seeds, steps in dataset.training_jobs(config):
            r, lent = rate(measured, dataset, config, experiment)
            lent = lent or own is None
            if r is None:
                missing.add(f"{dataset.name} {experiment}")
                continue
            if lent:
                borrowed.add(f"{dataset.name} {experiment}")
            seconds += seeds * steps * cost / r
    return seconds / 3600, sorted(borrowed), sorted(missing)


def _hours(h: float) -> str:
    if h < 1 / 60:
        return "under a minute"
    return f"{h * 60:.0f} minutes" if h < 1 else f"{h:.1f} hours" if h < 48 else f"{h / 24:.1f} days"


def _sources(rates: dict, kind: str) -> str:
    said = {f"{m['command']} on {m['machine']} at {m['commit']}" for d in rates.values() if (m := d.get(kind))}
    return "; ".join(sorted(said))


def say(datasets, config, gpus: int, threads: int, cores: int | None = None, rates: dict | None = None) -> list[str]:
    """The lines said at start: the training's hours here and on one GPU, and the shorter runs where long."""
    rates = rates or load_rates()
    cores = cores or os.cpu_count() or 1
    jobs = sum(len(d.training_jobs(config)) for d in datasets)
    cpu, cpu_borrowed, cpu_missing = job_hours(datasets, config, rates, "cpu")
    gpu, gpu_borrowed, gpu_missing = job_hours(datasets, config, rates, "gpu")
    at_once = max(1, cores // max(threads, 1))
    here = gpu / gpus if gpus else cpu / at_once
    where = (
        f"on this machine's {gpus} GPU{'s' if gpus > 1 else ''}, one job at a time on each"
        if gpus
        else f"on this machine's CPU ({cores} cores, "
        + ("one job at a time)" if at_once == 1 else f"{at_once} jobs at once)")
    )
    lines = [
        f"plan: {jobs} training jobs, done ones included, take about {_hours(here)} {where}, and {_hours(gpu)} on one "
        f"GPU one job at a time (x1's measured rates for every width: narrower ones take less). Rates: "
        f"{_sources(rates, 'cpu')} (CPU); {_sources(rates, 'gpu')} (GPU)."
    ]
    borrowed = sorted(set(cpu_borrowed) | set(gpu_borrowed))
    if borrowed:
        lines.append(
            f"plan: not measured, counted at the slowest rate of their model type or data set: {', '.join(borrowed)}"
        )
    missing = sorted(set(cpu_missing) | set(gpu_missing))
    if missing:
        lines.append(f"plan: no measured rate at all for {', '.join(missing)}: left out")
    if here > LONG_HOURS:
        lines.append(
            "plan: for a shorter run, --configfile presets/laptop.yaml (the paper's grid rows, 80,000 steps: about "
            "an hour on a CPU), `snakemake grid` (the grid half alone), or a cluster profile (docs/cluster.md)"
        )
    return lines
