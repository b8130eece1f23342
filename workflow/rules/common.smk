# Config validation, the jobs' environment, wildcards, output paths and the
# target lists every rule file uses. Rule files hold rules only.
import shlex
import sys
from pathlib import Path

from snakemake.logging import logger
from snakemake.utils import min_version, validate
from snakemake_interface_executor_plugins.settings import DeploymentMethod

min_version("9.0")

sys.path.insert(0, str(Path(workflow.basedir) / "workflow"))
from couae import settings as S  # noqa: E402
from couae.report import text as T  # noqa: E402
from couae.runtime.gpu_slots import gpu_count  # noqa: E402

validate(config, "../schemas/config.schema.yaml", set_default=False)
try:
    S.check_config(config)
except S.ConfigError as exc:
    raise WorkflowError(f"invalid config: {exc}")
for warning in S.config_warnings(config):
    logger.warning(f"config: {warning}")
# Missing data or weights stop the run now, not hours later in a log file.
START_PROBLEMS, START_NOTES = S.start_check(config)
if START_PROBLEMS:
    raise WorkflowError("cannot start:\n  " + "\n  ".join(START_PROBLEMS))
for note in START_NOTES:
    logger.warning(note)
CELEBA_ON = S.celeba_configured(config)

# Each rule runs workflow/scripts/<rule>.py, found on PATH, with the Python that
# runs Snakemake (the same environment, also on a cluster node that shares the
# file system); under --use-conda, with the rule's conda environment instead.
JOB_PATH = [str(Path(workflow.basedir) / "workflow" / "scripts")]
if DeploymentMethod.CONDA not in workflow.deployment_settings.deployment_method:
    JOB_PATH.insert(0, str(Path(sys.executable).parent))
shell.prefix(f"set -euo pipefail; export PATH={':'.join(map(shlex.quote, JOB_PATH))}:\"$PATH\"; ")
CONDA_ENV = "../envs/couae.yaml"

# Training and FID jobs declare one GPU where they will use one: device cuda, or
# auto on a machine with a GPU. On a CPU-only machine they claim none, so
# --cores N runs them side by side. (On a cluster whose login node has no GPU,
# set device: cuda.)
GPU_PER_TRAINING_JOB = int(config["device"] == "cuda" or (config["device"] == "auto" and gpu_count() > 0))


wildcard_constraints:
    variant=r"[a-z0-9]+",
    experiment=r"[a-z0-9]+",
    seed=r"\d+",
    flow=r"[a-z0-9]+",
    setup=r"[a-z0-9]+",
    row=r"[a-z0-9]+",
    width=r"\d+(\.\d+)?",


# --- the grid ---------------------------------------------------------------------------
GRID_VARIANTS = S.variants(config)
GRID_RUNS = S.runs(config, "grid")  # (experiment, width label)
GRID_EXPERIMENTS = S.experiments(config, "grid")
GRID_WIDTHS = S.dataset_widths(config, "grid")  # path label -> factor
GRID_SEEDS = S.seeds(config, "grid")
GRID_MAIN_WIDTHS = {
    e: S.width_label(S.main_width(S.experiment_widths(config, "grid", e).values())) for e in GRID_EXPERIMENTS
}
GRID_DATA = "results/grid/{variant}/data.npz"
GRID_RUN = "results/grid/{variant}/train/{experiment}/width{width}"
GRID_EVAL = "results/grid/{variant}/eval/{experiment}/width{width}"
GRID_REFERENCE = "results/grid/{variant}/eval/reference.csv"
GRID_TRAIN_BENCHMARK = "results/benchmarks/grid_train/{variant}_{experiment}_width{width}.tsv"
GRID_EVAL_BENCHMARK = "results/benchmarks/grid_eval/{variant}_{experiment}_width{width}.tsv"


def grid_outputs(pattern):
    """`pattern` filled for every variant and configured (experiment, width)."""
    return [pattern.format(variant=v, experiment=e, width=w) for v in GRID_VARIANTS for e, w in GRID_RUNS]


def grid_seed_files(name):
    """One path per configured seed, keeping {variant}, {experiment} and {width} as wildcards."""
    return [f"{GRID_RUN}/seed{seed}/{name}" for seed in GRID_SEEDS]


def figure2_files(name):
    """Per experiment, `name` of its first seed at its main width, {variant} kept."""
    return [
        f"results/grid/{{variant}}/train/{e}/width{w}/seed{GRID_SEEDS[0]}/{name}" for e, w in GRID_MAIN_WIDTHS.items()
    ]


def figure2_losses(wildcards):
    """Per experiment, the loss histories of every seed at its main width."""
    return [
        f"results/grid/{wildcards.variant}/train/{e}/width{w}/seed{seed}/loss.csv"
        for e, w in GRID_MAIN_WIDTHS.items()
        for seed in GRID_SEEDS
    ]


GRID_EVALS = grid_outputs(f"{GRID_EVAL}.csv")
GRID_CONVERGENCE = grid_outputs(f"{GRID_EVAL}.convergence.csv")
GRID_REFERENCES = expand(GRID_REFERENCE, variant=GRID_VARIANTS)
GRID_PROVENANCE = grid_outputs(f"{GRID_RUN}/provenance.json") + grid_outputs(f"{GRID_EVAL}.provenance.json")

