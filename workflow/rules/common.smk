# Config validation, start checks, the jobs' environment, wildcards, and the
# lists the shared rules use. Data sets come from their adapters
# (couae.datasets, in config order): this file names none of them; each has
# its own rule file, workflow/rules/<name>.smk, with its paths and targets.
import os
import shlex
import sys
from pathlib import Path

import yaml

from snakemake.logging import logger
from snakemake.utils import min_version, validate
from snakemake_interface_executor_plugins.settings import DeploymentMethod

min_version("9.0")

sys.path.insert(0, str(Path(workflow.basedir) / "workflow"))
from couae import config as C  # noqa: E402
from couae import datasets as D  # noqa: E402
from couae import settings as S  # noqa: E402
from couae.report import text as T  # noqa: E402
from couae.runtime import estimate  # noqa: E402
from couae.runtime.arguments import on_command_line  # noqa: E402
from couae.runtime.gpu_slots import gpu_claim, gpu_count, slot_dir, slot_dir_problem  # noqa: E402

# config.yaml's key order (table rows, panels), whatever keys an overlay names
C.keep_base_order(config, yaml.safe_load((Path(workflow.basedir) / "config.yaml").read_text()))
try:
    C.complete_sections(config)  # a points data set's section takes the grid's settings it does not give
except S.ConfigError as exc:
    raise WorkflowError(f"invalid config: {exc}")
validate(config, "../schemas/config.schema.yaml", set_default=False)
try:
    C.check_config(config)
except S.ConfigError as exc:
    raise WorkflowError(f"invalid config: {exc}")
for warning in C.config_warnings(config):
    logger.warning(f"config: {warning}")
# Missing data or weights stop the run now, not hours later in a log file.
START_PROBLEMS, START_NOTES = C.start_check(config, jobs_run_here=workflow.local_exec or workflow.remote_exec)
if START_PROBLEMS:
    raise WorkflowError("cannot start:\n  " + "\n  ".join(START_PROBLEMS))
for note in START_NOTES:
    logger.warning(note)
DATASETS = C.in_config(config)  # every data set of the config: its rule file is included
RUNNING = C.running(config)  # those that run (the others' table cells say "not run")
# What the training will cost, here and on one GPU, at the measured rates; said
# once, by the Snakemake the user started (not again by each job's).
if not (workflow.remote_exec or workflow.subprocess_exec):
    threads = max(config[d.name]["training"]["threads"] for d in RUNNING) if RUNNING else 1
    for line in estimate.say(RUNNING, config, gpus=gpu_count(), threads=threads):
        logger.info(line)
    if gpu_count() and "CUDA_VISIBLE_DEVICES" not in os.environ:  # else a scheduler picks devices
        SLOT_PROBLEM = slot_dir_problem(slot_dir())
        if SLOT_PROBLEM:
            logger.warning(f"warning: {SLOT_PROBLEM}")

# Each rule runs workflow/scripts/<rule>.py, found on PATH, with the Python that
# runs Snakemake (the same environment, also on a cluster node that shares the
# file system); under --use-conda, with the rule's conda environment instead.
JOB_PATH = [str(Path(workflow.basedir) / "workflow" / "scripts")]
if DeploymentMethod.CONDA not in workflow.deployment_settings.deployment_method:
    JOB_PATH.insert(0, str(Path(sys.executable).parent))
shell.prefix(f"set -euo pipefail; export PATH={':'.join(map(shlex.quote, JOB_PATH))}:\"$PATH\"; ")
CONDA_ENV = "../envs/couae.yaml"


# Training and FID jobs declare a GPU where they will use one (gpu_claim): a data
# set's device (its own `device`, else the config's) cuda, or auto on a machine
# with a GPU, or auto under a cluster executor, where the job runs on a node the
# scheduler picks whatever the submit host has. On a CPU-only machine they claim
# none, so --cores N runs them side by side.
def on_cluster() -> bool:
    # Asked when a job's resources are evaluated, never while the Snakefile is
    # read: Snakemake sets its executor plugin only after parsing, so a
    # parse-time answer is always "local" (tests/workflow/test_cluster_claims.py).
    return workflow.non_local_exec or workflow.remote_exec


