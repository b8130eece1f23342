# Tables 1-2 beside the paper's values, the paper's claims tested over seeds,
# and the summary of the jobs' benchmarks. Their titles, notes and captions are
# worded in couae/report/text.py.


rule paper_tables:
    input:
        evals=EVALUATIONS,
        references=REFERENCES,
        provenance=PROVENANCE,
    output:
        report("results/tables/table1.html", caption="../report/caption.rst", category="Tables"),
        report("results/tables/table2.html", caption="../report/caption.rst", category="Tables"),
        [t for t in TABLES if not t.endswith(".html")],
    log:
        "logs/tables.log",
    conda:
        CONDA_ENV
    params:
        datasets=manifest(
            references=lambda d: d.references(config) if d in RUNNING else [],
            table=lambda d: d.table_info(config),
        ),
        notes=S.as_json(T.table_notes(config)),
        caption=T.caption("tables", config),
        provenance=lambda w, input: on_command_line(list(input.provenance)),
    shell:
        "paper_tables.py --datasets {params.datasets:q} --notes {params.notes:q} --provenance {params.provenance}"
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
        benchmarks=lambda w, input: on_command_line(list(input)),
    shell:
        "benchmark_summary.py --benchmarks {params.benchmarks} --out {output} > {log} 2>&1"


rule claims:
    input:
        evals=EVALUATIONS,
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
        datasets=manifest(),
        settings=C.claims_settings(config).to_json(),
        notes=S.as_json(T.claims_notes(config)),
        caption=T.caption("claims", config),
    shell:
        "claims.py --datasets {params.datasets:q} --theorem1 {input.theorem1} --settings {params.settings:q}"
        " --notes {params.notes:q} --table-stem results/tables/claims > {log} 2>&1"


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
