"""Every word the outputs carry about themselves: table titles, the notes under
tables, and the captions of the Snakemake report, each made from the resolved
config so that its numbers are the run's own.

The rules pass these strings to the jobs (notes) and to the report (captions,
rendered by workflow/report/caption.rst); nothing else words them. Imported by
the Snakefile: standard library only.
"""

from __future__ import annotations

from .. import datasets, kernels
from . import paper

TABLE_TITLES = {
    "claims": "The paper's claims, tested over seeds",
    "convergence": "Test log-likelihood against training steps (grid)",
    "table2": "Table 2: hidden width scaled (CouAE as in the paper; other models: extension)",
    "theorem1": "Theorem 1 in practice: particle flows on MMD^2",
    "flows": "Particle flows compared on the same particles: MMD, noise injection, KALE, Coulomb, Plummer",
    "theorem2": "Theorem 2: its bound against the measured gap, xi and the test metric per width",
    "tuning": "The tuning rule: each extension row's candidate settings, scored on the validation split (grid)",
}


def table1_title(names) -> str:
    """'Table 1: test log-likelihood (grid) and FID (CelebA)', from the data sets `names`."""
    found = [datasets.get(name) for name in names]
    return "Table 1: " + " and ".join(f"{d.metric.label} ({d.title})" for d in found)


def table_notes(config) -> list[str]:
    """Notes under Tables 1 and 2 (the provenance footer is added by the job): every data set's own."""
    notes = ["ours: mean ± sample std (ddof=1) over n seeds; ours - paper compares means."]
    for dataset in datasets.in_config(config):
        notes += dataset.notes(config) + dataset.caveat_notes(config)
    return notes


def theorem1_notes(config) -> list[str]:
    t = config["theory"]["theorem1"]
    return [
        f"fraction_global: share of runs whose particles each end within {t['tolerance']:g} of a distinct sample "
        "(optimal matching); objective: MMD^2 between the empirical measures (0 exactly at that minimum).",
        "median_worst_distance: the largest particle-to-matched-sample distance at the end (median over "
        "runs); median_start_worst_distance: the same at the start. Equal: the flow stalled (forces too "
        "weak at that distance, as a power-law Coulomb kernel's in high h); different but above the "
        "tolerance: the particles moved and ended elsewhere (a spurious minimum, or not yet converged).",
        (f"max({t['n_particles']}, h + 1) particles (N > h: Assumption 1)" if t["particles_above_dim"]
         else f"{t['n_particles']} particles")
        + f", {t['steps']} steps ({t['step_rule']} rule); noise > 0: gradient evaluated at positions "
        f"plus Gaussian noise of that initial scale, decaying by {t['noise_decay']:g} per step.",
        "missed_at_critical: runs that missed the minimum with the forces off their samples balanced; "
        "missed_at_saddle: of those, the runs that escaped when perturbed (saddles, not minima).",
    ]  # fmt: skip


