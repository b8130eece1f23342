# Coulomb Autoencoders reproduction: one command regenerates the paper's tables
# and figures.   snakemake --cores 8 --resources gpu=1
# Quick check on a CPU:   snakemake --cores 2 --configfile presets/quick.yaml

configfile: "config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/grid.smk"
include: "workflow/rules/tables.smk"


rule all:
    input:
        TABLES,
        FIGURE2,
    default_target: True
