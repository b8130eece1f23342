# Tables 1-2 and Figure 2 from the evaluated runs.


def table_notes():
    t = config["grid"]["training"]
    ev = config["grid"]["evaluation"]
    shortened = []
    if t["iterations"] != PAPER_GRID_ITERATIONS:
        shortened = [f"SHORTENED RUN: {t['iterations']} of the paper's {PAPER_GRID_ITERATIONS} grid "
                     "iterations; these numbers are not comparable with the paper's."]
    return shortened + [
        "ours: mean ± sample std (ddof=1) over n seeds; ours - paper compares means.",
        f"grid: {t['iterations']} iterations, batch {t['batch_size']}, lambda {t['lambda']:g}; "
        f"KDE bandwidth chosen by {'%d-fold CV on the generated samples' % ev['cv_folds'] if ev['selection'] == 'cv' else 'the validation set'}.",
    ] + celeba_notes()


def celeba_notes():
    c = config["celeba"]
    notes = [f"celeba: {c['training']['iterations']} iterations, batch {c['training']['batch_size']}, "
             f"FID from {c['fid']['n_generated']} generated images against the test split "
             f"({c['fid']['extractor']} features)."]
    if c["data"]["kind"] == "standin":
        notes.append("CELEBA ROWS USE STAND-IN IMAGES (generated, not CelebA): not comparable with the paper.")
    if c["fid"]["extractor"] != "inception":
        notes.append("CELEBA 'FID' VALUES USE A TEST-ONLY RANDOM FEATURE EXTRACTOR: they are not FID.")
    if c["training"]["iterations"] != PAPER_CELEBA_ITERATIONS:
        notes.append(f"SHORTENED CELEBA RUN: {c['training']['iterations']} of the paper's "
                     f"{PAPER_CELEBA_ITERATIONS} iterations.")
    return notes


CELEBA_PROVENANCE = celeba_outputs(CELEBA_RUN + "/provenance.json") + celeba_outputs(CELEBA_EVAL + ".provenance.json")
CELEBA_WIDTHS = sorted({w for _, w in S.celeba_runs(config)}, key=float)


rule tables:
    input:
        evals=expand("results/grid/eval/{experiment}/width{width}.csv",
                     experiment=GRID_EXPERIMENTS, width=GRID_WIDTHS),
        reference="results/grid/eval/reference.csv",
        celeba_evals=CELEBA_EVALS,
        provenance=expand("results/grid/train/{experiment}/width{width}/provenance.json",
                          experiment=GRID_EXPERIMENTS, width=GRID_WIDTHS)
        + expand("results/grid/eval/{experiment}/width{width}.provenance.json",
                 experiment=GRID_EXPERIMENTS, width=GRID_WIDTHS)
        + CELEBA_PROVENANCE,
    output:
        report("results/tables/table1.csv", caption="../report/table1.rst", category="Tables"),
        report("results/tables/table2.csv", caption="../report/table2.rst", category="Tables"),
        [t for t in TABLES if not t.endswith(".csv")],
    params:
        labels=S.as_json(S.experiment_labels(config)),
        celeba_labels=S.as_json(S.experiment_labels(config, "celeba")),
        widths=" ".join(GRID_WIDTHS),
        celeba_widths=" ".join(CELEBA_WIDTHS),
        main_width=GRID_MAIN_WIDTH,
        notes=S.as_json(table_notes()),
    log:
        "logs/tables.log",
    shell:
        "{PYTHON} {SCRIPTS}/make_tables.py --grid-evals {input.evals} --grid-reference {input.reference}"
        " --labels {params.labels:q} --widths {params.widths} --main-width {params.main_width}"
        " --celeba-evals {input.celeba_evals} --celeba-labels {params.celeba_labels:q}"
        " --celeba-widths {params.celeba_widths}"
        " --notes {params.notes:q} --provenance {input.provenance} --out-dir results/tables > {log} 2>&1"


