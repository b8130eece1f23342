# The paper's theory made visible: Figure 1 (exact landscape), Theorem 1
# (particle flows, one job per kernel so that a new kernel runs only its job)
# and Theorem 2 (its bound against the measured gap, xi against the test metric per width).


rule figure1:
    output:
        report("results/figures/figure1.png", caption="../report/caption.rst", category="Figures"),
        "results/figures/figure1.pdf",
    log:
        "logs/figure1.log",
    conda:
        CONDA_ENV
    params:
        settings=S.figure1_settings(config).to_json(),
        caption=T.caption("figure1", config),
    shell:
        "figure1.py --settings {params.settings:q} --out-stem results/figures/figure1 > {log} 2>&1"


rule theorem1_flow:
    output:
        csv="results/theory/theorem1/{flow}.csv",
        trajectory="results/theory/theorem1/{flow}_trajectory.npz",
    log:
        "logs/theory/theorem1_{flow}.log",
    benchmark:
        "results/benchmarks/theorem1/{flow}.tsv"
    conda:
        CONDA_ENV
    threads: config["theory"]["theorem1"]["threads"]
    params:
        settings=lambda w: S.theorem1_settings(config, w.flow).to_json(),
    shell:
        "theorem1_flow.py --settings {params.settings:q} --out-csv {output.csv}"
        " --out-trajectory {output.trajectory} --threads {threads} > {log} 2>&1"


rule theorem1:
    input:
        results=expand("results/theory/theorem1/{flow}.csv", flow=THEOREM1_FLOWS),
        trajectories=expand("results/theory/theorem1/{flow}_trajectory.npz", flow=THEOREM1_FLOWS),
    output:
        "results/tables/theorem1.csv",
        "results/tables/theorem1.md",
        report("results/tables/theorem1.html", caption="../report/caption.rst", category="Theorem 1"),
        report("results/figures/theorem1.png", caption="../report/caption.rst", category="Theorem 1"),
        "results/figures/theorem1.pdf",
    log:
        "logs/theory/theorem1.log",
    conda:
        CONDA_ENV
    params:
        notes=S.as_json(T.theorem1_notes(config)),
        caption=T.caption("theorem1", config),
    shell:
        "theorem1.py --results {input.results} --trajectories {input.trajectories} --notes {params.notes:q}"
        " --table-stem results/tables/theorem1 --figure-stem results/figures/theorem1 > {log} 2>&1"


rule theorem2:
    input:
        evals=EVALUATIONS,
    output:
        "results/tables/theorem2.csv",
        "results/tables/theorem2.md",
        report("results/tables/theorem2.html", caption="../report/caption.rst", category="Theorem 2"),
        report("results/figures/theorem2.png", caption="../report/caption.rst", category="Theorem 2"),
        "results/figures/theorem2.pdf",
        report("results/figures/theorem2_bound.png", caption="../report/caption.rst", category="Theorem 2"),
        "results/figures/theorem2_bound.pdf",
    log:
        "logs/theory/theorem2.log",
    conda:
        CONDA_ENV
    params:
        datasets=manifest(titles=lambda d: S.descriptions(config, d.name)),
        notes=S.as_json(T.theorem2_notes(config)),
        caption=T.caption("theorem2", config),
        delta=config["theory"]["theorem2"]["delta"],
    shell:
        "theorem2.py --datasets {params.datasets:q} --notes {params.notes:q} --table-stem results/tables/theorem2"
        " --figure-stem results/figures/theorem2 --bound-figure-stem results/figures/theorem2_bound"
        " --delta {params.delta} > {log} 2>&1"


rule particle_flow:
    output:
        csv=f"{FLOW_RUN}.csv",
        trajectory=f"{FLOW_RUN}_trajectory.npz",
    log:
        "logs/theory/flows/{setup}_{row}.log",
    benchmark:
        "results/benchmarks/particle_flow/{setup}_{row}.tsv"
    conda:
        CONDA_ENV
    threads: config["theory"]["flows"]["threads"]
    params:
        settings=lambda w: S.flow_settings(config, w.setup, w.row).to_json(),
    shell:
        "particle_flow.py --settings {params.settings:q} --out-csv {output.csv}"
        " --out-trajectory {output.trajectory} --threads {threads} > {log} 2>&1"


rule flows:
    input:
        records=[f"{FLOW_RUN.format(setup=s, row=r)}.csv" for s, r in FLOW_JOBS],
        trajectories=[f"{FLOW_RUN.format(setup=s, row=r)}_trajectory.npz" for s, r in FLOW_JOBS],
    output:
        "results/tables/flows.csv",
        "results/tables/flows.md",
        report("results/tables/flows.html", caption="../report/caption.rst", category="Particle flows"),
        report("results/figures/flows.png", caption="../report/caption.rst", category="Particle flows"),
        "results/figures/flows.pdf",
        report("results/figures/flows_curves.png", caption="../report/caption.rst", category="Particle flows"),
        "results/figures/flows_curves.pdf",
    log:
        "logs/theory/flows.log",
    conda:
        CONDA_ENV
    params:
        names=S.as_json(FLOW_JOBS),
        titles=S.as_json(T.flow_titles(config)),
        notes=S.as_json(T.flows_notes(config)),
        caption=T.caption("flows", config),
    shell:
        "flows.py --records {input.records} --trajectories {input.trajectories} --names {params.names:q}"
        " --titles {params.titles:q} --notes {params.notes:q} --table-stem results/tables/flows"
        " --figure-stem results/figures/flows --curves-stem results/figures/flows_curves > {log} 2>&1"