def theorem2_notes(config) -> list[str]:
    t2 = config["theory"]["theorem2"]
    return [
        "xi: the largest squared reconstruction error ||x - g(f(x))||^2 over the training and validation "
        "data, with the encoder's mean code (VAE), per seed; N = n_train, the training points. A sample maximum: "
        "a lower bound on the supremum over the data domain that the theorem needs, so t is too small if anything.",
        "spearman_xi_vs_metric: over the seeds and widths of one experiment; the claimed trend (larger xi, "
        "worse test metric) makes it negative for a log-likelihood, positive for FID.",
        f"the bound: with probability >= 1 - delta (delta = {t2['delta']:g}, split equally over its four terms), "
        "|L_hat - L| <= eps = t + lambda (s + u + v) with t = xi sqrt(ln(8/delta) / 2N), s = u = "
        "K sqrt(ln(8/delta) / 2 floor(N/2)), v = K sqrt(ln(8/delta) / 2N); eps uses xi (the largest error, as "
        "the theorem needs), eps_mean_xi the mean error (the paper's Section 4.2 reading, not a valid bound); "
        "dominant: the largest of t, lambda s, lambda u, lambda v.",
        "v as printed uses K; the cross term's range is 2K, so v_corrected uses 2K and eps_corrected with it.",
        f"K: k(z, z) for bounded non-negative kernels ({_kernel_bounds()}). For a kernel without such a bound "
        "(the logarithmic Coulomb kernel of h = 2) the theorem does not apply; K is then the kernel's range over "
        "the codes' and prior draws' span (2 x their largest norm), the K it would need on a latent domain of "
        "that size.",
        "assumptions: 'hold' where eq. (2)'s objective, h > 2, a bounded non-negative kernel and data of bounded "
        "support (the theorem asks for [-M, M]^d; the grid's Gaussians are unbounded) all hold, else which fail; "
        "the numbers are shown either way. Not checked: whether the codes stay in a compact set.",
        "theorem_gap: what Theorem 2 bounds, |L_hat - L| with L_hat = eq. (2) on an independent sample the "
        "networks never saw (grid: a fresh draw of N points; CelebA: a random half of the validation split, at "
        "most N images: independent_size), against one prior draw; the theorem is a Hoeffding bound for a fixed "
        "encoder and decoder. eps_independent: the bound at that sample's size; bound_holds: seeds whose "
        "theorem_gap is within it; eps_over_gap: how loose it is.",
        f"L: the mean of eq. (2) over {t2['draws']} fresh draws (grid: N new points from the mixture; CelebA: "
        "random subsets of the validation split's other half) each with its own prior draw; fresh_se: the "
        "standard error of that mean.",
        "generalisation_gap (not covered by Theorem 2): |L_hat - L| with L_hat on the N training points the "
        "networks were fitted to; the theorem has no capacity term, so it neither confirms nor refutes it. "
        "generalisation_gap_recon and _mmd2: its two terms' own gaps (mmd2 before lambda).",
        "the slides state the theorem differently, 2 exp(-2 N t^2 / xi^2) + 6 exp(-2 floor(N/2) s^2 / (9 K^2)) "
        "(one deviation s for the three kernel terms); this table evaluates the paper's printed form.",
    ] + [
        note
        for part in ("theorem2_notes", "notes", "caveat_notes")
        for dataset in datasets.in_config(config)
        for note in getattr(dataset, part)(config)
    ]


def _kernel_bounds() -> str:
    """How each registered kernel's K is found (its `theorem2_note`)."""
    return "; ".join(k.theorem2_note for k in kernels.REGISTRY.items().values() if k.theorem2_note)


def flow_titles(config) -> dict[str, str]:
    """row -> a short title for the flow comparison's legends."""
    titles = {}
    for name, row in config["theory"]["flows"]["rows"].items():
        if row["method"] == "kale":
            title = f"KALE flow, lambda = {row['lambda']:g}"
        else:
            kernel = row.get("kernel")
            title = "MMD flow" + (f", {kernel['kernel']} kernel" if kernel else "")
        noise = row.get("noise")
        if noise and noise["schedule"] != "none":
            title += f", noise {noise['schedule']} from {noise['beta0']:g}"
        titles[name] = title
    return titles


def flows_notes(config) -> list[str]:
    f = config["theory"]["flows"]
    kernels = ", ".join(f"{name}: {spec['kernel']} scales {spec['params'].get('scales')}"
                        for name, spec in f["evaluation"]["kernels"].items())  # fmt: skip
    return [
        f"every row starts from the same particles towards the same targets (seed {f['seed']}) and runs "
        f"{f['steps']} steps; metrics every {f['record_every']} steps and at the end; one run per (setup, row).",
        f"half_mmd2_<name>: 1/2 MMD^2 (V-statistic) under fixed evaluation kernels ({kernels}); w2: the exact "
        "Wasserstein-2 distance between particles and targets (POT); w2_start: the same at step 0.",
        "coverage: the fraction of modes (rings, Gaussians, or each target in the theorem1 setup) holding at "
        "least half their fair share of particles within the setup's cover_radius.",
        "mean_sq_witness_gradient: the mean squared velocity of the row's own flow at its particles (MMD: "
        "grad f; KALE: (1 + lambda) grad f), small when the flow stalls.",
        f"kale: KALE at lambda = {f['evaluation']['kale_lambda']:g} under the first evaluation kernel, the same "
        "for every row (Newton's method, warm-started across records); kale_dual_gap: its primal-dual gap; "
        "own_kale and newton_iterations: a KALE row's own objective and solver iterations at its last step.",
        "seconds: the flow's wall time, metrics included.",
    ]


