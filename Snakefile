# Coulomb Autoencoders reproduction: one command regenerates the paper's tables
# and figures.   snakemake --cores 8 --resources gpu=1
# Quick check on a CPU:   snakemake --cores 2 --configfile presets/quick.yaml
#
# Rule files mirror the library (workflow/couae/): grid.smk -> couae.grid,
# celeba.smk -> couae.celeba, theory.smk -> couae.theory, report.smk ->
# couae.report; each rule runs workflow/scripts/<rule>.py.

from pathlib import Path


# The paper settings, found beside this file whatever the working directory;
# --configfile FILE merges FILE over them.
configfile: str(Path(workflow.basedir) / "config.yaml")


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/grid.smk"
include: "workflow/rules/celeba.smk"
include: "workflow/rules/theory.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        TABLES,
        FIGURE2,
        CONVERGENCE,
        CLAIMS,
        FIGURES_CELEBA,
        THEORY_OUTPUTS,
        "results/benchmarks/summary.csv",
