# The CelebA experiments: image arrays (real CelebA or the stand-in), FID
# weights and test statistics, training (one job per experiment, width, seed),
# evaluation (FID, Theorem 2's xi) with the images for Figures 3 and 4.

CELEBA_DATA = "results/celeba/data"
CELEBA_RUN = "results/celeba/train/{experiment}/width{width}/seed{seed}"
CELEBA_EVAL = "results/celeba/eval/{experiment}/width{width}/seed{seed}"
CELEBA_TRAIN_BENCHMARK = "results/benchmarks/celeba_train/{experiment}_width{width}_seed{seed}.tsv"
CELEBA_EVAL_BENCHMARK = "results/benchmarks/celeba_eval/{experiment}_width{width}_seed{seed}.tsv"
CELEBA_FID = S.celeba_fid_settings(config)
CELEBA_TRAIN_THREADS = config["celeba"]["training"]["threads"]
# Locations (paths, URLs) are passed outside params: where the files were found
# does not change what they are, so moving them re-runs nothing.
CELEBA_DATA_LOCATIONS = S.as_json(config["celeba"]["data"])
FID_WEIGHTS_DIR = config["celeba"]["fid"]["weights_dir"] or ""
FID_WEIGHTS_URL = config["celeba"]["fid"]["weights_url"] or ""
FID_BATCH = config["celeba"]["fid"]["batch_size"]


def celeba_outputs(pattern):
    """`pattern` filled for every configured (experiment, width) and seed."""
    return [pattern.format(experiment=e, width=w, seed=s)
            for e, w in S.celeba_runs(config) for s in S.celeba_seeds(config)]


CELEBA_EVALS = celeba_outputs(CELEBA_EVAL + ".csv")


rule celeba_data:
    output:
        expand(f"{CELEBA_DATA}/{{split}}.npy", split=["train", "validation", "test"]),
        meta=f"{CELEBA_DATA}/meta.json",
    params:
        settings=S.as_json(S.celeba_data_settings(config)),
    log:
        "logs/celeba/data.log",
    benchmark:
        "results/benchmarks/celeba_data.tsv"
    threads: config["celeba"]["data"]["workers"]
    shell:
        "{PYTHON} {SCRIPTS}/prepare_celeba.py --data {CELEBA_DATA_LOCATIONS:q} --out-dir {CELEBA_DATA} > {log} 2>&1"


rule fid_weights:
    output:
        "results/celeba/fid/weights.json",
    params:
        extractor=CELEBA_FID["extractor"],
    log:
        "logs/celeba/fid_weights.log",
    shell:
        "{PYTHON} {SCRIPTS}/fid_weights.py --extractor {params.extractor} --weights-dir={FID_WEIGHTS_DIR:q}"
        " --url={FID_WEIGHTS_URL:q} --out {output} > {log} 2>&1"


rule fid_reference:
    input:
        test=f"{CELEBA_DATA}/test.npy",
        meta=f"{CELEBA_DATA}/meta.json",
        weights="results/celeba/fid/weights.json",
    output:
        "results/celeba/fid/test_stats.npz",
    params:
        settings=S.as_json(CELEBA_FID),
        device=config["device"],
    log:
        "logs/celeba/fid_reference.log",
    benchmark:
        "results/benchmarks/celeba_fid_reference.tsv"
    threads: CELEBA_TRAIN_THREADS
    resources:
        gpu=GPU_PER_TRAINING_JOB,
    shell:
        "{PYTHON} {SCRIPTS}/fid_reference.py --data-dir {CELEBA_DATA} --settings {params.settings:q}"
        " --weights-dir={FID_WEIGHTS_DIR:q} --batch-size {FID_BATCH} --device {params.device}"
        " --threads {threads} --out {output} > {log} 2>&1"


rule celeba_train:
    input:
        train=f"{CELEBA_DATA}/train.npy",
        meta=f"{CELEBA_DATA}/meta.json",
    output:
        weights=f"{CELEBA_RUN}/weights.pt",
        losses=f"{CELEBA_RUN}/loss.csv",
        provenance=f"{CELEBA_RUN}/provenance.json",
    params:
        settings=lambda w: S.as_json(S.celeba_training_settings(config, w.experiment, w.width, w.seed)),
        run_dir=CELEBA_RUN,
        device=config["device"],
    log:
        "logs/celeba/train/{experiment}_width{width}_seed{seed}.log",
    benchmark:
        CELEBA_TRAIN_BENCHMARK
    threads: CELEBA_TRAIN_THREADS
    resources:
        gpu=GPU_PER_TRAINING_JOB,
    shell:
        "{PYTHON} {SCRIPTS}/train_celeba.py --data-dir {CELEBA_DATA} --settings {params.settings:q}"
        " --out-dir {params.run_dir} --checkpoint {params.run_dir}/checkpoint.pt --device {params.device}"
        " --threads {threads} --provenance {output.provenance} > {log} 2>&1"


rule celeba_evaluate:
    input:
        weights=f"{CELEBA_RUN}/weights.pt",
        reference="results/celeba/fid/test_stats.npz",
        # training and validation images for xi (Theorem 2), test images for Figure 4
        splits=expand(f"{CELEBA_DATA}/{{split}}.npy", split=["train", "validation", "test"]),
        meta=f"{CELEBA_DATA}/meta.json",
    output:
        csv=f"{CELEBA_EVAL}.csv",
        samples=f"{CELEBA_EVAL}.samples.npy",
        reconstructions=f"{CELEBA_EVAL}.reconstructions.npy",
        provenance=f"{CELEBA_EVAL}.provenance.json",
    params:
        settings=S.as_json(CELEBA_FID),
        n_samples=config["celeba"]["figures"]["n_samples"],
        n_reconstructions=config["celeba"]["figures"]["n_reconstructions"],
        device=config["device"],
    log:
        "logs/celeba/eval/{experiment}_width{width}_seed{seed}.log",
    benchmark:
        CELEBA_EVAL_BENCHMARK
    threads: CELEBA_TRAIN_THREADS
    resources:
        gpu=GPU_PER_TRAINING_JOB,
    shell:
        "{PYTHON} {SCRIPTS}/evaluate_celeba.py --data-dir {CELEBA_DATA} --weights {input.weights}"
        " --reference {input.reference} --settings {params.settings:q} --weights-dir={FID_WEIGHTS_DIR:q}"
        " --batch-size {FID_BATCH} --n-samples {params.n_samples} --n-reconstructions {params.n_reconstructions}"
        " --device {params.device} --threads {threads} --out {output.csv} --samples {output.samples}"
        " --reconstructions {output.reconstructions} --provenance {output.provenance} > {log} 2>&1"
