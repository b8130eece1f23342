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
        "celeba: not run rows are cells of the paper that this workflow has not produced yet.",
    ]


rule tables:
    input:
        evals=expand("results/grid/eval/{experiment}/width{width}.csv",
                     experiment=GRID_EXPERIMENTS, width=GRID_WIDTHS),
        reference="results/grid/eval/reference.csv",
        provenance=expand("results/grid/train/{experiment}/width{width}/provenance.json",
                          experiment=GRID_EXPERIMENTS, width=GRID_WIDTHS)
        + expand("results/grid/eval/{experiment}/width{width}.provenance.json",
                 experiment=GRID_EXPERIMENTS, width=GRID_WIDTHS),
    output:
        report("results/tables/table1.csv", caption="../report/table1.rst", category="Tables"),
        report("results/tables/table2.csv", caption="../report/table2.rst", category="Tables"),
        [t for t in TABLES if not t.endswith(".csv")],
    params:
        labels=S.as_json(S.experiment_labels(config)),
        widths=" ".join(GRID_WIDTHS),
        main_width=GRID_MAIN_WIDTH,
        notes=S.as_json(table_notes()),
    log:
        "logs/tables.log",
    shell:
        "{PYTHON} {SCRIPTS}/make_tables.py --grid-evals {input.evals} --grid-reference {input.reference}"
        " --labels {params.labels:q} --widths {params.widths} --main-width {params.main_width}"
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


rule benchmark_summary:
    input:
        expand("results/benchmarks/grid_train/{experiment}_width{width}.tsv",
               experiment=GRID_EXPERIMENTS, width=GRID_WIDTHS),
        expand("results/benchmarks/grid_eval/{experiment}_width{width}.tsv",
               experiment=GRID_EXPERIMENTS, width=GRID_WIDTHS),
        expand("results/benchmarks/theorem1/{flow}.tsv", flow=S.theorem1_flows(config)),
    output:
        report("results/benchmarks/summary.csv", caption="../report/benchmarks.rst", category="Benchmarks"),
    log:
        "logs/benchmark_summary.log",
    shell:
        "{PYTHON} {SCRIPTS}/summarise_benchmarks.py --benchmarks {input} --out {output} > {log} 2>&1"
