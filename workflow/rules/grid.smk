# The 2-D grid experiments: data, training (all seeds of one experiment and
# width in one job), evaluation, reference rows.

GRID_RUN = "results/grid/train/{experiment}/width{width}"


def grid_seed_files(name):
    """One path per configured seed, keeping {experiment} and {width} as wildcards."""
    return expand(f"{GRID_RUN}/seed{{seed}}/{name}".replace("{experiment}", "{{experiment}}")
                  .replace("{width}", "{{width}}"), seed=GRID_SEEDS)


rule grid_data:
    output:
        "results/grid/data.npz",
    params:
        settings=S.as_json(S.grid_data_settings(config)),
    log:
        "logs/grid/data.log",
    shell:
        "{PYTHON} {SCRIPTS}/make_grid_data.py --settings {params.settings:q} --out {output} > {log} 2>&1"


rule grid_train:
    input:
        data="results/grid/data.npz",
    output:
        weights=grid_seed_files("weights.pt"),
        losses=grid_seed_files("loss.csv"),
        samples=grid_seed_files("samples.npy"),
        provenance=f"{GRID_RUN}/provenance.json",
    params:
        settings=lambda w: S.as_json(S.grid_training_settings(config, w.experiment, GRID_WIDTHS[w.width])),
        run_dir=GRID_RUN,
        device=config["device"],
    log:
        "logs/grid/train/{experiment}_width{width}.log",
    benchmark:
        "results/benchmarks/grid_train/{experiment}_width{width}.tsv"
    threads: config["grid"]["training"]["threads"]
    resources:
        gpu=GPU_PER_TRAINING_JOB,
    shell:
        "{PYTHON} {SCRIPTS}/train_grid.py --data {input.data} --settings {params.settings:q}"
        " --out-dir {params.run_dir} --checkpoint {params.run_dir}/checkpoint.pt"
        " --device {params.device} --threads {threads} --provenance {output.provenance} > {log} 2>&1"


rule grid_evaluate:
    input:
        data="results/grid/data.npz",
        weights=grid_seed_files("weights.pt"),
        samples=grid_seed_files("samples.npy"),
    output:
        csv="results/grid/eval/{experiment}/width{width}.csv",
        provenance="results/grid/eval/{experiment}/width{width}.provenance.json",
    params:
        settings=S.as_json(S.grid_evaluation_settings(config)),
    log:
        "logs/grid/eval/{experiment}_width{width}.log",
    benchmark:
        "results/benchmarks/grid_eval/{experiment}_width{width}.tsv"
    threads: config["grid"]["evaluation"]["threads"]
    shell:
        "{PYTHON} {SCRIPTS}/evaluate_grid.py --data {input.data} --weights {input.weights}"
        " --samples {input.samples} --settings {params.settings:q} --out {output.csv}"
        " --threads {threads} --provenance {output.provenance} > {log} 2>&1"


rule grid_reference:
    input:
        data="results/grid/data.npz",
    output:
        "results/grid/eval/reference.csv",
    params:
        data_settings=S.as_json(S.grid_data_settings(config)),
        eval_settings=S.as_json(S.grid_evaluation_settings(config)),
    log:
        "logs/grid/eval/reference.log",
    threads: config["grid"]["evaluation"]["threads"]
    shell:
        "{PYTHON} {SCRIPTS}/grid_reference.py --data {input.data} --data-settings {params.data_settings:q}"
        " --eval-settings {params.eval_settings:q} --out {output} --threads {threads} > {log} 2>&1"
