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


# The report opens with the run's own summary (rule report_summary) once it
# exists, else with the workflow's introduction alone.
REPORT_SUMMARY = "results/report/summary.rst"


report: str(Path(REPORT_SUMMARY).resolve()) if Path(REPORT_SUMMARY).is_file() else "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/grid.smk"
include: "workflow/rules/celeba.smk"
include: "workflow/rules/theory.smk"
include: "workflow/rules/report.smk"


# Light jobs run where Snakemake runs, never queued on a cluster.
localrules:
    all,
    grid,
    celeba,
    theory,
    tables,
    fid_weights,
    figure1,
    figure2,
    figure3,
    figure4,
    theorem1,
    theorem2,
    flows,
    convergence,
    claims,
    paper_tables,
    benchmark_summary,
    report_summary,


rule all:
    default_target: True
    input:
        GRID_TARGETS,
        CELEBA_TARGETS if CELEBA_ON else [],
        THEORY_OUTPUTS,
        TABLE_TARGETS,
        "results/benchmarks/summary.csv",
        REPORT_SUMMARY,


# One half at a time: snakemake grid | celeba | theory | tables
rule grid:
    input:
        GRID_TARGETS,


rule celeba:
    input:
        CELEBA_TARGETS,


rule theory:
    input:
        THEORY_OUTPUTS,


rule tables:
    input:
        TABLE_TARGETS,