rule figure2:
    input:
        data="results/grid/data.npz",
        samples=expand("results/grid/train/{experiment}/width{width}/seed{seed}/samples.npy",
                       experiment=GRID_EXPERIMENTS, width=GRID_MAIN_WIDTH, seed=GRID_SEEDS[0]),
        losses=expand("results/grid/train/{experiment}/width{width}/seed{seed}/loss.csv",
                      experiment=GRID_EXPERIMENTS, width=GRID_MAIN_WIDTH, seed=GRID_SEEDS),
    output:
        report("results/figures/figure2.png", caption="../report/figure2.rst", category="Figures"),
        "results/figures/figure2.pdf",
    params:
        experiments=" ".join(GRID_EXPERIMENTS),
        titles=S.as_json({n: m["description"] for n, m in S.experiment_labels(config)}),
        width=GRID_MAIN_WIDTH,
    log:
        "logs/figure2.log",
    shell:
        "{PYTHON} {SCRIPTS}/make_figure2.py --data {input.data} --experiments {params.experiments}"
        " --samples {input.samples} --losses {input.losses} --titles {params.titles:q}"
        " --width {params.width} --out-stem results/figures/figure2 > {log} 2>&1"


def celeba_figure3_inputs():
    seed = S.celeba_seeds(config)[0]
    return [CELEBA_EVAL.format(experiment=e, width=S.celeba_main_width(config, e), seed=seed) + ".samples.npy"
            for e in S.celeba_experiments(config)]


CELEBA_FIGURE4_EXPERIMENT = config["celeba"]["figures"]["figure4_experiment"]
CELEBA_FIGURE4_WIDTHS = list(S.celeba_experiment_widths(config, CELEBA_FIGURE4_EXPERIMENT))


rule figure3:
    input:
        meta=f"{CELEBA_DATA}/meta.json",
        samples=celeba_figure3_inputs(),
    output:
        report("results/figures/figure3.png", caption="../report/figure3.rst", category="Figures"),
        "results/figures/figure3.pdf",
    params:
        experiments=" ".join(S.celeba_experiments(config)),
        titles=S.as_json({n: m["description"] for n, m in S.experiment_labels(config, "celeba")}),
    log:
        "logs/figure3.log",
    shell:
        "{PYTHON} {SCRIPTS}/make_celeba_figures.py figure3 --data-dir {CELEBA_DATA} --keys {params.experiments}"
        " --images {input.samples} --titles {params.titles:q} --out-stem results/figures/figure3 > {log} 2>&1"


rule figure4:
    input:
        meta=f"{CELEBA_DATA}/meta.json",
        pairs=[CELEBA_EVAL.format(experiment=CELEBA_FIGURE4_EXPERIMENT, width=w, seed=S.celeba_seeds(config)[0])
               + ".reconstructions.npy" for w in CELEBA_FIGURE4_WIDTHS],
    output:
        report("results/figures/figure4.png", caption="../report/figure4.rst", category="Figures"),
        "results/figures/figure4.pdf",
    params:
        widths=" ".join(CELEBA_FIGURE4_WIDTHS),
        experiment=CELEBA_FIGURE4_EXPERIMENT,
    log:
        "logs/figure4.log",
    shell:
        "{PYTHON} {SCRIPTS}/make_celeba_figures.py figure4 --data-dir {CELEBA_DATA} --keys {params.widths}"
        " --images {input.pairs} --experiment {params.experiment} --out-stem results/figures/figure4 > {log} 2>&1"


rule benchmark_summary:
    input:
        expand("results/benchmarks/grid_train/{experiment}_width{width}.tsv",
               experiment=GRID_EXPERIMENTS, width=GRID_WIDTHS),
        expand("results/benchmarks/grid_eval/{experiment}_width{width}.tsv",
               experiment=GRID_EXPERIMENTS, width=GRID_WIDTHS),
        expand("results/benchmarks/theorem1/{flow}.tsv", flow=S.theorem1_flows(config)),
        "results/benchmarks/celeba_data.tsv",
        "results/benchmarks/celeba_fid_reference.tsv",
        celeba_outputs(CELEBA_TRAIN_BENCHMARK),
        celeba_outputs(CELEBA_EVAL_BENCHMARK),
    output:
        report("results/benchmarks/summary.csv", caption="../report/benchmarks.rst", category="Benchmarks"),
    log:
        "logs/benchmark_summary.log",
    shell:
        "{PYTHON} {SCRIPTS}/summarise_benchmarks.py --benchmarks {input} --out {output} > {log} 2>&1"
