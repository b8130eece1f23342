# The CelebA experiments: image arrays (real CelebA or the stand-in), FID
# weights and test statistics, training (one job per experiment, width, seed),
# evaluation (FID, Theorem 2's xi), Figures 3 and 4. Paths and file lists come
# from CelebA's adapter (couae.celeba.adapter).
from couae.celeba import settings as CS

CELEBA = D.get("celeba")
CELEBA_SEEDS = S.seeds(config, "celeba")
CELEBA_DEVICE = CELEBA.device(config)
CELEBA_GPU = gpu_resource(CELEBA_DEVICE)
CELEBA_COMPILE = S.Untracked(config["celeba"]["training"]["compile"])  # how the step runs, not what it computes
CELEBA_TRAIN_THREADS = config["celeba"]["training"]["threads"]
FIGURE4_EXPERIMENT = config["celeba"]["figures"]["figure4_experiment"]
FIGURE4_WIDTHS = S.experiment_widths(config, "celeba", FIGURE4_EXPERIMENT)
# Figure 3: each experiment's first seed at its main width; Figure 4: one experiment's widths
FIGURE3_SAMPLES = [
    f"{CELEBA.EVAL.format(experiment=e, width=w, seed=CELEBA_SEEDS[0])}.samples.npy"
    for e, w in S.main_widths(config, "celeba").items()
]
FIGURE4_PAIRS = [
    f"{CELEBA.EVAL.format(experiment=FIGURE4_EXPERIMENT, width=w, seed=CELEBA_SEEDS[0])}.reconstructions.npy"
    for w in FIGURE4_WIDTHS
]
# Where files are found is not what they are: moving them re-runs nothing.
CELEBA_LOCATIONS = CS.celeba_locations(config)
FID_WEIGHTS_DIR = S.Untracked(config["celeba"]["fid"]["weights_dir"] or "")
FID_WEIGHTS_URL = S.Untracked(config["celeba"]["fid"]["weights_url"] or "")
# The feature batch changes throughput, not the statistics.
FID_BATCH = S.Untracked(str(config["celeba"]["fid"]["batch_size"]))


# Light jobs run where Snakemake runs, never queued on a cluster.
localrules:
    celeba,
    fid_weights,
    figure3,
    figure4,


# snakemake celeba: the CelebA half alone
rule celeba:
    input:
        CELEBA.targets(config),


rule celeba_data:
    output:
        **CELEBA.SPLIT_FILES,
        meta=CELEBA.META,
    log:
        "logs/celeba/data.log",
    benchmark:
        "results/benchmarks/celeba_data.tsv"
    priority: 50  # data and downloads first: a missing file shows in seconds, not hours
    conda:
        CONDA_ENV
    threads: config["celeba"]["data"]["workers"]
    params:
        settings=CS.celeba_data_settings(config).to_json(),
        locations=CELEBA_LOCATIONS,
        out_dir=lambda w, output: Path(output.meta).parent,
    shell:
        "celeba_data.py --data {params.locations:q} --out-dir {params.out_dir} > {log} 2>&1"


rule fid_weights:
    output:
        CELEBA.FID_WEIGHTS,
    log:
        "logs/celeba/fid_weights.log",
    priority: 50  # data and downloads first: a missing file shows in seconds, not hours
    conda:
        CONDA_ENV
    params:
        extractor=config["celeba"]["fid"]["extractor"],
        weights_dir=FID_WEIGHTS_DIR,
        url=FID_WEIGHTS_URL,
        retries=config["celeba"]["data"]["retries"],
    shell:
        "fid_weights.py --extractor {params.extractor} --weights-dir={params.weights_dir:q} --url={params.url:q}"
        " --retries {params.retries} --out {output} > {log} 2>&1"


rule fid_reference:
    input:
        test=CELEBA.SPLIT_FILES["test"],
        meta=CELEBA.META,
        weights=CELEBA.FID_WEIGHTS,
    output:
        CELEBA.FID_REFERENCE,
    log:
        "logs/celeba/fid_reference.log",
    benchmark:
        "results/benchmarks/celeba_fid_reference.tsv"
    conda:
        CONDA_ENV
    threads: CELEBA_TRAIN_THREADS
    resources:
        gpu=CELEBA_GPU,
    params:
        settings=CS.fid_settings(config).to_json(),
        weights_dir=FID_WEIGHTS_DIR,
        batch_size=FID_BATCH,
        device=CELEBA_DEVICE,
    shell:
        "fid_reference.py --test {input.test} --settings {params.settings:q} --weights-dir={params.weights_dir:q}"
        " --batch-size {params.batch_size} --device {params.device} --threads {threads} --out {output} > {log} 2>&1"


