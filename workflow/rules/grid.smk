# The 2-D grid experiments, per data set variant: data, training (all seeds of
# one experiment and width in one job), evaluation (final and snapshots),
# Table 1's reference rows, Figure 2, the convergence table and figures. Paths
# and file lists come from the grid's adapter (couae.grid.adapter).
from couae.grid import settings as G

GRID = D.get("grid")
GRID_VARIANTS = GRID.variants(config)
GRID_DEVICE = GRID.device(config)
# A grid job uses a sliver of a GPU (gpu_resource: how slivers are placed);
# CelebA jobs take a whole one.
GRID_GPU_SHARE = float(config["grid"]["gpu_share"])
GRID_GPU = gpu_resource(GRID_DEVICE, GRID_GPU_SHARE)
GRID_GPU_SHARE_ARG = gpu_share_param(GRID_GPU_SHARE)
GRID_COMPILE = S.Untracked(config["grid"]["training"]["compile"])  # how the step runs, not what it computes
GRID_STREAMS = S.Untracked(str(config["grid"]["training"]["pack_streams"]).lower())  # likewise
GRID_MAIN_WIDTHS = S.main_widths(config, "grid")  # experiment -> the width label of Table 1 and Figure 2


# Light jobs run where Snakemake runs, never queued on a cluster.
localrules:
    grid,
    figure2,
    convergence,
    tuning,
    tune,


# snakemake grid: the grid half alone
rule grid:
    input:
        GRID.targets(config),


rule grid_data:
    output:
        GRID.DATA,
    log:
        "logs/grid/{variant}/data.log",
    priority: 50  # data and downloads first: a missing file shows in seconds, not hours
    conda:
        CONDA_ENV
    params:
        settings=lambda w: G.grid_data_settings(config, w.variant).to_json(),
    shell:
        "grid_data.py --settings {params.settings:q} --out {output} > {log} 2>&1"


# Training: a job per run (variant, experiment, width, block of seeds), or where
# grid.training.pack packs them, a job per pack that trains its runs through one
# update step (couae.grid.packs) and writes each run's files where its own job
# would. A changed setting re-runs the pack's job; its other runs resume from
# their finished checkpoints and are not trained again (docs/methods.md, "Packs").
GRID_PACKS = GRID.packs(config)

if not GRID_PACKS:

    rule grid_train:
        input:
            data=GRID.DATA,
        output:
            # one block of seeds (grid.training.seeds_per_job): seed<k>/{weights.pt, loss.csv, samples.npy}
            # in its folder, its snapshots and provenance beside it; the checkpoint too, not an output (kept)
            block=directory(GRID.BLOCK),
            snapshots=f"{GRID.BLOCK}.snapshots.pt",
            provenance=f"{GRID.BLOCK}.provenance.json",
        log:
            "logs/grid/{variant}/train/{experiment}_width{width}_block{block}.log",
        benchmark:
            GRID.TRAIN_BENCHMARK
        conda:
            CONDA_ENV
        threads: config["grid"]["training"]["threads"]
        resources:
            gpu=GRID_GPU,
        params:
            settings=lambda w: on_command_line(
                G.grid_training_settings(config, w.variant, w.experiment, w.width, w.block).to_json()
            ),
            device=GRID_DEVICE,
            compile=GRID_COMPILE,
            share=GRID_GPU_SHARE_ARG,
        shell:
            "grid_train.py --data {input.data} --settings {params.settings:q} --out-dir {output.block:q}"
            " --snapshots {output.snapshots:q} --checkpoint {output.block:q}.checkpoint.pt --device {params.device}"
            " --compile {params.compile} --gpu-share {params.share} --threads {threads} --provenance {output.provenance}"
            " > {log} 2>&1"