# --- CelebA -----------------------------------------------------------------------------
CELEBA_EXPERIMENTS = S.experiments(config, "celeba")
CELEBA_SEEDS = S.seeds(config, "celeba")
CELEBA_WIDTHS = S.dataset_widths(config, "celeba")
CELEBA_DATA = "results/celeba/data"
CELEBA_SPLITS = {split: f"{CELEBA_DATA}/{split}.npy" for split in S.IMAGE_SPLITS}
CELEBA_META = f"{CELEBA_DATA}/meta.json"
CELEBA_RUN = "results/celeba/train/{experiment}/width{width}/seed{seed}"
CELEBA_EVAL = "results/celeba/eval/{experiment}/width{width}/seed{seed}"
CELEBA_FID_WEIGHTS = "results/celeba/fid/weights.json"
CELEBA_FID_REFERENCE = "results/celeba/fid/test_stats.npz"
CELEBA_TRAIN_BENCHMARK = "results/benchmarks/celeba_train/{experiment}_width{width}_seed{seed}.tsv"
CELEBA_EVAL_BENCHMARK = "results/benchmarks/celeba_eval/{experiment}_width{width}_seed{seed}.tsv"
CELEBA_TRAIN_THREADS = config["celeba"]["training"]["threads"]
FIGURE4_EXPERIMENT = config["celeba"]["figures"]["figure4_experiment"]
FIGURE4_WIDTHS = S.experiment_widths(config, "celeba", FIGURE4_EXPERIMENT)


def celeba_outputs(pattern):
    """`pattern` filled for every configured (experiment, width) and seed."""
    return [pattern.format(experiment=e, width=w, seed=s) for e, w in S.runs(config, "celeba") for s in CELEBA_SEEDS]


# What the tables, Theorem 2 and the claims read of CelebA: nothing where it is not configured.
CELEBA_EVALS = celeba_outputs(f"{CELEBA_EVAL}.csv") if CELEBA_ON else []
CELEBA_PROVENANCE = (
    celeba_outputs(f"{CELEBA_RUN}/provenance.json") + celeba_outputs(f"{CELEBA_EVAL}.provenance.json")
    if CELEBA_ON
    else []
)
# Figure 3: each experiment's first seed at its main width; Figure 4: one experiment's widths
CELEBA_MAIN_WIDTHS = {
    e: S.width_label(S.main_width(S.experiment_widths(config, "celeba", e).values())) for e in CELEBA_EXPERIMENTS
}
FIGURE3_SAMPLES = [
    f"{CELEBA_EVAL.format(experiment=e, width=w, seed=CELEBA_SEEDS[0])}.samples.npy"
    for e, w in CELEBA_MAIN_WIDTHS.items()
]
FIGURE4_PAIRS = [
    f"{CELEBA_EVAL.format(experiment=FIGURE4_EXPERIMENT, width=w, seed=CELEBA_SEEDS[0])}.reconstructions.npy"
    for w in FIGURE4_WIDTHS
]
# Where files are found is not what they are: moving them re-runs nothing.
CELEBA_LOCATIONS = S.celeba_locations(config)
FID_WEIGHTS_DIR = S.Untracked(config["celeba"]["fid"]["weights_dir"] or "")
FID_WEIGHTS_URL = S.Untracked(config["celeba"]["fid"]["weights_url"] or "")
# The feature batch changes throughput, not the statistics.
FID_BATCH = S.Untracked(str(config["celeba"]["fid"]["batch_size"]))

# --- theory -----------------------------------------------------------------------------
THEOREM1_FLOWS = S.theorem1_flows(config)
# particle flows: every row on every setup, in config order
FLOW_JOBS = [(setup, row) for setup in S.flow_setups(config) for row in S.flow_rows(config)]
FLOW_RUN = "results/theory/flows/{setup}/{row}"

# --- targets ----------------------------------------------------------------------------
TABLES = expand("results/tables/{table}.{ext}", table=["table1", "table2"], ext=["csv", "md", "tex", "html"])
FIGURE2 = expand("results/figures/figure2_{variant}.{ext}", variant=GRID_VARIANTS, ext=["png", "pdf"])
CONVERGENCE = expand("results/tables/convergence.{ext}", ext=["csv", "md", "html"]) + expand(
    "results/figures/convergence_{variant}.{ext}", variant=GRID_VARIANTS, ext=["png", "pdf"]
)
CLAIMS = expand("results/tables/claims.{ext}", ext=["csv", "md", "html"])
FIGURES_CELEBA = expand("results/figures/{figure}.{ext}", figure=["figure3", "figure4"], ext=["png", "pdf"])
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
    grid_outputs(GRID_TRAIN_BENCHMARK)
    + grid_outputs(GRID_EVAL_BENCHMARK)
    + expand("results/benchmarks/theorem1/{flow}.tsv", flow=THEOREM1_FLOWS)
    + [f"results/benchmarks/particle_flow/{setup}_{row}.tsv" for setup, row in FLOW_JOBS]
    + (
        ["results/benchmarks/celeba_data.tsv", "results/benchmarks/celeba_fid_reference.tsv"]
        + celeba_outputs(CELEBA_TRAIN_BENCHMARK)
        + celeba_outputs(CELEBA_EVAL_BENCHMARK)
        if CELEBA_ON
        else []
    )
)
REPORT_INTRO = str(Path(workflow.basedir) / "workflow/report/workflow.rst")
# What each half makes (the targets `grid`, `celeba`, `theory`, `tables`; `all` is every configured one)
GRID_TARGETS = FIGURE2 + CONVERGENCE + GRID_EVALS + GRID_REFERENCES
CELEBA_TARGETS = FIGURES_CELEBA + celeba_outputs(f"{CELEBA_EVAL}.csv")
TABLE_TARGETS = TABLES + CLAIMS + expand("results/tables/theorem2.{ext}", ext=["csv", "md", "html"])
