# The 2-D grid experiments: data, training (all seeds of one experiment and
# width in one job), evaluation, Table 1's reference rows, Figure 2.


rule grid_data:
    output:
        GRID_DATA,
    log:
        "logs/grid/data.log",
    conda:
        CONDA_ENV
    params:
        settings=S.grid_data_settings(config).to_json(),
    shell:
        "grid_data.py --settings {params.settings:q} --out {output} > {log} 2>&1"


rule grid_train:
    input:
        data=GRID_DATA,
    output:
        weights=grid_seed_files("weights.pt"),
        losses=grid_seed_files("loss.csv"),
        samples=grid_seed_files("samples.npy"),
        provenance=f"{GRID_RUN}/provenance.json",
    log:
        "logs/grid/train/{experiment}_width{width}.log",
    benchmark:
        "results/benchmarks/grid_train/{experiment}_width{width}.tsv"
    conda:
        CONDA_ENV
    threads: config["grid"]["training"]["threads"]
    resources:
        gpu=GPU_PER_TRAINING_JOB,
    params:
        settings=lambda w: S.grid_training_settings(config, w.experiment, GRID_WIDTHS[w.width]).to_json(),
        run_dir=lambda w, output: Path(output.provenance).parent,
        device=config["device"],
    shell:
        "grid_train.py --data {input.data} --settings {params.settings:q} --out-dir {params.run_dir:q}"
        " --checkpoint {params.run_dir:q}/checkpoint.pt --device {params.device} --threads {threads}"
        " --provenance {output.provenance} > {log} 2>&1"


rule grid_evaluate:
    input:
        data=GRID_DATA,
        weights=grid_seed_files("weights.pt"),
        samples=grid_seed_files("samples.npy"),
    output:
        csv=f"{GRID_EVAL}.csv",
        provenance=f"{GRID_EVAL}.provenance.json",
    log:
        "logs/grid/eval/{experiment}_width{width}.log",
    benchmark:
        "results/benchmarks/grid_eval/{experiment}_width{width}.tsv"
    conda:
        CONDA_ENV
    threads: config["grid"]["evaluation"]["threads"]
    params:
        settings=S.grid_evaluation_settings(config).to_json(),
    shell:
        "grid_evaluate.py --data {input.data} --weights {input.weights} --samples {input.samples}"
        " --settings {params.settings:q} --out {output.csv} --threads {threads}"
        " --provenance {output.provenance} > {log} 2>&1"


rule grid_reference:
    input:
        data=GRID_DATA,
    output:
        GRID_REFERENCE,
    log:
        "logs/grid/eval/reference.log",
    conda:
        CONDA_ENV
    threads: config["grid"]["evaluation"]["threads"]
    params:
        data_settings=S.grid_data_settings(config).to_json(),
        eval_settings=S.grid_evaluation_settings(config).to_json(),
    shell:
        "grid_reference.py --data {input.data} --data-settings {params.data_settings:q}"
        " --eval-settings {params.eval_settings:q} --out {output} --threads {threads} > {log} 2>&1"


rule figure2:
    input:
        data=GRID_DATA,
        samples=expand(
            f"{GRID_RUN}/seed{GRID_SEEDS[0]}/samples.npy", experiment=GRID_EXPERIMENTS, width=GRID_MAIN_WIDTH
        ),
        losses=expand(
            "results/grid/train/{experiment}/width{width}/seed{seed}/loss.csv",
            experiment=GRID_EXPERIMENTS,
            width=GRID_MAIN_WIDTH,
            seed=GRID_SEEDS,
        ),
    output:
        report("results/figures/figure2.png", caption="../report/caption.rst", category="Figures"),
        "results/figures/figure2.pdf",
    log:
        "logs/figure2.log",
    conda:
        CONDA_ENV
    params:
        experiments=GRID_EXPERIMENTS,
        titles=S.as_json(S.descriptions(config, "grid")),
        width=GRID_MAIN_WIDTH,
        caption=T.caption("figure2", config),
    shell:
        "figure2.py --data {input.data} --experiments {params.experiments} --samples {input.samples}"
        " --losses {input.losses} --titles {params.titles:q} --width {params.width}"
        " --out-stem results/figures/figure2 > {log} 2>&1"