rule celeba_train:
    input:
        # all splits: a damaged validation or test split stops the job before training, not after
        **CELEBA.SPLIT_FILES,
        meta=CELEBA.META,
    output:
        weights=f"{CELEBA.RUN}/weights.pt",
        losses=f"{CELEBA.RUN}/loss.csv",
        provenance=f"{CELEBA.RUN}/provenance.json",
    log:
        "logs/celeba/train/{experiment}_width{width}_seed{seed}.log",
    benchmark:
        CELEBA.TRAIN_BENCHMARK
    conda:
        CONDA_ENV
    threads: CELEBA_TRAIN_THREADS
    resources:
        gpu=CELEBA_GPU,
    params:
        settings=lambda w: CS.celeba_training_settings(config, w.experiment, w.width, w.seed).to_json(),
        run_dir=lambda w, output: Path(output.provenance).parent,
        device=CELEBA_DEVICE,
        compile=CELEBA_COMPILE,
    shell:
        "celeba_train.py --train {input.train} --check {input.validation} {input.test} --meta {input.meta}"
        " --settings {params.settings:q}"
        " --out-dir {params.run_dir:q} --checkpoint {params.run_dir:q}/checkpoint.pt --device {params.device}"
        " --compile {params.compile}"
        " --threads {threads} --provenance {output.provenance} > {log} 2>&1"


rule celeba_evaluate:
    input:
        **CELEBA.SPLIT_FILES,
        weights=f"{CELEBA.RUN}/weights.pt",
        reference=CELEBA.FID_REFERENCE,
        # training and validation images for xi (Theorem 2), test images for Figure 4
        meta=CELEBA.META,
    output:
        csv=f"{CELEBA.EVAL}.csv",
        samples=f"{CELEBA.EVAL}.samples.npy",
        reconstructions=f"{CELEBA.EVAL}.reconstructions.npy",
        provenance=f"{CELEBA.EVAL}.provenance.json",
    log:
        "logs/celeba/eval/{experiment}_width{width}_seed{seed}.log",
    benchmark:
        CELEBA.EVAL_BENCHMARK
    conda:
        CONDA_ENV
    threads: CELEBA_TRAIN_THREADS
    resources:
        gpu=CELEBA_GPU,
    params:
        settings=CS.fid_settings(config).to_json(),
        weights_dir=FID_WEIGHTS_DIR,
        batch_size=FID_BATCH,
        n_samples=config["celeba"]["figures"]["n_samples"],
        n_reconstructions=config["celeba"]["figures"]["n_reconstructions"],
        device=CELEBA_DEVICE,
        training_settings=lambda w: CS.celeba_training_settings(config, w.experiment, w.width, w.seed).to_json(),
        gap_settings=S.gap_settings(config).to_json(),
    shell:
        "celeba_evaluate.py --weights {input.weights} --train {input.train} --validation {input.validation}"
        " --test {input.test} --meta {input.meta} --reference {input.reference} --settings {params.settings:q}"
        " --training-settings {params.training_settings:q} --gap-settings {params.gap_settings:q}"
        " --weights-dir={params.weights_dir:q} --batch-size {params.batch_size} --n-samples {params.n_samples}"
        " --n-reconstructions {params.n_reconstructions} --device {params.device} --threads {threads}"
        " --out {output.csv} --samples {output.samples} --reconstructions {output.reconstructions}"
        " --provenance {output.provenance} > {log} 2>&1"


rule figure3:
    input:
        meta=CELEBA.META,
        samples=FIGURE3_SAMPLES,
    output:
        report("results/figures/figure3.png", caption="../report/caption.rst", category="Figures"),
        "results/figures/figure3.pdf",
    log:
        "logs/figure3.log",
    conda:
        CONDA_ENV
    params:
        experiments=S.experiments(config, "celeba"),
        titles=S.as_json(S.descriptions(config, "celeba")),
        caption=T.caption("figure3", config),
    shell:
        "figure3.py --meta {input.meta} --experiments {params.experiments} --images {input.samples}"
        " --titles {params.titles:q} --out-stem results/figures/figure3 > {log} 2>&1"


rule figure4:
    input:
        meta=CELEBA.META,
        pairs=FIGURE4_PAIRS,
    output:
        report("results/figures/figure4.png", caption="../report/caption.rst", category="Figures"),
        "results/figures/figure4.pdf",
    log:
        "logs/figure4.log",
    conda:
        CONDA_ENV
    params:
        experiment=FIGURE4_EXPERIMENT,
        widths=list(FIGURE4_WIDTHS),
        caption=T.caption("figure4", config),
    shell:
        "figure4.py --meta {input.meta} --experiment {params.experiment} --widths {params.widths}"
        " --images {input.pairs} --out-stem results/figures/figure4 > {log} 2>&1"