for pack in GRID_PACKS:

    rule:
        name:
            f"grid_pack_{pack.name}"
        input:
            data=sorted({GRID.DATA.format(variant=v) for v, _, _ in pack.runs}),
        output:
            # each run's block folder, snapshots and provenance, as grid_train writes them; the checkpoints too
            blocks=[directory(f) for f in GRID.pack_files(config, pack, GRID.BLOCK)],
            snapshots=GRID.pack_files(config, pack, f"{GRID.BLOCK}.snapshots.pt"),
            provenance=GRID.pack_files(config, pack, f"{GRID.BLOCK}.provenance.json"),
        log:
            GRID.PACK_LOG.format(pack=pack.name),
        benchmark:
            GRID.PACK_BENCHMARK.format(pack=pack.name)
        conda:
            CONDA_ENV
        threads: config["grid"]["training"]["threads"]
        resources:
            gpu=GRID_GPU,
        params:
            name=pack.name,
            runs=on_command_line(S.as_json(GRID.pack_runs(config, pack))),
            device=GRID_DEVICE,
            compile=GRID_COMPILE,
            streams=GRID_STREAMS,
            share=GRID_GPU_SHARE_ARG,
        shell:
            "grid_pack.py --name {params.name} --runs {params.runs:q} --device {params.device}"
            " --compile {params.compile} --streams {params.streams} --gpu-share {params.share}"
            " --threads {threads} > {log} 2>&1"


rule grid_evaluate:
    input:
        data=GRID.DATA,
        block=GRID.BLOCK,
        snapshots=f"{GRID.BLOCK}.snapshots.pt",
    output:
        csv=f"{GRID.EVAL}.csv",
        convergence=f"{GRID.EVAL}.convergence.csv",
        provenance=f"{GRID.EVAL}.provenance.json",
    log:
        "logs/grid/{variant}/eval/{experiment}_width{width}_block{block}.log",
    benchmark:
        GRID.EVAL_BENCHMARK
    conda:
        CONDA_ENV
    threads: config["grid"]["evaluation"]["threads"]
    params:
        settings=G.grid_evaluation_settings(config).to_json(),
        training_settings=lambda w: on_command_line(
            G.grid_training_settings(config, w.variant, w.experiment, w.width, w.block).to_json()
        ),
        gap_settings=S.gap_settings(config).to_json(),
    shell:
        "grid_evaluate.py --variant {wildcards.variant} --data {input.data} --block {input.block:q}"
        " --snapshots {input.snapshots} --settings {params.settings:q}"
        " --training-settings {params.training_settings:q} --gap-settings {params.gap_settings:q}"
        " --out {output.csv} --convergence {output.convergence} --threads {threads}"
        " --provenance {output.provenance} > {log} 2>&1"


rule grid_reference:
    input:
        data=GRID.DATA,
    output:
        GRID.REFERENCE,
    log:
        "logs/grid/{variant}/eval/reference.log",
    conda:
        CONDA_ENV
    threads: config["grid"]["evaluation"]["threads"]
    params:
        data_settings=lambda w: G.grid_data_settings(config, w.variant).to_json(),
        eval_settings=G.grid_evaluation_settings(config).to_json(),
    shell:
        "grid_reference.py --variant {wildcards.variant} --data {input.data} --data-settings {params.data_settings:q}"
        " --eval-settings {params.eval_settings:q} --out {output} --threads {threads} > {log} 2>&1"


rule figure2:
    input:
        data=GRID.DATA,
        blocks=lambda w: GRID.figure2_blocks(config, w.variant),
    output:
        report(
            "results/figures/figure2_{variant}.png",
            caption="../report/caption.rst",
            category="Figures",
            subcategory="{variant}",
        ),
        "results/figures/figure2_{variant}.pdf",
    log:
        "logs/grid/{variant}/figure2.log",
    conda:
        CONDA_ENV
    params:
        experiments=list(GRID_MAIN_WIDTHS),
        widths=list(GRID_MAIN_WIDTHS.values()),
        titles=S.as_json(S.descriptions(config, "grid")),
        variant_title=lambda w: G.variant_descriptions(config)[w.variant],
        caption=T.caption("figure2", config),
        out_stem=lambda w, output: Path(output[0]).with_suffix(""),
        samples=lambda w: GRID.figure2_files(config, w.variant, "samples.npy"),
        losses=lambda w: on_command_line(GRID.figure2_losses(config, w.variant)),
    shell:
        "figure2.py --data {input.data} --experiments {params.experiments} --widths {params.widths}"
        " --samples {params.samples} --losses {params.losses} --titles {params.titles:q}"
        " --variant {wildcards.variant} --variant-title {params.variant_title:q}"
        " --out-stem {params.out_stem} > {log} 2>&1"