def gpu_resource(device: str, share: float = 1.0):
    """The `gpu` resource of a job on `device` that uses `share` of a GPU, as
    Snakemake evaluates it per job. Locally a job below a whole GPU declares
    none (Snakemake's resources are whole numbers) and couae.runtime.gpu_slots
    places round(1 / share) of them on each device; a cluster job asks its
    scheduler for a whole GPU."""
    gpu_claim(device, on_cluster=False)  # a bad device fails while the config is read

    def claim(wildcards):
        if share < 1 and not on_cluster():
            return 0
        return gpu_claim(device, on_cluster())

    return claim


def gpu_share_param(share: float):
    """The share of a GPU a job's process claims (couae.runtime.gpu_slots): a
    cluster job has its GPU to itself. Untracked: where a job runs, not what it computes."""
    return lambda wildcards: S.Untracked(str(1.0 if on_cluster() else share))


wildcard_constraints:
    variant=r"[a-z0-9]+",
    experiment=r"[a-z0-9]+",
    seed=r"\d+",
    flow=r"[a-z0-9]+",
    setup=r"[a-z0-9]+",
    row=r"[a-z0-9]+",
    width=r"\d+(\.\d+)?",
    candidate=r"\d+",
    block=r"\d+",


# --- what the data sets give the shared rules --------------------------------------------
EVALUATIONS = [f for d in RUNNING for f in d.evaluations(config)]  # per-seed evaluation CSVs
REFERENCES = [f for d in RUNNING for f in d.references(config)]  # Table 1's reference rows
PROVENANCE = [f for d in RUNNING for f in d.provenance(config)]
DATASET_TARGETS = [f for d in RUNNING for f in d.targets(config)]


def manifest(**per_dataset):
    """JSON for the shared scripts: per data set of the config, in config
    order, its evaluation files (none where it does not run; they are the
    rule's inputs too) and each `per_dataset` entry (a function of the adapter)."""
    entries = []
    for d in DATASETS:
        entry = {"evaluations": d.evaluations(config) if d in RUNNING else []}
        entry.update({key: get(d) for key, get in per_dataset.items()})
        entries.append([d.name, entry])
    return on_command_line(S.as_json(entries))


# --- theory -----------------------------------------------------------------------------
THEOREM1_FLOWS = S.theorem1_flows(config)
# particle flows: every row on every setup, in config order
FLOW_JOBS = [(setup, row) for setup in S.flow_setups(config) for row in S.flow_rows(config)]
FLOW_RUN = "results/theory/flows/{setup}/{row}"

# --- targets ----------------------------------------------------------------------------
TABLES = expand("results/tables/{table}.{ext}", table=["table1", "table2"], ext=["csv", "md", "tex", "html"])
CLAIMS = expand("results/tables/claims.{ext}", ext=["csv", "md", "html"])
THEORY_OUTPUTS = (
    expand("results/figures/figure1.{ext}", ext=["png", "pdf"])
    + expand("results/tables/theorem1.{ext}", ext=["csv", "md", "html"])
    + expand("results/figures/theorem1.{ext}", ext=["png", "pdf"])
    + expand("results/tables/theorem2.{ext}", ext=["csv", "md", "html"])
    + expand("results/figures/{name}.{ext}", name=["theorem2", "theorem2_bound"], ext=["png", "pdf"])
    + expand("results/tables/flows.{ext}", ext=["csv", "md", "html"])
    + expand("results/figures/{name}.{ext}", name=["flows", "flows_curves"], ext=["png", "pdf"])
)
BENCHMARKS = (
    expand("results/benchmarks/theorem1/{flow}.tsv", flow=THEOREM1_FLOWS)
    + [f"results/benchmarks/particle_flow/{setup}_{row}.tsv" for setup, row in FLOW_JOBS]
    + [f for d in RUNNING for f in d.benchmarks(config)]
)
# relative to the working directory: an absolute path would be a changed input, and
# re-run the report's summary, in every moved copy of the project
REPORT_INTRO = os.path.relpath(Path(workflow.basedir) / "workflow/report/workflow.rst")
TABLE_TARGETS = TABLES + CLAIMS + expand("results/tables/theorem2.{ext}", ext=["csv", "md", "html"])
