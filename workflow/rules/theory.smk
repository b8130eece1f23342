# The paper's theory made visible: Figure 1 (exact landscape), Theorem 1
# (particle flows, one job per kernel so that a new kernel runs only its job)
# and Theorem 2's measured inputs (xi and the test metric per width, grid and CelebA).

THEOREM1_FLOWS = S.theorem1_flows(config)
THEORY_OUTPUTS = (
    expand("results/figures/figure1.{ext}", ext=["png", "pdf"])
    + expand("results/tables/theorem1.{ext}", ext=["csv", "md"])
    + expand("results/figures/theorem1.{ext}", ext=["png", "pdf"])
    + expand("results/tables/theorem2.{ext}", ext=["csv", "md"])
    + expand("results/figures/theorem2.{ext}", ext=["png", "pdf"])
)


rule figure1:
    output:
        report("results/figures/figure1.png", caption="../report/figure1.rst", category="Figures"),
        "results/figures/figure1.pdf",
    params:
        settings=S.as_json(S.figure1_settings(config)),
    log:
        "logs/figure1.log",
    shell:
        "{PYTHON} {SCRIPTS}/make_figure1.py --settings {params.settings:q}"
        " --out-stem results/figures/figure1 > {log} 2>&1"


rule theorem1_flow:
    output:
        csv="results/theory/theorem1/{flow}.csv",
        trajectory="results/theory/theorem1/{flow}_trajectory.npz",
    params:
        settings=lambda w: S.as_json(S.theorem1_settings(config, w.flow)),
    log:
        "logs/theory/theorem1_{flow}.log",
    benchmark:
        "results/benchmarks/theorem1/{flow}.tsv"
    threads: config["theory"]["theorem1"]["threads"]
    shell:
        "{PYTHON} {SCRIPTS}/run_flows.py --settings {params.settings:q} --out-csv {output.csv}"
        " --out-trajectory {output.trajectory} --threads {threads} > {log} 2>&1"


rule theorem1:
    input:
        results=expand("results/theory/theorem1/{flow}.csv", flow=THEOREM1_FLOWS),
        trajectories=expand("results/theory/theorem1/{flow}_trajectory.npz", flow=THEOREM1_FLOWS),
    output:
        report("results/tables/theorem1.csv", caption="../report/theorem1.rst", category="Theorem 1"),
        "results/tables/theorem1.md",
        report("results/figures/theorem1.png", caption="../report/theorem1.rst", category="Theorem 1"),
        "results/figures/theorem1.pdf",
    params:
        notes=(
            "- fraction_global: share of runs whose particles each end within "
            f"{config['theory']['theorem1']['tolerance']:g} of a distinct sample (optimal matching); "
            "objective: MMD^2 between the empirical measures (0 exactly at that minimum).\n"
            "- median_worst_distance: the largest particle-to-matched-sample distance at the end (median over "
            "runs); median_start_worst_distance: the same at the start. Equal: the flow stalled (forces too "
            "weak at that distance, as a power-law Coulomb kernel's in high h); different but above the "
            "tolerance: the particles moved and ended elsewhere (a spurious minimum, or not yet converged).\n"
            f"- {config['theory']['theorem1']['n_particles']} particles, "
            f"{config['theory']['theorem1']['steps']} steps; noise > 0: gradient evaluated at positions "
            f"plus Gaussian noise of that initial scale, decaying by {config['theory']['theorem1']['noise_decay']:g} per step."
        ),
    log:
        "logs/theory/theorem1.log",
    shell:
        "{PYTHON} {SCRIPTS}/make_theorem1.py --results {input.results} --trajectories {input.trajectories}"
        " --notes {params.notes:q} --table-stem results/tables/theorem1 --figure-stem results/figures/theorem1"
        " > {log} 2>&1"


rule theorem2:
    input:
        evals=expand("results/grid/eval/{experiment}/width{width}.csv",
                     experiment=GRID_EXPERIMENTS, width=GRID_WIDTHS),
        celeba_evals=CELEBA_EVALS,
    output:
        report("results/tables/theorem2.csv", caption="../report/theorem2.rst", category="Theorem 2"),
        "results/tables/theorem2.md",
        report("results/figures/theorem2.png", caption="../report/theorem2.rst", category="Theorem 2"),
        "results/figures/theorem2.pdf",
    params:
        n_train=config["grid"]["data"]["n_train"],
        titles=S.as_json({dataset: {n: m["description"] for n, m in S.experiment_labels(config, dataset)}
                          for dataset in ("grid", "celeba")}),
        notes="\n".join([
            "- xi: the largest squared reconstruction error ||x - g(f(x))||^2 over the training and validation "
            "data, with the encoder's mean code (VAE), per seed; N = n_train, the training points.",
            "- celeba: the error sums all 3 x 64 x 64 values in [-1, 1], without the training's recon_weight.",
            "- spearman_xi_vs_metric: over the seeds and widths of one experiment; the claimed trend (larger xi, "
            "worse test metric) makes it negative for a log-likelihood, positive for FID.",
            "- The bound's own terms are not evaluated: the statement of Theorem 2 is not available to this package.",
        ] + [f"- {note}" for note in celeba_notes()]),
    log:
        "logs/theory/theorem2.log",
    shell:
        "{PYTHON} {SCRIPTS}/make_theorem2.py --grid-evals {input.evals} --n-train {params.n_train}"
        " --celeba-evals {input.celeba_evals} --titles {params.titles:q} --notes {params.notes:q}"
        " --table-stem results/tables/theorem2 --figure-stem results/figures/theorem2 > {log} 2>&1"
