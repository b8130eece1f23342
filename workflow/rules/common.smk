# Config validation, helpers and target lists shared by every rule file.
import sys
from pathlib import Path

from snakemake.utils import min_version, validate

min_version("9.0")

sys.path.insert(0, str(Path(workflow.basedir) / "workflow"))
from couae import settings as S  # noqa: E402
from couae.paper import CELEBA_ITERATIONS as PAPER_CELEBA_ITERATIONS  # noqa: E402
from couae.paper import GRID_ITERATIONS as PAPER_GRID_ITERATIONS  # noqa: E402

validate(config, "../schemas/config.schema.yaml", set_default=False)
try:
    S.check_config(config)
except S.ConfigError as exc:
    raise WorkflowError(f"invalid config: {exc}")

# The Python running Snakemake runs the scripts too (same environment, also on a
# cluster node that shares the file system).
PYTHON = sys.executable
SCRIPTS = str(Path(workflow.basedir) / "workflow" / "scripts")

# Training jobs declare one GPU unless the config pins them to the CPU.
GPU_PER_TRAINING_JOB = 0 if config["device"] == "cpu" else 1

GRID_EXPERIMENTS = S.grid_experiments(config)
GRID_WIDTHS = S.grid_widths(config)  # path label -> factor
GRID_SEEDS = S.grid_seeds(config)
GRID_MAIN_WIDTH = S.width_label(S.main_width(config))


wildcard_constraints:
    experiment=r"[a-z0-9]+",
    seed=r"\d+",
    flow=r"[a-z0-9]+",
    width=r"\d+(\.\d+)?",


TABLES = expand("results/tables/{table}.{ext}", table=["table1", "table2"], ext=["csv", "md", "tex"])
FIGURE2 = expand("results/figures/figure2.{ext}", ext=["png", "pdf"])
FIGURES_CELEBA = expand("results/figures/{figure}.{ext}", figure=["figure3", "figure4"], ext=["png", "pdf"])