def claims_notes(config) -> list[str]:
    c = config["claims"]
    how = (
        "Welch's t interval"
        if c["interval"] == "welch"
        else f"a percentile bootstrap over seeds ({c['bootstrap_resamples']} resamples)"
    )
    margins = ", ".join(f"{c['margin'][d.name]:g} {d.metric.unit} on {d.prose}" for d in datasets.in_config(config))
    return [
        f"effect: mean of A minus mean of B over seeds, in the metric's units; interval: {how} at "
        f"{c['confidence']:.0%}; paper_effect: the same difference of the paper's values.",
        "direction: supports when the claim is significant on the claimed side of its threshold (0; for 'at least "
        f"as good' claims -margin, margin {margins}) after Holm's correction over every comparison claim of the "
        "table (the extension rows and the data sets the paper did not run excepted; Theorem 2's claims on every "
        "data set count, so a data set added changes the others' adjusted p): its one-sided p (p_for; Welch's t "
        "test, or the bootstrap's tail), "
        f"adjusted (holm_for), at most {1 - c['confidence']:.2g}; opposes likewise on the other side (p_against, "
        "holm_against); unclear otherwise. The interval shown is the claim's own, uncorrected.",
        "verdict: reproduced or contradicted as the direction says; inconclusive when it is unclear or when a "
        "reason stands in the way (one seed, a shortened run, stand-in data, test-only features), listed in "
        "reasons.",
        "Theorem 1 rows count runs of plain descent (noise 0) that end with every particle on a distinct sample, "
        "with a Clopper-Pearson interval; a flow whose particles did not move is inconclusive, not contradicted. "
        "A run that missed the minimum counts as a spurious minimum only where it ended at a critical point (the "
        "forces off its samples balanced below theory.theorem1.critical_balance) and stayed there when perturbed "
        "and continued (theory.theorem1.second_order); one that escaped was at a saddle, which the theorem allows. "
        "critical_by_balance gives the count of critical misses at other thresholds (set after seeing the runs).",
    ] + [note for dataset in datasets.in_config(config) for note in dataset.caveat_notes(config)]


def run_summary(config) -> list[str]:
    """What this run is, one line per part, for the report's opening text."""
    theory = config["theory"]["theorem1"]
    lines = [dataset.summary(config) for dataset in datasets.in_config(config)]
    lines.append(
        f"Theorem 1: {len(theory['flows'])} flows in dimensions {', '.join(map(str, theory['dims']))}, "
        f"{theory['n_runs']} runs of {theory['steps']} steps each."
    )
    return lines


def summary_rst(intro: str, lines: list[str], verdicts: dict[str, int]) -> str:
    """The report's landing text: the workflow's `intro`, what this run was,
    then how the paper's claims fared on it."""
    counts = ", ".join(f"{n} {verdict}" for verdict, n in verdicts.items())
    body = [f"- {line}" for line in lines] + [
        f"- The paper's claims on this run (category Claims): {counts}. A shortened run, one seed, "
        "stand-in data or test-only features make a comparison inconclusive whatever its interval says."
    ]
    return intro.rstrip() + "\n\nThis run:\n\n" + "\n".join(body) + "\n"


def markdown_notes(notes: list[str]) -> str:
    return "".join(f"- {note}\n" for note in notes)


def caption(item: str, config) -> str:
    """The report caption of `item` (a key of CAPTIONS, or of a data set's own
    `captions`: its figures), in reStructuredText."""
    if item in CAPTIONS:
        return CAPTIONS[item](config)
    for dataset in datasets.in_config(config):
        own = dataset.captions(config)
        if item in own:
            return own[item]
    raise KeyError(f"no caption for {item!r}")


def _table1(config) -> str:
    names = [d.name for d in datasets.in_config(config)]
    return (
        f"{table1_title(names)}: every configured experiment (at width x1, or its largest) beside the paper's value "
        "and ours minus the paper's; ours: mean and sample standard deviation over the seeds. "
        + " ".join(d.table1_caption(config) for d in datasets.in_config(config))
    )


def _tables(config) -> str:
    return f"{_table1(config)}\n\n{_table2(config)}"