rule convergence:
    input:
        convergence=GRID.outputs(config, f"{GRID.EVAL}.convergence.csv"),
        references=GRID.references(config),
        claims="results/tables/claims.csv",
    output:
        "results/tables/convergence.csv",
        "results/tables/convergence.md",
        report("results/tables/convergence.html", caption="../report/caption.rst", category="Convergence"),
        [
            report(f, caption="../report/caption.rst", category="Convergence")
            for f in expand("results/figures/convergence_{variant}.png", variant=GRID_VARIANTS)
        ],
        expand("results/figures/convergence_{variant}.pdf", variant=GRID_VARIANTS),
    log:
        "logs/grid/convergence.log",
    conda:
        CONDA_ENV
    params:
        titles=S.as_json(G.variant_descriptions(config)),
        notes=S.as_json(GRID.convergence_notes(config)),
        caption=T.caption("convergence", config),
        convergence=lambda w, input: on_command_line(list(input.convergence)),
    shell:
        "convergence.py --convergence {params.convergence} --references {input.references} --claims {input.claims}"
        " --titles {params.titles:q} --notes {params.notes:q} --table-stem results/tables/convergence"
        " --figure-dir results/figures > {log} 2>&1"


# The tuning rule (snakemake tune): each extension row's candidates at one
# reduced budget, scored on the validation split; the choice is a config file.
rule grid_tune_candidate:
    input:
        data=GRID.DATA,
    output:
        rows=f"{GRID.TUNING}/candidate{{candidate}}.csv",
        provenance=f"{GRID.TUNING}/candidate{{candidate}}.provenance.json",
    log:
        "logs/grid/{variant}/tuning/{experiment}_candidate{candidate}.log",
    benchmark:
        "results/benchmarks/grid_tuning/{variant}_{experiment}_candidate{candidate}.tsv"
    conda:
        CONDA_ENV
    threads: config["grid"]["training"]["threads"]
    resources:
        gpu=GRID_GPU,
    params:
        settings=lambda w: G.tuning_training_settings(config, w.variant, w.experiment, int(w.candidate)).to_json(),
        overrides=lambda w: S.as_json(G.candidates(config, w.experiment)[int(w.candidate)]),
        eval_settings=G.grid_evaluation_settings(config).to_json(),
        run_dir=lambda w, output: Path(output.rows).parent,
        device=GRID_DEVICE,
        compile=GRID_COMPILE,
        share=GRID_GPU_SHARE_ARG,
    shell:
        "grid_tune_candidate.py --data {input.data} --variant {wildcards.variant} --candidate {wildcards.candidate}"
        " --overrides {params.overrides:q} --settings {params.settings:q} --eval-settings {params.eval_settings:q}"
        " --checkpoint {params.run_dir:q}/checkpoint{wildcards.candidate}.pt --device {params.device}"
        " --compile {params.compile} --gpu-share {params.share} --threads {threads} --out {output.rows} --provenance {output.provenance} > {log} 2>&1"


rule tuning:
    input:
        GRID.tuning_files(config),
    output:
        "results/tables/tuning.csv",
        "results/tables/tuning.md",
        report("results/tables/tuning.html", caption="../report/caption.rst", category="Tuning"),
        "results/tuning/tuned.yaml",
    log:
        "logs/grid/tuning.log",
    conda:
        CONDA_ENV
    params:
        candidates=S.as_json({e: G.candidates(config, e) for e in G.tuned_rows(config)}),
        budget=GRID.tuning_budget(config),
        notes=S.as_json(GRID.tuning_notes(config)),
        caption=T.caption("tuning", config),
    shell:
        "tuning.py --rows {input} --candidates {params.candidates:q} --budget {params.budget:q}"
        " --notes {params.notes:q} --table-stem results/tables/tuning --config-out results/tuning/tuned.yaml"
        " > {log} 2>&1"


# snakemake tune: the tuning rule's table and the config it chose
rule tune:
    input:
        "results/tables/tuning.csv",
        "results/tuning/tuned.yaml",
