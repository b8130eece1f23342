# The data sets of points in the plane that are not a mixture (couae.grid.points):
# each is one adapter module and one config section, filled from the grid's.
# One set of rules serves them all ({pointset}: the data set's name); the jobs
# are the grid's own scripts (data, training, evaluation, reference rows,
# samples figure), so a points data set is trained and scored as a grid variant is.
from couae.grid.points import PointDataset

POINT_SETS = {d.name: d for d in RUNNING if isinstance(d, PointDataset)}
POINTSET = "|".join(POINT_SETS)  # the {pointset} wildcard's values
POINTS_GPU = {n: gpu_resource(d.device(config), float(d.section(config)["gpu_share"])) for n, d in POINT_SETS.items()}
POINTS_SHARE = {n: gpu_share_param(float(d.section(config)["gpu_share"])) for n, d in POINT_SETS.items()}
POINTS_THREADS = {
    part: max((config[n][part]["threads"] for n in POINT_SETS), default=1) for part in ("training", "evaluation")
}


# Light jobs run where Snakemake runs, never queued on a cluster.
localrules:
    points,
    points_figure,


# snakemake points: every points data set alone
rule points:
    input:
        [f for d in POINT_SETS.values() for f in d.targets(config)],


rule points_data:
    output:
        PointDataset.DATA,
    log:
        "logs/{pointset}/data.log",
    wildcard_constraints:
        pointset=POINTSET,
    priority: 50
    conda:
        CONDA_ENV
    params:
        settings=lambda w: POINT_SETS[w.pointset].data_settings(config).to_json(),
    shell:
        "grid_data.py --settings {params.settings:q} --out {output} > {log} 2>&1"


rule points_train:
    input:
        data=PointDataset.DATA,
    output:
        # as grid_train: seed<k>/{weights.pt, loss.csv, samples.npy} in the block folder, provenance beside it
        block=directory(PointDataset.BLOCK),
        snapshots=f"{PointDataset.BLOCK}.snapshots.pt",
        provenance=f"{PointDataset.BLOCK}.provenance.json",
    log:
        "logs/{pointset}/train/{experiment}_width{width}_block{block}.log",
    benchmark:
        PointDataset.TRAIN_BENCHMARK
    wildcard_constraints:
        pointset=POINTSET,
    conda:
        CONDA_ENV
    threads: POINTS_THREADS["training"]
    resources:
        gpu=lambda w: POINTS_GPU[w.pointset](w),
    params:
        settings=lambda w: on_command_line(
            POINT_SETS[w.pointset].training_settings(config, w.experiment, w.width, w.block).to_json()
        ),
        device=lambda w: POINT_SETS[w.pointset].device(config),
        compile=lambda w: S.Untracked(config[w.pointset]["training"]["compile"]),
        share=lambda w: POINTS_SHARE[w.pointset](w),
    shell:
        "grid_train.py --data {input.data} --settings {params.settings:q} --out-dir {output.block:q}"
        " --snapshots {output.snapshots:q} --checkpoint {output.block:q}.checkpoint.pt --device {params.device}"
        " --compile {params.compile} --gpu-share {params.share} --threads {threads} --provenance {output.provenance}"
        " > {log} 2>&1"


rule points_evaluate:
    input:
        data=PointDataset.DATA,
        block=PointDataset.BLOCK,
        snapshots=f"{PointDataset.BLOCK}.snapshots.pt",
    output:
        csv=f"{PointDataset.EVAL}.csv",
        convergence=f"{PointDataset.EVAL}.convergence.csv",  # the last step only: no snapshots are kept
        provenance=f"{PointDataset.EVAL}.provenance.json",
    log:
        "logs/{pointset}/eval/{experiment}_width{width}_block{block}.log",
    benchmark:
        PointDataset.EVAL_BENCHMARK
    wildcard_constraints:
        pointset=POINTSET,
    conda:
        CONDA_ENV
    threads: POINTS_THREADS["evaluation"]
    params:
        settings=lambda w: POINT_SETS[w.pointset].evaluation_settings(config).to_json(),
        training_settings=lambda w: on_command_line(
            POINT_SETS[w.pointset].training_settings(config, w.experiment, w.width, w.block).to_json()
        ),
        gap_settings=S.gap_settings(config).to_json(),
    shell:
        "grid_evaluate.py --variant '' --data {input.data} --block {input.block:q}"
        " --snapshots {input.snapshots} --settings {params.settings:q}"
        " --training-settings {params.training_settings:q} --gap-settings {params.gap_settings:q}"
        " --out {output.csv} --convergence {output.convergence} --threads {threads}"
        " --provenance {output.provenance} > {log} 2>&1"


rule points_reference:
    input:
        data=PointDataset.DATA,
    output:
        PointDataset.REFERENCE,
    log:
        "logs/{pointset}/eval/reference.log",
    wildcard_constraints:
        pointset=POINTSET,
    conda:
        CONDA_ENV
    threads: POINTS_THREADS["evaluation"]
    params:
        data_settings=lambda w: POINT_SETS[w.pointset].data_settings(config).to_json(),
        eval_settings=lambda w: POINT_SETS[w.pointset].evaluation_settings(config).to_json(),
    shell:
        "grid_reference.py --variant '' --data {input.data} --data-settings {params.data_settings:q}"
        " --eval-settings {params.eval_settings:q} --out {output} --threads {threads} > {log} 2>&1"


rule points_figure:
    input:
        data=PointDataset.DATA,
        blocks=lambda w: POINT_SETS[w.pointset].main_blocks(config),
    output:
        report(
            f"{PointDataset.FIGURE}.png",
            caption="../report/caption.rst",
            category="Figures",
            subcategory="{pointset}",
        ),
        f"{PointDataset.FIGURE}.pdf",
    log:
        "logs/{pointset}/figure.log",
    wildcard_constraints:
        pointset=POINTSET,
    conda:
        CONDA_ENV
    params:
        experiments=lambda w: list(S.main_widths(config, w.pointset)),
        widths=lambda w: list(S.main_widths(config, w.pointset).values()),
        titles=lambda w: S.as_json(S.descriptions(config, w.pointset)),
        title=lambda w: POINT_SETS[w.pointset].description,
        caption=lambda w: T.caption(f"{w.pointset}_samples", config),
        out_stem=lambda w, output: Path(output[0]).with_suffix(""),
        samples=lambda w: POINT_SETS[w.pointset].seed_files(config, "samples.npy", first_only=True),
        losses=lambda w: on_command_line(POINT_SETS[w.pointset].seed_files(config, "loss.csv", first_only=False)),
    shell:
        "figure2.py --data {input.data} --experiments {params.experiments} --widths {params.widths}"
        " --samples {params.samples} --losses {params.losses} --titles {params.titles:q}"
        " --variant {wildcards.pointset} --variant-title {params.title:q}"
        " --out-stem {params.out_stem} > {log} 2>&1"