def _table2(config) -> str:
    widths = ", ".join(f"x{w:g}" for w in paper.TABLE2_WIDTHS)
    return (
        f"Table 2: the hidden width scaled ({widths}). CouAE as in the paper, with the paper's values; every "
        "other experiment across the same widths is our extension. Same metric and evaluation as Table 1; "
        'cells of the paper not produced here are marked "not run".'
    )


def _figure1(config) -> str:
    f = config["theory"]["figure1"]
    charges = ", ".join(f"{c:g}" for c in f["charges"])
    kernels = ", ".join(f["kernels"])
    return (
        f"Figure 1: the regulariser of eq. (1) (MMD^2 between fixed positive charges at {charges} and free "
        "negative charges) in one dimension, computed exactly on a grid, for the kernels "
        f"{kernels}: over one free charge (top) and two (bottom). Green: global minimisers; red crosses: "
        "spurious local minima."
    )


def _theorem1(config) -> str:
    t = config["theory"]["theorem1"]
    return (
        "Theorem 1 in practice: particles descending the MMD^2 between their empirical measure and that of "
        "fixed N(0, I) samples, from seeded random starts, per kernel, dimension and noise level. Left: "
        f"fraction of runs that end with every particle within {t['tolerance']:g} of a distinct sample; right: "
        "2-D trajectories of one run. A flow whose worst matched distance at the end equals the one at the "
        "start did not move (its forces vanish at that distance, as a power-law Coulomb kernel's do in high "
        "dimensions): a statement about the dynamics, not about spurious minima. The full numbers are in "
        "results/tables/theorem1.csv."
    )


def _theorem2(config) -> str:
    t2 = config["theory"]["theorem2"]
    return (
        f"Theorem 2 for every dataset, experiment and width factor: the bound eps at delta = {t2['delta']:g} "
        "evaluated from the trained models' own N, xi, K and lambda, beside the generalisation gap (L_hat against L) "
        f"measured on the same models (L from {t2['draws']} fresh draws of data and prior), whether the "
        "theorem's assumptions hold, which term dominates, and the test metric (the grid's KDE "
        "log-likelihood, CelebA's FID) against xi. One figure plots the test metric against xi per seed, "
        "coloured by width; the other eps and the measured gap against width (log scale). CelebA values made "
        "from stand-in images or test-only features say so in red."
    )


def _flows(config) -> str:
    f = config["theory"]["flows"]
    return (
        f"Particle flows on {', '.join(f['setups'])}: {', '.join(flow_titles(config).values())}, every one "
        "from the same starting particles towards the same targets. The particles figure shows the targets "
        "(grey), the start (light) and the end (coloured) of each flow; the curves figure W2, 1/2 MMD^2, the "
        "mean squared witness gradient (a stall shows as a drop with no progress in W2), KALE and mode "
        f"coverage against steps ({f['steps']} in all). Numbers in results/tables/flows.csv."
    )


def _claims(config) -> str:
    c = config["claims"]
    return (
        "Each claim of the paper tested on this run: Table 1 (CouAE against WAE and VAE), Table 2 (CouAE "
        "improving with width), Theorem 2 (the reconstruction error xi, largest and mean, shrinking with width) "
        "per grid variant and on CelebA, and Theorem 1 (Coulomb flows reaching the global minimum, single-scale "
        "Gaussian and IMQ flows able to miss it). Each row gives the effect over seeds with its "
        f"{c['confidence']:.0%} interval, the paper's own numbers where it reports them, and a verdict: reproduced, "
        "contradicted or inconclusive, with the reasons."
    )


def _benchmarks(config) -> str:
    return (
        "Per-job benchmarks measured by Snakemake (the benchmark file of each rule): wall time (s), peak "
        "resident memory (max_rss, MB) and CPU time of every training job, grid evaluation, CelebA preparation "
        "and FID evaluation, and Theorem 1 flow, one row per job; the rule and its wildcards are in the first "
        "columns. Made with the config and device recorded in the tables' provenance footer."
    )


CAPTIONS = {
    "tables": _tables,  # Tables 1 and 2 come from one job, under one caption
    "figure1": _figure1,
    "theorem1": _theorem1,
    "theorem2": _theorem2,
    "flows": _flows,
    "claims": _claims,
    "benchmarks": _benchmarks,
}
