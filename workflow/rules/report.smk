# Tables 1-2 beside the paper's values, the paper's claims tested over seeds,
# and the summary of the jobs' benchmarks. Their titles, notes and captions are
# worded in couae/report/text.py.


rule paper_tables:
    input:
        evals=GRID_EVALS,
        references=GRID_REFERENCES,
        celeba_evals=CELEBA_EVALS,
        provenance=GRID_PROVENANCE + CELEBA_PROVENANCE,
    output:
        report("results/tables/table1.html", caption="../report/caption.rst", category="Tables"),
        report("results/tables/table2.html", caption="../report/caption.rst", category="Tables"),
        [t for t in TABLES if not t.endswith(".html")],
    log:
        "logs/tables.log",
    conda:
        CONDA_ENV
    params:
        variants=GRID_VARIANTS,
        grid=S.as_json(S.table_experiments(config, "grid")),
        celeba=S.as_json(S.table_experiments(config, "celeba")),
        notes=S.as_json(T.table_notes(config)),
        caption=T.caption("tables", config),
    shell:
        "paper_tables.py --grid-evals {input.evals} --grid-references {input.references}"
        " --variants {params.variants} --grid {params.grid:q} --celeba-evals {input.celeba_evals}"
        " --celeba {params.celeba:q} --notes {params.notes:q} --provenance {input.provenance}"
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


rule claims:
    input:
        evals=GRID_EVALS,
        celeba_evals=CELEBA_EVALS,
        theorem1="results/tables/theorem1.csv",
    output:
        "results/tables/claims.csv",
        "results/tables/claims.md",
        report("results/tables/claims.html", caption="../report/caption.rst", category="Claims"),
    log:
        "logs/claims.log",
    conda:
        CONDA_ENV
    params:
        settings=S.claims_settings(config).to_json(),
        notes=S.as_json(T.claims_notes(config)),
        caption=T.caption("claims", config),
    shell:
        "claims.py --grid-evals {input.evals} --celeba-evals {input.celeba_evals} --theorem1 {input.theorem1}"
        " --settings {params.settings:q} --notes {params.notes:q} --table-stem results/tables/claims > {log} 2>&1"


# The report opens with this file once it exists (see the Snakefile's `report:`).
rule report_summary:
    input:
        intro=REPORT_INTRO,
        claims="results/tables/claims.csv",
    output:
        REPORT_SUMMARY,
    log:
        "logs/report_summary.log",
    conda:
        CONDA_ENV
    params:
        summary=S.as_json(T.run_summary(config)),
    shell:
        "report_summary.py --intro {input.intro:q} --summary {params.summary:q} --claims {input.claims} --out {output} > {log} 2>&1"
