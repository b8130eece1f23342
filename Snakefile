# Coulomb Autoencoders reproduction: one command regenerates the paper's tables
# and figures.   snakemake --cores 8 --resources gpu=1
# Quick check on a CPU:   snakemake --cores 2 --configfile presets/quick.yaml
#
# Rule files mirror the library (workflow/couae/): <data set>.smk ->
# couae.<data set> (grid, celeba), theory.smk -> couae.theory, report.smk ->
# couae.report; each rule runs workflow/scripts/<rule>.py (rules/points.smk, for
# the data sets of points added as one module: the grid's scripts).

from pathlib import Path


# The paper settings, found beside this file whatever the working directory;
# --configfile FILE merges FILE over them.
configfile: str(Path(workflow.basedir) / "config.yaml")


# The report opens with the run's own summary (rule report_summary) once it
# exists, else with the workflow's introduction alone.
REPORT_SUMMARY = "results/report/summary.rst"


report: str(Path(REPORT_SUMMARY).resolve()) if Path(REPORT_SUMMARY).is_file() else "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"


# Each data set of the config has its rule file (its adapter names it: couae.datasets);
# the points data sets share one (couae.grid.points), included once.
for rule_file in dict.fromkeys(dataset.rule_file for dataset in DATASETS):

    include: rule_file


include: "workflow/rules/theory.smk"
include: "workflow/rules/report.smk"


# Light jobs run where Snakemake runs, never queued on a cluster (each data
# set's rule file declares its own).
localrules:
    all,
    theory,
    tables,
    figure1,
    theorem1,
    theorem2,
    flows,
    claims,
    paper_tables,
    benchmark_summary,
    report_summary,


rule all:
    default_target: True
    input:
        DATASET_TARGETS,
        THEORY_OUTPUTS,
        TABLE_TARGETS,
        "results/benchmarks/summary.csv",
        REPORT_SUMMARY,


# One part at a time: snakemake <data set> (its rule file's target) | theory | tables
rule theory:
    input:
        THEORY_OUTPUTS,


rule tables:
    input:
        TABLE_TARGETS,
