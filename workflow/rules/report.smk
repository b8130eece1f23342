# Tables 1-2 beside the paper's values, and the summary of the jobs' benchmarks.
# Their titles, notes and captions are worded in couae/report/text.py.


rule paper_tables:
    input:
        evals=GRID_EVALS,
        reference=GRID_REFERENCE,
        celeba_evals=CELEBA_EVALS,
        provenance=GRID_PROVENANCE + CELEBA_PROVENANCE,
    output:
        report("results/tables/table1.csv", caption="../report/caption.rst", category="Tables"),
        report("results/tables/table2.csv", caption="../report/caption.rst", category="Tables"),
        [t for t in TABLES if not t.endswith(".csv")],
    log:
        "logs/tables.log",
    conda:
        CONDA_ENV
    params:
        labels=S.as_json(S.experiment_labels(config, "grid")),
        celeba_labels=S.as_json(S.experiment_labels(config, "celeba")),
        widths=list(GRID_WIDTHS),
        celeba_widths=list(CELEBA_WIDTHS),
        main_width=GRID_MAIN_WIDTH,
        notes=S.as_json(T.table_notes(config)),
        caption=T.caption("tables", config),
    shell:
        "paper_tables.py --grid-evals {input.evals} --grid-reference {input.reference}"
        " --labels {params.labels:q} --widths {params.widths} --main-width {params.main_width}"
        " --celeba-evals {input.celeba_evals} --celeba-labels {params.celeba_labels:q}"
        " --celeba-widths {params.celeba_widths} --notes {params.notes:q} --provenance {input.provenance}"
        " --out-dir results/tables > {log} 2>&1"


rule benchmark_summary:
    input:
        BENCHMARKS,
    output:
        report("results/benchmarks/summary.csv", caption="../report/caption.rst", category="Benchmarks"),
    log:
        "logs/benchmark_summary.log",
    conda:
        CONDA_ENV
    params:
        caption=T.caption("benchmarks", config),
    shell:
        "benchmark_summary.py --benchmarks {input} --out {output} > {log} 2>&1"
